// Channel gathers in the JIT engine: channel shuffles (Reshape -> Transpose ->
// Reshape permuting channel factors), channel Slices, their chains with Concat
// and Split, and the layout-free ops around them (reshape aliases, ReduceMean
// as global average pooling). Engine against the reference on random inputs,
// both targets; channel counts are not multiples of the vector width; two
// threads on one image.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>

#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;
using testing::has;

std::string ints(const std::vector<int64_t>& values) { return fmt::format("{}", fmt::join(values, ", ")); }

// x[n,c,h,w] -> Reshape(split) -> Transpose(perm) -> Reshape back -> y
std::string shuffleModel(const std::vector<int64_t>& x, const std::vector<int64_t>& split,
                         const std::vector<int64_t>& perm) {
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[{0}] x) => (float[{0}] y)
<int64[{1}] split = {{{2}}}, int64[4] back = {{{0}}}>
{{
  r = Reshape (x, split)
  t = Transpose <perm = [{3}]> (r)
  y = Reshape (t, back)
}}
)",
                     ints(x), split.size(), ints(split), ints(perm));
}

class ChannelGather : public TargetTest<const char*> {};

TEST_P(ChannelGather, ShuffleWithAnyGroupCountIsOneGatherKernel) {
  struct Case {
    std::vector<int64_t> x;
    int64_t groups;
  };
  for (Case c : {Case{{1, 12, 5, 7}, 2}, Case{{2, 18, 3, 5}, 3}, Case{{1, 20, 4, 3}, 4}, Case{{1, 116, 7, 7}, 2}}) {
    std::vector<int64_t> split = {c.x[0], c.groups, c.x[1] / c.groups, c.x[2], c.x[3]};
    std::string explain = expectSameAsReference(shuffleModel(c.x, split, {0, 2, 1, 3, 4}), GetParam());
    EXPECT_EQ(has(explain, "Reshape(r): Reshape -> kernel k0_gather (channel shuffle: " + std::to_string(c.x[1]) +
                               " channel(s) from 1 source(s))"),
              "");
    EXPECT_EQ(has(explain, "Transpose(t): Transpose -> fused into k0_gather"), "");
    EXPECT_EQ(has(explain, "Reshape(y): Reshape -> fused into k0_gather"), "");
    EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
  }
}

TEST_P(ChannelGather, EquivalentShuffleFormsAreRecognized) {
  struct Case {
    std::vector<int64_t> x, split, perm;
  };
  for (Case c : {Case{{1, 12, 5, 7}, {1, 3, 4, 35}, {0, 2, 1, 3}},             // spatial axes merged
                 Case{{1, 12, 5, 7}, {3, 4, 5, 7}, {1, 0, 2, 3}},              // batch of 1 dropped
                 Case{{1, 12, 5, 7}, {1, 2, 3, 2, 5, 7}, {0, 3, 1, 2, 4, 5}},  // three channel factors
                 Case{{1, 12, 5, 7}, {1, 4, 3, 5, 7}, {2, 0, 1, 3, 4}}}) {     // the unit batch axis moved
    std::string explain = expectSameAsReference(shuffleModel(c.x, c.split, c.perm), GetParam());
    EXPECT_EQ(has(explain, "Transpose(t): Transpose -> fused into k0_gather"), "") << ints(c.perm);
    EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
  }
}

