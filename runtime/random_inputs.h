// Seeded random inputs for a graph: what `convopt run` feeds a model when no
// input files are given, and what --verify compares engines on.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/reference/interpreter.h"

namespace convopt::runtime {

struct RandomInputOptions {
  uint64_t seed = 0;
  // Full shape per input name; required for inputs whose rank is unknown.
  std::map<std::string, std::vector<int64_t>> shapes;
  // Value per symbolic dim name (e.g. "batch" = 1); other dynamic dims are 1.
  std::map<std::string, int64_t> dimParams;
  // Inputs given otherwise (files): none is made for them, whatever their type.
  std::set<std::string> given = {};
};

// The concrete shape of a graph input under `options`; InputError if an
// override contradicts a static dim or the rank is unknown.
std::vector<int64_t> concreteInputShape(const ir::Value& input, const RandomInputOptions& options);

// One tensor per non-initializer graph input not `given`: floats uniform in [-1, 1),
// integers uniform in [0, 10), bools fair coins. Same seed, same tensors on
// every platform (a fixed 64-bit generator, no std distributions).
TensorMap randomInputs(const ir::Graph& graph, const RandomInputOptions& options);

}  // namespace convopt::runtime
