// Reduction kernels (codegen/reduce_kernel.h): ReduceSum / ReduceMean /
// ReduceMax / ReduceMin on plain tensors of ranks 2 to 5 over first, middle,
// last, several and all axes, negative axes, keepdims 0 and 1, axes as an
// attribute or (ReduceSum from opset 13, the others from 18) as an input,
// noop_with_empty_axes; ReduceMean over (2, 3) of 4-D tensors staying a global
// average pool; what falls back and why. Engine against the reference on
// random inputs, both targets; sizes that are not multiples of the vector
// width, odd sizes, long rows.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <vector>

#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;
using testing::has;

struct Reduction {
  const char* op;
  std::vector<int64_t> axes;  // empty: all
  int keepdims = 1;
};

bool axesAsInput(const char* op, int opset) { return opset >= (std::string(op) == "ReduceSum" ? 13 : 18); }

// One reduction of x per entry, outputs r0, r1, ...; axes as the opset wants them.
std::string reductionsModel(const std::vector<int64_t>& dims, const std::vector<Reduction>& reductions, int opset) {
  std::string outputs, constants, nodes;
  for (size_t k = 0; k < reductions.size(); ++k) {
    const Reduction& r = reductions[k];
    std::vector<bool> reduced(dims.size(), r.axes.empty());
    for (int64_t axis : r.axes) reduced[axis < 0 ? axis + int64_t(dims.size()) : axis] = true;
    std::vector<int64_t> out;
    for (size_t d = 0; d < dims.size(); ++d)
      if (!reduced[d] || r.keepdims) out.push_back(reduced[d] ? 1 : dims[d]);
    outputs += fmt::format("{}float[{}] r{}", k ? ", " : "", fmt::join(out, ","), k);
    std::string axes = fmt::format("{}", fmt::join(r.axes, ", "));
    if (!axesAsInput(r.op, opset)) {
      std::string attribute = r.axes.empty() ? "" : fmt::format(", axes = [{}]", axes);
      nodes += fmt::format("  r{} = {} <keepdims = {}{}> (x)\n", k, r.op, r.keepdims, attribute);
    } else if (r.axes.empty()) {
      nodes += fmt::format("  r{} = {} <keepdims = {}> (x)\n", k, r.op, r.keepdims);
    } else {
      constants += fmt::format("{}int64[{}] a{} = {{{}}}", constants.empty() ? "" : ", ", r.axes.size(), k, axes);
      nodes += fmt::format("  r{} = {} <keepdims = {}> (x, a{})\n", k, r.op, r.keepdims, k);
    }
  }
  return fmt::format("<ir_version: 8, opset_import: [\"\" : {}]>\ng (float[{}] x) => ({})\n{}{{\n{}}}\n", opset,
                     fmt::join(dims, ","), outputs, constants.empty() ? "" : "<" + constants + ">\n", nodes);
}

