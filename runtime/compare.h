// Output comparison with numpy.allclose semantics: the check behind
// `convopt run --check`, the conformance runner and engine verification.
#pragma once
#include <string>

#include "ir/tensor.h"

namespace convopt::runtime {

struct Tolerance {
  double rtol = 1e-4;
  double atol = 1e-5;
};

struct Comparison {
  bool ok = false;         // same type and shape, and every element within tolerance
  std::string mismatch;    // why not, when type or shape differ
  double maxAbsError = 0;  // max |actual - expected|
  double maxRelError = 0;  // max |actual - expected| / |expected| over nonzero expected
  int64_t failures = 0;    // elements with |a - e| > atol + rtol * |e|
};

// NaN equals NaN; integer and bool tensors compare as exact values under the
// same rule (so any difference of at least 1 fails with the default tolerance).
Comparison compareTensors(const ir::Tensor& actual, const ir::Tensor& expected, Tolerance tolerance);

}  // namespace convopt::runtime
