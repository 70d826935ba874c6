// Reference semantics of Loop and Scan beyond ONNX's backend tests (which
// cover If, Loop-11 and Scan with default axes): early exit, scan outputs,
// reversed directions and non-zero axes.
#include <gtest/gtest.h>

#include "ir/onnx_io.h"
#include "runtime/reference/interpreter.h"

namespace convopt::runtime {
namespace {

using ir::DType;
using ir::Tensor;

std::vector<float> runOne(const char* text, TensorMap feed, const std::string& output) {
  return runReference(ir::parseModelText(text), feed).at(output).toFloatVector();
}

// Doubles `v` until it passes 10 (at most M trips); scans every intermediate value.
constexpr const char* kDoubling = R"(<ir_version: 8, opset_import: ["" : 13]>
g (int64[] m, float[1] v) => (float[1] last, float[?, 1] all)
{
  last, all = Loop (m, , v) <body = step (int64[] i, bool[] c, float[1] x) => (bool[] more, float[1] y, float[1] seen)
    {
      y = Add (x, x)
      ten = Constant <value = float[1] {10}> ()
      more_1 = Less (y, ten)
      more = Squeeze (more_1)
      seen = Identity (y)
    }>
}
)";

TEST(ReferenceLoop, StopsWhenTheBodySaysAndStacksScanOutputs) {
  TensorMap feed = {{"m", Tensor::scalarInt64(100)}, {"v", Tensor::fromVector<float>(DType::Float, {1}, {1.5f})}};
  EXPECT_EQ(runOne(kDoubling, feed, "last"), (std::vector<float>{12.0f}));
  EXPECT_EQ(runOne(kDoubling, feed, "all"), (std::vector<float>{3.0f, 6.0f, 12.0f}));
  feed["m"] = Tensor::scalarInt64(2);  // the trip count stops it first
  EXPECT_EQ(runOne(kDoubling, feed, "all"), (std::vector<float>{3.0f, 6.0f}));
  feed["m"] = Tensor::scalarInt64(0);
  EXPECT_EQ(runOne(kDoubling, feed, "last"), (std::vector<float>{1.5f}));
  // No trip: an empty stack shaped as the body declares its scan output.
  EXPECT_EQ(runReference(ir::parseModelText(kDoubling), feed).at("all").dims(), (std::vector<int64_t>{0, 1}));
}

// A running sum over the columns of x, right to left; the per-step sums are
// stacked along axis 1 in reverse, so they line up with the columns they end at.
constexpr const char* kReverseColumnSums = R"(<ir_version: 8, opset_import: ["" : 16]>
g (float[2] s0, float[2,3] x) => (float[2] total, float[2,3] partial)
{
  total, partial = Scan (s0, x) <num_scan_inputs = 1, scan_input_axes = [1], scan_input_directions = [1], scan_output_axes = [1], scan_output_directions = [1], body = step (float[2] s, float[2] column) => (float[2] t, float[2] p)
    {
      t = Add (s, column)
      p = Identity (t)
    }>
}
)";

TEST(ReferenceScan, ReversedInputAndOutputAlongAxisOne) {
  TensorMap feed = {{"s0", Tensor::fromVector<float>(DType::Float, {2}, {0.0f, 100.0f})},
                    {"x", Tensor::fromVector<float>(DType::Float, {2, 3}, {1, 2, 3, 4, 5, 6})}};
  EXPECT_EQ(runOne(kReverseColumnSums, feed, "total"), (std::vector<float>{6.0f, 115.0f}));
  // Row 0: columns summed right to left are 3, 5, 6; reversed output puts them back under their columns.
  EXPECT_EQ(runOne(kReverseColumnSums, feed, "partial"), (std::vector<float>{6, 5, 3, 115, 111, 106}));
}

}  // namespace
}  // namespace convopt::runtime
