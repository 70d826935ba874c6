// Shared by the commands that compile a model with the JIT engine (bench,
// compile): --shape handling and seeded random inputs of the right shapes.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/reference/interpreter.h"

namespace convopt::tools {

// Applies each NAME=1x3x48x192 spec, then returns the static shape of every
// non-initializer input; InputError naming an input whose shape stays dynamic.
std::map<std::string, std::vector<int64_t>> engineInputShapes(ir::Model& model, const std::vector<std::string>& specs);

// Uniform [-1, 1) float inputs (zeros for other types) of the given shapes.
runtime::TensorMap randomEngineInputs(const ir::Model& model, const std::map<std::string, std::vector<int64_t>>& shapes,
                                      uint64_t seed);

}  // namespace convopt::tools
