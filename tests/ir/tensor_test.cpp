#include "ir/tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace convopt::ir {
namespace {

// Integer views of float tensors (a malformed model's float pads): defined for any value.
TEST(Tensor, FloatToInt64TruncatesAndSaturates) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  Tensor t = Tensor::fromVector<float>(DType::Float, {6}, {2.7f, -2.7f, inf, -inf, std::nanf(""), 1e30f});
  constexpr int64_t max = std::numeric_limits<int64_t>::max(), min = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(t.toInt64Vector(), (std::vector<int64_t>{2, -2, max, min, 0, max}));
}

}  // namespace
}  // namespace convopt::ir
