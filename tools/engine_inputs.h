// Shared by the commands that compile a model with the JIT engine (bench,
// compile): --shape handling. (Random inputs: runtime/random_inputs.h.)
#pragma once
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace convopt::tools {

// Applies each NAME=1x3x48x192 spec, then returns the static shape of every
// non-initializer input; InputError naming an input whose shape stays dynamic.
std::map<std::string, std::vector<int64_t>> engineInputShapes(ir::Model& model, const std::vector<std::string>& specs);

}  // namespace convopt::tools
