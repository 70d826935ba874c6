// Shared by the commands that compile a model with the JIT engine (bench,
// compile, run): --shape handling and --print-after-all. (Random inputs:
// runtime/random_inputs.h.)
#pragma once
#include <map>
#include <string>
#include <vector>

#include "codegen/engine/jit_engine.h"
#include "ir/graph.h"

namespace convopt::tools {

// Applies each NAME=1x3x48x192 spec, then returns the static shape of every
// non-initializer input; InputError naming an input whose shape stays dynamic.
std::map<std::string, std::vector<int64_t>> engineInputShapes(ir::Model& model, const std::vector<std::string>& specs);

// With `enabled`, prints the pre-lowering plan to stderr after each of its
// steps, as `optimize --print-after-all` prints the IR after each pass.
codegen::PlanningObserver planPrinter(bool enabled);

}  // namespace convopt::tools