TEST_P(ChannelGather, UnsqueezeTransposeSqueezeMovingAUnitAxisIsACopy) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,10,3,3] x) => (float[2,10,3,3] y)
<int64[1] one = {1}, int64[1] two = {2}>
{
  u = Unsqueeze (x, one)
  t = Transpose <perm = [0, 2, 1, 3, 4]> (u)
  y = Squeeze (t, two)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Unsqueeze(u): Unsqueeze -> kernel k0_gather (channel shuffle"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(ChannelGather, ShuffleNetUnitIsOneGatherPerHalf) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,20,6,5] x, float[10, 10, 1, 1] w) => (float[1,10,6,5] a, float[1,10,6,5] b)
<int64[5] split = {1, 2, 10, 6, 5}, int64[4] back = {1, 20, 6, 5}, int64[1] zero = {0}, int64[1] half = {10},
 int64[1] all = {20}, int64[1] axis = {1}>
{
  x1, x2 = Split <axis = 1> (x)
  p = Conv (x2, w)
  c = Concat <axis = 1> (x1, p)
  r = Reshape (c, split)
  t = Transpose <perm = [0, 2, 1, 3, 4]> (r)
  s = Reshape (t, back)
  a = Slice (s, zero, half, axis)
  b = Slice (s, half, all, axis)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Split(x1): Split -> kernel k0_gather (channel split"), "");
  EXPECT_EQ(has(explain, "Concat(c): Concat -> fused into"), "");
  EXPECT_EQ(has(explain, "Transpose(t): Transpose -> fused into"), "");
  EXPECT_EQ(
      has(explain,
          "Slice(a): Slice -> kernel k3_gather (channel concat > shuffle > slice: 10 channel(s) from 2 source(s))"),
      "");
  EXPECT_EQ(has(explain, "Slice(b): Slice -> kernel k4_gather"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(ChannelGather, ConcatShuffleSplitReadsTheConcatInputs) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,9,4,4] x, float[9, 9, 1, 1] w) => (float[2,6,4,4] a, float[2,12,4,4] b)
<int64[5] split = {2, 3, 6, 4, 4}, int64[4] back = {2, 18, 4, 4}, int64[2] parts = {6, 12}>
{
  p = Conv (x, w)
  c = Concat <axis = 1> (x, p)
  r = Reshape (c, split)
  t = Transpose <perm = [0, 2, 1, 3, 4]> (r)
  s = Reshape (t, back)
  a, b = Split <axis = 1> (s, parts)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Split(a): Split -> kernel k1_gather (channel concat > shuffle > split: 6 channel(s)"), "");
  EXPECT_EQ(has(explain, "Split(a): Split -> kernel k2_gather (channel concat > shuffle > split: 12 channel(s)"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(ChannelGather, GraphOutputsAreMaterializedAndUnreadSourcesDropped) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,12,3,3] x, float[6, 6, 1, 1] w) => (float[1,12,3,3] c, float[1,4,3,3] a, float[1,5,3,3] b)
<int64[1] one = {1}, int64[1] five = {5}, int64[1] six = {6}, int64[1] axis = {1}>
{
  x1, x2 = Split <axis = 1> (x)
  p = Conv (x2, w)
  c = Concat <axis = 1> (x1, p)
  a = Slice (c, one, five, axis)
  d = Concat <axis = 1> (x, p)
  b = Slice (d, one, six, axis)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Concat(c): Concat -> kernel k3_gather (channel concat: 12 channel(s) from 2 source(s))"), "");
  EXPECT_EQ(has(explain, "Slice(a): Slice -> kernel k4_gather (channel slice: 4 channel(s) from 1 source(s))"), "");
  EXPECT_EQ(has(explain, "Slice(b): Slice -> kernel k5_gather (channel concat > slice: 5 channel(s) from 1 source(s))"),
            "");
  EXPECT_EQ(has(explain, "Concat(d): Concat -> fused into k5_gather"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(ChannelGather, IntermediateUsedElsewhereIsAPlainTranspose) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,12,5,7] x) => (float[1,12,5,7] y, float[1,2,6,5,7] r)
<int64[5] split = {1, 2, 6, 5, 7}, int64[4] back = {1, 12, 5, 7}>
{
  r = Reshape (x, split)
  t = Transpose <perm = [0, 2, 1, 3, 4]> (r)
  y = Reshape (t, back)
}
)",
                                              GetParam());
  EXPECT_EQ(
      has(explain,
          "alias of its input's plain buffer (not a channel shuffle: not followed by a Transpose as its only use)"),
      "");
  EXPECT_EQ(has(explain, "Transpose(t): Transpose -> kernel k0_copy (transpose [0,2,1,3,4]"), "");
}

TEST_P(ChannelGather, TransposeOfSpatialAxesIsNotAShuffle) {
  std::string explain =
      expectSameAsReference(shuffleModel({1, 12, 5, 5}, {1, 2, 6, 5, 5}, {0, 2, 1, 4, 3}), GetParam());
  EXPECT_EQ(has(explain, "the Transpose moves batch or spatial axes: not a channel permutation"), "");
  EXPECT_EQ(has(explain, "Transpose(t): Transpose -> kernel k0_copy (transpose [0,2,1,4,3]"), "");
}

TEST_P(ChannelGather, ReshapeMixingChannelsAndRowsIsNotAShuffle) {
  std::string explain = expectSameAsReference(shuffleModel({1, 6, 4, 5}, {1, 2, 12, 5}, {0, 2, 1, 3}), GetParam());
  EXPECT_EQ(has(explain, "reshape axis 2 mixes batch, channel or spatial elements"), "");
  EXPECT_EQ(has(explain, "Transpose(t): Transpose -> kernel k0_copy (transpose [0,2,1,3]"), "");
}

TEST_P(ChannelGather, ChannelSlicesWithStepsAndNegativeIndices) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,21,5,3] x) => (float[2,4,5,3] a, float[2,11,5,3] b, float[2,16,5,3] c)
<int64[1] s1 = {1}, int64[1] e1 = {11}, int64[1] ax1 = {1}, int64[1] st1 = {3},
 int64[1] s2 = {-1}, int64[1] e2 = {-1000}, int64[1] st2 = {-2},
 int64[2] s3 = {0, 2}, int64[2] e3 = {9223372036854775807, -3}, int64[2] ax3 = {0, -3}>
{
  a = Slice (x, s1, e1, ax1, st1)
  b = Slice (x, s2, e2, ax1, st2)
  c = Slice (x, s3, e3, ax3)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Slice(a): Slice -> kernel k0_gather (channel slice: 4 channel(s) from 1 source(s))"), "");
  EXPECT_EQ(has(explain, "Slice(b): Slice -> kernel k1_gather (channel slice: 11 channel(s)"), "");
  EXPECT_EQ(has(explain, "Slice(c): Slice -> kernel k2_gather (channel slice: 16 channel(s)"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(ChannelGather, SliceWithAttributesBeforeOpset10) {
  std::string explain = expectSameAsReference(R"(<ir_version: 3, opset_import: ["" : 9]>
g (float[1,13,4,4] x) => (float[1,7,4,4] y)
{
  y = Slice <starts = [-9], ends = [-2], axes = [1]> (x)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Slice(y): Slice -> kernel k0_gather (channel slice: 7 channel(s)"), "");
}

TEST_P(ChannelGather, SlicesOfOtherAxesAreCopiesComputedBoundsFallBack) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,6,8,8] x) => (float[1,6,3,8] rows, float[1,4,8,8] y)
<int64[1] one = {1}, int64[1] four = {4}, int64[1] two = {2}, int64[1] zero = {0}>
{
  rows = Slice (x, one, four, two)
  m = ReduceMin <keepdims = 0> (x)
  a = Abs (m)
  f = Floor (a)
  i = Cast <to = 7> (f)
  s = Unsqueeze (i, zero)
  y = Slice (x, s, four, one)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Slice(rows): Slice -> kernel k0_copy (slice [6x24] <- strides [64,1], contiguous)"), "");
  EXPECT_EQ(has(explain, "Slice(y): Slice -> FALLBACK to the reference interpreter (starts is not a constant)"), "");
}

TEST_P(ChannelGather, ReduceMeanOverSpatialAxesIsGlobalAveragePooling) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,19,5,6] x) => (float[2,19] f, float[2,19,1,1] k, float[2,1,5,6] c)
{
  m = ReduceMean <axes = [3, 2]> (x)
  f = Flatten (m)
  k = ReduceMean <axes = [-2, -1], keepdims = 1> (x)
  c = ReduceMean <axes = [1]> (x)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "ReduceMean(m): ReduceMean -> kernel k0_pool (avgpool5x6_s1)"), "");
  EXPECT_EQ(has(explain, "Flatten(f): Flatten -> alias of its input's plain buffer"), "");
  EXPECT_EQ(has(explain, "ReduceMean(k): ReduceMean -> kernel k1_pool"), "");
  EXPECT_EQ(has(explain, "ReduceMean(c): ReduceMean -> kernel k2_reduce (mean over axes [1] of [2x19x5x6])"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(ChannelGather, ReduceMeanAxesInputFromOpset18WithAndWithoutKeepdims) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 18]>
g (float[1,10,3,4] x) => (float[1,10,1,1] y, float[1,10] z)
<int64[2] axes = {2, 3}>
{
  y = ReduceMean (x, axes)
  m = ReduceMean <keepdims = 0> (x, axes)
  z = Relu (m)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "ReduceMean(y): ReduceMean -> kernel k0_pool"), "");
  EXPECT_EQ(has(explain, "ReduceMean(m): ReduceMean -> kernel k1_pool (avgpool3x4_s1 + relu)"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(ChannelGather, ReshapesAfterPoolingAreAliases) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,17,5,5] x, float[17, 17, 3, 3] w) => (float[2,17] r, float[2,17] s, float[34] f)
<int64[2] shape = {2, 17}, int64[2] squeezed = {2, 3}, int64[1] flat = {-1}>
{
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  p = GlobalAveragePool (c)
  r = Reshape (p, shape)
  s = Squeeze (p, squeezed)
  f = Reshape (r, flat)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Reshape(r): Reshape -> alias of its input's plain buffer"), "");
  EXPECT_EQ(has(explain, "Squeeze(s): Squeeze -> alias of its input's plain buffer"), "");
  EXPECT_EQ(has(explain, "Reshape(f): Reshape -> alias of its input's plain buffer"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

INSTANTIATE_TEST_SUITE_P(Targets, ChannelGather, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
