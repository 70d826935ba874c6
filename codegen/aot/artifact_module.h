// The one LLVM module an artifact's object is made of: the kernels (optimised
// exactly as the JIT optimises them), the program table and weights as
// constants, and the runtime linked in from its embedded bitcode. Only the C
// API, renamed NAME_*, stays visible; everything else is internal.
#pragma once
#include <string>
#include <vector>

#include "codegen/aot/program_table.h"
#include "codegen/engine/jit.h"
#include "codegen/engine/target.h"

namespace convopt::codegen {

// Adds the table, kernel list and (when `embedWeights`) the payload to the
// already optimised `kernels`, links the runtime and hides all but `prefix`_*.
void completeArtifactModule(KernelModule& kernels, const Target& target, const ProgramTable& table, bool embedWeights,
                            const std::string& prefix);

}  // namespace convopt::codegen
