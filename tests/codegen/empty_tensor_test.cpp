// Tensors with a zero dim: every generated kernel family, fed an input with no
// elements in its batch, channels, height or width, computes what the
// reference interpreter does (empty outputs; NaN means and -inf maxima of
// empty reductions) or falls back to it; none divides by zero or touches
// memory (the ASan run checks that). The engine fuzz target found two that did
// (a depthwise conv of no channels, an elementwise group with an empty output):
// this table asks the same of the others.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;

struct EmptyCase {
  const char* name;
  // Format strings (braces doubled) over {c} = C, {w} = W, {chw} = C·H·W and {h0}, {h1} = C's
  // halves: further graph inputs (weights: random initializers), constants, the
  // graph body on x of dims [N, C, H, W] computing y.
  const char* inputs;
  const char* constants;
  const char* body;
  int outputRank;
  // The dims of x that may be 0: a conv or pooling window does not fit an empty
  // map, a depthwise conv of no channels would have group 0 (both refused:
  // BadInput tests).
  const char* emptyDims = "NCHW";
};

const EmptyCase kCases[] = {
    {"MaxPool", "", "", "y = MaxPool <kernel_shape = [3, 3], pads = [1, 1, 1, 1]> (x)", 4, "NC"},
    {"AveragePool", "", "", "y = AveragePool <kernel_shape = [2, 2], strides = [2, 2]> (x)", 4, "NC"},
    {"GlobalAveragePool", "", "", "y = GlobalAveragePool (x)", 4},
    {"GlobalMaxPool", "", "", "y = GlobalMaxPool (x)", 4},
    {"LayerNorm", ", float[{w}] g, float[{w}] b", "", "y = LayerNormalization (x, g, b)", 4},
    {"InstanceNorm", ", float[{c}] s, float[{c}] b", "", "y = InstanceNormalization (x, s, b)", 4},
    {"ReduceMeanHW", "", "", "y = ReduceMean <axes = [2, 3]> (x)", 4},
    {"ReduceMaxC", "", "", "y = ReduceMax <axes = [1], keepdims = 0> (x)", 3},
    {"Softmax", "", "", "y = Softmax <axis = -1> (x)", 4},
    {"Transpose", "", "", "y = Transpose <perm = [0, 2, 3, 1]> (x)", 4},
    {"Resize", "", "float[4] s = {{1.0, 1.0, 2.0, 2.0}}", "y = Resize <mode = \"nearest\"> (x, , s)", 4},
    {"ConcatInPlace", "", "", "r = Relu (x)\n  y = Concat <axis = 1> (r, x)", 4},
    {"SliceW", "", "int64[1] one = {{1}}, int64[1] five = {{5}}, int64[1] three = {{3}}",
     "y = Slice (x, one, five, three)", 4},
    {"SplitC", "", "int64[2] halves = {{{h0}, {h1}}}", "a, b = Split <axis = 1> (x, halves)\n  y = Add (b, b)", 4},
    {"Pointwise", ", float[8,{c},1,1] w", "", "y = Conv (x, w)", 4, "NC"},
    {"Depthwise", ", float[{c},1,3,3] w", "", "y = Conv <group = {c}, pads = [1, 1, 1, 1]> (x, w)", 4, "N"},
    {"ElementwiseGroup", "", "", "r = Relu (x)\n  s = Sigmoid (x)\n  y = Mul (r, s)", 4},
    {"MatMul", ", float[{w},4] m", "", "y = MatMul (x, m)", 4},
    {"FlattenGemm", ", float[{chw},4] m", "", "f = Flatten (x)\n  y = Gemm (f, m)", 2},
    {"ConvPair", ", float[8,{c},1,1] w, float[8,8,1,1] v", "", "p = Conv (x, w)\n  y = Conv (p, v)", 4, "NC"},
};

std::string emptyModel(const EmptyCase& c, const std::vector<int64_t>& dims) {
  auto fill = [&](const char* text) {
    return fmt::format(fmt::runtime(text), fmt::arg("c", dims[1]), fmt::arg("w", dims[3]), fmt::arg("h0", dims[1] / 2),
                       fmt::arg("chw", dims[1] * dims[2] * dims[3]), fmt::arg("h1", dims[1] - dims[1] / 2));
  };
  std::vector<std::string> unknown(size_t(c.outputRank), "?");
  std::string constants = fill(c.constants);
  return fmt::format("<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[{}] x{}) => (float[{}] y)\n{}{{\n  {}\n}}\n",
                     fmt::join(dims, ","), fill(c.inputs), fmt::join(unknown, ","),
                     constants.empty() ? "" : "<" + constants + ">\n", fill(c.body));
}

class EmptyTensors : public TargetTest<const char*> {};

TEST_P(EmptyTensors, EveryKernelFamilyComputesWhatTheReferenceDoes) {
  const std::vector<std::vector<int64_t>> shapes{{0, 16, 8, 8}, {1, 0, 8, 8}, {1, 16, 0, 8}, {1, 16, 8, 0}};
  for (const EmptyCase& c : kCases)
    for (const std::vector<int64_t>& dims : shapes) {
      size_t empty = size_t(std::find(dims.begin(), dims.end(), 0) - dims.begin());
      if (std::string(c.emptyDims).find("NCHW"[empty]) == std::string::npos) continue;
      SCOPED_TRACE(fmt::format("{} on [{}]", c.name, fmt::join(dims, ",")));
      expectSameAsReference(emptyModel(c, dims), GetParam());
    }
}

INSTANTIATE_TEST_SUITE_P(Targets, EmptyTensors, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
