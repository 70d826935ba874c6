// Numerical equivalence of two versions of a model: both run through the
// reference interpreter on the same seeded random inputs. This is
// `convopt optimize --verify` and the numeric half of every pass test.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace convopt::passes {

struct EquivalenceOptions {
  uint64_t seed = 1;
  // Outputs agree when max |before - after| <= tolerance * max(max |before|, 1).
  double tolerance = 1e-4;
  // Size used for a symbolic or unknown input dim.
  int64_t unknownDim = 1;
};

struct OutputDifference {
  std::string output;
  double maxAbsDiff = 0;
  double scale = 0;  // max |before|
  bool withinTolerance = true;
};

struct EquivalenceResult {
  std::vector<OutputDifference> outputs;
  bool equivalent() const;
  std::string summary() const;  // one line per output
};

// Throws InputError when an input's dtype cannot be generated or the
// interpreter rejects a graph.
EquivalenceResult compareModels(const ir::Graph& before, const ir::Graph& after, const EquivalenceOptions& options = {});

}  // namespace convopt::passes
