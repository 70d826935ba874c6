// The sizes --verify gives an input's dynamic dims (passes/seeded_dims.h):
// one row per node that says how many channels it reads, or how wide its window is.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "ir/onnx_io.h"
#include "passes/seeded_dims.h"

namespace convopt::passes {
namespace {

struct SeededCase {
  const char* name;
  const char* nodes;    // the graph's body, reading x: float[N,C,H,W]
  const char* weights;  // further graph inputs, of static shapes
  const char* sized;    // what seededDims says of x at the default size 16
};

class SeededDims : public ::testing::TestWithParam<SeededCase> {};

TEST_P(SeededDims, SizeTheDynamicDimsForTheirReaders) {
  const SeededCase& c = GetParam();
  ir::Model model = ir::parseModelText(fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,C,H,W] x, {}) => (float[N,K,P,Q] y)
{{
  {}
}}
)",
                                                   c.weights, c.nodes));
  std::vector<ir::Node*> nodes = model.graph->nodes();
  std::vector<std::string> sized;
  seededDims(*model.graph->findValue("x"), {nodes.begin(), nodes.end()}, 16, sized);
  EXPECT_EQ(fmt::format("{}", fmt::join(sized, ", ")), c.sized);
}

INSTANTIATE_TEST_SUITE_P(
    Readers, SeededDims,
    ::testing::Values(SeededCase{"GroupedConv", "y = Conv <group = 3> (x, w)", "float[6,2,1,1] w",
                                 "'x' dim 0 = 1, 'x' dim 1 = 6, 'x' dim 2 = 16, 'x' dim 3 = 16"},
                      SeededCase{"ConvTranspose", "y = ConvTranspose (x, w)", "float[5,2,3,3] w",
                                 "'x' dim 0 = 1, 'x' dim 1 = 5, 'x' dim 2 = 16, 'x' dim 3 = 16"},
                      SeededCase{"BatchNormThroughRelu", "r = Relu (x)\n  y = BatchNormalization (r, s, b, m, v)",
                                 "float[7] s, float[7] b, float[7] m, float[7] v",
                                 "'x' dim 0 = 1, 'x' dim 1 = 7, 'x' dim 2 = 16, 'x' dim 3 = 16"},
                      SeededCase{"PerChannelConstantOfRank3", "y = Mul (k, x)", "float[3,1,1] k",
                                 "'x' dim 0 = 1, 'x' dim 1 = 3, 'x' dim 2 = 16, 'x' dim 3 = 16"},
                      // Two paths from x meet again (x * Sigmoid(x)) before the Conv.
                      SeededCase{"ThroughASiLU", "s = Sigmoid (x)\n  m = Mul (x, s)\n  y = Conv (m, w)",
                                 "float[4,5,1,1] w", "'x' dim 0 = 1, 'x' dim 1 = 5, 'x' dim 2 = 16, 'x' dim 3 = 16"},
                      SeededCase{"ScalarThenConv", "a = Mul (x, k)\n  y = Conv (a, w)", "float[1] k, float[4,3,1,1] w",
                                 "'x' dim 0 = 1, 'x' dim 1 = 3, 'x' dim 2 = 16, 'x' dim 3 = 16"},
                      SeededCase{"WideDilatedWindow", "y = MaxPool <kernel_shape = [3, 5], dilations = [20, 1]> (x)",
                                 "float[1] unused", "'x' dim 0 = 1, 'x' dim 1 = 16, 'x' dim 2 = 41, 'x' dim 3 = 16"},
                      // A Softmax mixes channels: what comes after it says nothing of x's.
                      SeededCase{"NotThroughAChannelMixingOp", "s = Softmax <axis = 1> (x)\n  y = Conv (s, w)",
                                 "float[4,3,1,1] w", "'x' dim 0 = 1, 'x' dim 1 = 16, 'x' dim 2 = 16, 'x' dim 3 = 16"}),
    [](const ::testing::TestParamInfo<SeededCase>& info) { return info.param.name; });

}  // namespace
}  // namespace convopt::passes