void expectReductionKernels(const std::vector<int64_t>& dims, const std::vector<Reduction>& reductions, int opset,
                            const char* cpu) {
  std::string explain = expectSameAsReference(reductionsModel(dims, reductions, opset), cpu);
  for (size_t k = 0; k < reductions.size(); ++k)
    EXPECT_EQ(has(explain, fmt::format("{0}(r{1}): {0} -> kernel k{1}_reduce", reductions[k].op, k)), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

class Reduce : public TargetTest<const char*> {};

TEST_P(Reduce, Rank2FirstLastAndAllAxes) {
  expectReductionKernels({2, 37},
                         {{"ReduceSum", {0}},
                          {"ReduceMean", {1}},
                          {"ReduceMax", {-1}, 0},
                          {"ReduceMin", {0}, 0},
                          {"ReduceMax", {}, 0},
                          {"ReduceSum", {}, 1},
                          {"ReduceMean", {0, 1}, 0}},
                         13, GetParam());
}

TEST_P(Reduce, Rank3EveryAxisSet) {
  expectReductionKernels({3, 17, 9},
                         {{"ReduceMean", {0}},
                          {"ReduceSum", {1}, 0},
                          {"ReduceMax", {2}},
                          {"ReduceMin", {0, 2}, 0},
                          {"ReduceMean", {-1, -2}},
                          {"ReduceSum", {0, 1}},
                          {"ReduceMax", {0, 1, 2}, 0},
                          {"ReduceMin", {1, 2}}},
                         13, GetParam());
}

TEST_P(Reduce, Rank4OtherThanTheSpatialMean) {
  expectReductionKernels({2, 5, 7, 11},
                         {{"ReduceMean", {1}},
                          {"ReduceSum", {2, 3}},
                          {"ReduceMax", {0, 3}, 0},
                          {"ReduceMin", {1, 3}},
                          {"ReduceMean", {-1}, 0},
                          {"ReduceSum", {}, 0},
                          {"ReduceMean", {0}}},
                         13, GetParam());
}

TEST_P(Reduce, Rank5AlternatingAxes) {
  expectReductionKernels({2, 3, 5, 4, 7},
                         {{"ReduceSum", {1, 3}},
                          {"ReduceMean", {0, 2, 4}, 0},
                          {"ReduceMax", {4}},
                          {"ReduceMin", {-3}, 0},
                          {"ReduceMean", {0, 1, 3, 4}}},
                         13, GetParam());
}

TEST_P(Reduce, LongRowsAndSizeOneAxes) {
  // 4099 contiguous reduced elements (masked tail); 4099 kept ones (rows cut into chunks); axes of size 1.
  expectReductionKernels({3, 4099}, {{"ReduceSum", {1}}, {"ReduceMean", {0}, 0}, {"ReduceMax", {0}}}, 13, GetParam());
  expectReductionKernels({1, 6, 1, 5}, {{"ReduceSum", {0, 2}}, {"ReduceMean", {2}}, {"ReduceMin", {0, 1, 2}}}, 13,
                         GetParam());
}

TEST_P(Reduce, LayerNormMeanOverTheLastAxisOf3D) {
  std::string explain = expectSameAsReference(reductionsModel({1, 40, 120}, {{"ReduceMean", {-1}}}, 13), GetParam());
  EXPECT_EQ(has(explain, "ReduceMean(r0): ReduceMean -> kernel k0_reduce (mean over axes [2] of [1x40x120])"), "");
}

TEST_P(Reduce, AxesInputFromOpset18AndAttributesBefore) {
  expectReductionKernels({4, 6, 10}, {{"ReduceMean", {-1}}, {"ReduceMax", {0, 2}, 0}, {"ReduceMin", {}, 0}}, 18,
                         GetParam());
  expectReductionKernels({4, 6, 10}, {{"ReduceSum", {1}, 0}, {"ReduceMean", {0, -1}}}, 11, GetParam());
}

TEST_P(Reduce, NoopWithEmptyAxesIsACopy) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 18]>
g (float[3,19] x) => (float[3,19] y, float[] z)
{
  y = ReduceSum <noop_with_empty_axes = 1> (x)
  z = ReduceSum <keepdims = 0> (x)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "ReduceSum(y): ReduceSum -> kernel k0_reduce (sum over axes [] of [3x19])"), "");
  EXPECT_EQ(has(explain, "ReduceSum(z): ReduceSum -> kernel k1_reduce (sum over axes [0,1] of [3x19])"), "");
}

TEST_P(Reduce, SpatialMeanOf4DStaysAGlobalAveragePool) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,5,9,9] x, float[11,5,3,3] w) => (float[1,11,1,1] m, float[1,11,9] h)
{
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  m = ReduceMean <axes = [2, 3]> (c)
  h = ReduceMax <axes = [-1], keepdims = 0> (c)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "ReduceMean(m): ReduceMean -> kernel k1_pool (avgpool9x9_s1)"), "");
  EXPECT_EQ(has(explain, "ReduceMax(h): ReduceMax -> kernel k2_reduce (max over axes [3] of [1x11x9x9])"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(Reduce, NonFloatDynamicAndComputedAxesFallBack) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 18]>
g (float[4,6] x) => (float[4] a, float[?] b, float[?] c)
<int64[1] one = {1}, int64[1] zero = {0}>
{
  i = Cast <to = 7> (x)
  s = ReduceSum <keepdims = 0> (i, one)
  a = Cast <to = 1> (s)
  r = Relu (x)
  n = NonZero (r)
  f = Cast <to = 1> (n)
  b = ReduceMax <keepdims = 0> (f, zero)
  m = ReduceMax <keepdims = 0> (x)
  p = Relu (m)
  k = Cast <to = 7> (p)
  ax = Unsqueeze (k, zero)
  c = ReduceMean <keepdims = 0> (x, ax)
}
)",
                                              GetParam());
  EXPECT_EQ(
      has(explain,
          "ReduceSum(s): ReduceSum -> FALLBACK to the reference interpreter (not a float tensor of static shape)"),
      "");
  EXPECT_EQ(
      has(explain,
          "ReduceMax(b): ReduceMax -> FALLBACK to the reference interpreter (not a float tensor of static shape)"),
      "");
  EXPECT_EQ(has(explain, "ReduceMean(c): ReduceMean -> FALLBACK to the reference interpreter (axes is not a constant)"),
            "");
}

TEST_P(Reduce, SingleThreadMatchesToo) {
  expectSameAsReference(reductionsModel({5, 3, 33}, {{"ReduceSum", {1}}, {"ReduceMax", {2}}}, 13), GetParam(), 1);
}

INSTANTIATE_TEST_SUITE_P(Targets, Reduce, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
