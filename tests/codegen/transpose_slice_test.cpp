// Strided copy kernels (codegen/strided_copy_kernel.h): Transpose of any rank
// and permutation, Slice on any axes (steps > 1, negative steps, out-of-range
// and negative bounds, several axes, attributes before opset 10), Split and
// Concat on plain tensors; blocked inputs read through a reorder; channel slices of 4-D
// tensors staying channel gathers; what falls back and why. Engine against the
// reference on random inputs, both targets; sizes that are not multiples of the
// vector width, odd sizes, rows long enough to be cut into chunks.
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

std::string joined(const std::vector<int64_t>& values, const char* separator) {
  return fmt::format("{}", fmt::join(values, separator));
}

// One Transpose of x per permutation, outputs t0, t1, ...
std::string transposesModel(const std::vector<int64_t>& dims, const std::vector<std::vector<int64_t>>& perms) {
  std::string outputs, nodes;
  for (size_t k = 0; k < perms.size(); ++k) {
    std::vector<int64_t> permuted;
    for (int64_t axis : perms[k]) permuted.push_back(dims[axis]);
    outputs += fmt::format("{}float[{}] t{}", k ? ", " : "", joined(permuted, ","), k);
    nodes += fmt::format("  t{} = Transpose <perm = [{}]> (x)\n", k, joined(perms[k], ", "));
  }
  return fmt::format("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[{}] x) => ({})\n{{\n{}}}\n",
                     joined(dims, ","), outputs, nodes);
}

class TransposeSlice : public TargetTest<const char*> {};

TEST_P(TransposeSlice, TransposesOfRanks2To5AnyPermutation) {
  struct Case {
    std::vector<int64_t> dims;
    std::vector<std::vector<int64_t>> perms;
  };
  const std::vector<Case> cases = {
      {{13, 19}, {{0, 1}, {1, 0}}},
      {{3, 17, 9}, {{0, 2, 1}, {1, 0, 2}, {2, 1, 0}, {1, 2, 0}, {2, 0, 1}}},
      {{2, 5, 7, 11}, {{0, 1, 3, 2}, {0, 2, 3, 1}, {0, 3, 1, 2}, {3, 2, 1, 0}, {1, 0, 2, 3}}},
      {{2, 3, 5, 4, 7}, {{0, 1, 2, 4, 3}, {4, 2, 0, 3, 1}, {0, 2, 4, 1, 3}, {1, 0, 2, 3, 4}}},
      {{4099, 2}, {{1, 0}}},  // rows of 4099: several chunks and a masked tail
  };
  for (const Case& c : cases) {
    std::string explain = expectSameAsReference(transposesModel(c.dims, c.perms), GetParam());
    for (size_t k = 0; k < c.perms.size(); ++k)
      EXPECT_EQ(has(explain, fmt::format("Transpose(t{}): Transpose -> kernel k{}_copy (transpose [{}]", k, k,
                                         joined(c.perms[k], ","))),
                "");
    EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
  }
}

TEST_P(TransposeSlice, IdentityAndUnitAxesCollapseToOneContiguousCopy) {
  std::string explain =
      expectSameAsReference(transposesModel({2, 1, 3, 37}, {{0, 1, 2, 3}, {1, 0, 2, 3}, {0, 2, 1, 3}}), GetParam());
  EXPECT_EQ(
      has(explain, "Transpose(t0): Transpose -> kernel k0_copy (transpose [0,1,2,3] [222] <- strides [1], contiguous)"),
      "");
  EXPECT_EQ(
      has(explain, "Transpose(t1): Transpose -> kernel k1_copy (transpose [1,0,2,3] [222] <- strides [1], contiguous)"),
      "");
  EXPECT_EQ(
      has(explain, "Transpose(t2): Transpose -> kernel k2_copy (transpose [0,2,1,3] [222] <- strides [1], contiguous)"),
      "");
}

TEST_P(TransposeSlice, DefaultPermReversesTheAxes) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[3,5,17] x) => (float[17,5,3] y)
{
  y = Transpose (x)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain,
                "Transpose(y): Transpose -> kernel k0_copy (transpose [2,1,0] [17x5x3] <- strides [1,17,85], tiled)"),
            "");
}

TEST_P(TransposeSlice, BlockedConvOutputToNHWCThroughAReorder) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,3,7,9] x, float[19,3,3,3] w) => (float[1,7,9,19] y)
{
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  y = Transpose <perm = [0, 2, 3, 1]> (c)
}
)",
                                              GetParam());
  EXPECT_EQ(
      has(explain, "Transpose(y): Transpose -> kernel k1_copy (transpose [0,2,3,1] [63x19] <- strides [1,63], tiled)"),
      "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(TransposeSlice, SlicesOfAnyAxesStepsAndBounds) {
  // 2-D to 5-D; steps 2 and 3, -1 and -2; starts/ends past either end; negative axes; several axes at once.
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[11,37] x2, float[3,9,21] x3, float[2,5,6,19] x4, float[2,3,4,5,17] x5)
  => (float[11,35] a, float[11,19] b, float[4,11] c, float[3,3,21] d, float[3,9,21] e, float[1,2,2,19] f,
      float[1,3,4,5,17] g, float[2,2,4,5,6] h, float[11,37] i)
<int64[1] one = {1}, int64[1] minusOne = {-1}, int64[1] two = {2}, int64[1] three = {3}, int64[1] zero = {0},
 int64[1] big = {1000}, int64[1] minusBig = {-1000}, int64[1] minusTwo = {-2}, int64[1] last = {-1},
 int64[2] s2 = {9, 1}, int64[2] e2 = {-1000, -3}, int64[2] ax2 = {0, 1}, int64[2] st2 = {-3, 3},
 int64[3] s3 = {1, 2, 18}, int64[3] e3 = {2, 1000, 1}, int64[3] ax3 = {0, -3, -2}, int64[3] st3 = {1, 2, -3},
 int64[3] s4 = {0, -1000, 16}, int64[3] e4 = {2, 1000, -1000}, int64[3] ax4 = {1, 0, -1}, int64[3] st4 = {1, 1, -3},
 int64[1] s5 = {-5}, int64[1] e5 = {2}, int64[1] st5 = {-1}>
{
  a = Slice (x2, one, minusOne, last)
  b = Slice (x2, minusOne, minusBig, last, minusTwo)
  c = Slice (x2, s2, e2, ax2, st2)
  d = Slice (x3, zero, big, one, three)
  e = Slice (x3, minusBig, big, minusTwo)
  f = Slice (x4, s3, e3, ax3, st3)
  g = Slice (x5, one, big, zero)
  h = Slice (x5, s4, e4, ax4, st4)
  i = Slice (x2, zero, big, zero)
}
)",
                                              GetParam(), testing::ReferenceCheck{2, 4});
  for (const char* node :
       {"Slice(a)", "Slice(b)", "Slice(c)", "Slice(d)", "Slice(e)", "Slice(f)", "Slice(g)", "Slice(h)", "Slice(i)"})
    EXPECT_EQ(has(explain, fmt::format("{}: Slice -> kernel", node)), "");
  EXPECT_EQ(has(explain, "Slice(b): Slice -> kernel k1_copy (slice [11x19] <- strides [37,-2], gather)"), "");
  EXPECT_EQ(has(explain, "Slice(e): Slice -> kernel k4_copy (slice [567] <- strides [1], contiguous)"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(TransposeSlice, ReversedInnermostAxisWithTails) {
  // Step -1 along the contiguous axis: reversed vector loads, masked tails of 1..V-1 lanes.
  for (int64_t length : {2, 5, 8, 16, 23, 100}) {
    std::string explain = expectSameAsReference(fmt::format(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[3,{0}] x) => (float[3,{0}] y)
<int64[1] start = {{-1}}, int64[1] end = {{-9223372036854775807}}, int64[1] axis = {{1}}, int64[1] step = {{-1}}>
{{
  y = Slice (x, start, end, axis, step)
}}
)",
                                                            length),
                                                GetParam());
    EXPECT_EQ(
        has(explain,
            fmt::format("Slice(y): Slice -> kernel k0_copy (slice [3x{0}] <- strides [{0},-1], reversed)", length)),
        "");
  }
}

TEST_P(TransposeSlice, TransposedInnermostAxisIsCopiedInTiles) {
  // V x V tiles through shuffles; partial row blocks and column tails around V = 8 / 16.
  for (std::vector<int64_t> dims :
       std::vector<std::vector<int64_t>>{{3, 5}, {8, 8}, {16, 16}, {17, 9}, {2, 33, 23}, {40, 120}, {2, 3, 19, 20}}) {
    size_t rank = dims.size();
    std::vector<int64_t> swap(rank), swapped = dims;
    for (size_t d = 0; d < rank; ++d) swap[d] = int64_t(d);
    std::swap(swap[rank - 1], swap[rank - 2]);
    std::swap(swapped[rank - 1], swapped[rank - 2]);
    std::string explain = expectSameAsReference(transposesModel(dims, {swap}), GetParam());
    int64_t outer = 1;
    for (size_t d = 0; d + 2 < rank; ++d) outer *= dims[d];
    std::string shape = outer > 1 ? fmt::format("{}x{}x{}", outer, swapped[rank - 2], swapped[rank - 1])
                                  : fmt::format("{}x{}", swapped[rank - 2], swapped[rank - 1]);
    std::string strides = outer > 1 ? fmt::format("{},1,{}", dims[rank - 2] * dims[rank - 1], dims[rank - 1])
                                    : fmt::format("1,{}", dims[rank - 1]);
    EXPECT_EQ(has(explain, fmt::format("[{}] <- strides [{}], tiled)", shape, strides)), "");
  }
}

// A Split that is no channel gather (3-D, along any axis; a detection head's
// box and class parts) is a slice per output.
TEST_P(TransposeSlice, SplitsOfPlainTensorsAreASlicePerOutput) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,64,37] x) => (float[2,16,37] box, float[2,48,37] cls, float[2,64,5] a, float[2,64,32] b)
<int64[2] parts = {16, 48}, int64[2] columns = {5, 32}>
{
  box, cls = Split <axis = 1> (x, parts)
  a, b = Split <axis = -1> (x, columns)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Split(box): Split -> kernel k0_copy (split part 0"), "");
  EXPECT_EQ(has(explain, "Split(a): Split -> kernel k2_copy (split part 0"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

// A Concat that is no channel gather (3-D along the last axis, a detection head's
// anchors; along the first axis) places each input into its columns of every
// output row; an empty input adds no kernel.
TEST_P(TransposeSlice, ConcatsOfPlainTensorsPlaceEachInputsRows) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,5,37] x, float[2,5,20] y, float[2,5,0] e, float[3,5,37] z) => (float[2,5,57] c, float[5,5,37] d)
{
  c = Concat <axis = -1> (x, e, y)
  d = Concat <axis = 0> (x, z)
}
)",
                                              GetParam(), {.runtimeInputs = 4});
  EXPECT_EQ(has(explain, "Concat(c): Concat -> kernel k0_concat (10 rows of 37 into columns [0, 37) of 57)"), "");
  EXPECT_EQ(has(explain, "Concat(c): Concat -> kernel k1_concat (10 rows of 20 into columns [37, 57) of 57)"), "");
  EXPECT_EQ(has(explain, "Concat(d): Concat -> kernel k2_concat (1 rows of 370 into columns [0, 370) of 925)"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

// DepthToSpace (both modes: a pixel shuffle upsampler) and SpaceToDepth are
// strided copies of 6-D views, after a conv and at an opset (18, a ReduceMean's
// axes an input) where only the project's shape rules size them.
TEST_P(TransposeSlice, DepthToSpaceAndSpaceToDepthAreStridedCopies) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 18]>
g (float[1,3,10,14] x, float[12,3,3,3] w) => (float[1,3,20,28] d, float[1,3,20,28] r, float[1,12,5,7] s,
                                               float[1,1,1,1] m)
<int64[2] spatial = {2, 3}>
{
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  d = DepthToSpace <blocksize = 2> (c)
  r = DepthToSpace <blocksize = 2, mode = "CRD"> (c)
  s = SpaceToDepth <blocksize = 2> (x)
  t = ReduceMean (s, spatial)
  m = ReduceMean (t)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "DepthToSpace(d): DepthToSpace -> kernel"), "");
  EXPECT_EQ(has(explain, "DepthToSpace(r): DepthToSpace -> kernel"), "");
  EXPECT_EQ(has(explain, "SpaceToDepth(s): SpaceToDepth -> kernel"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(TransposeSlice, SliceWithAttributesBeforeOpset10) {
  std::string explain = expectSameAsReference(R"(<ir_version: 3, opset_import: ["" : 9]>
g (float[4,7,30] x) => (float[4,3,27] y)
{
  y = Slice <starts = [2, -1000, 3], ends = [5, 1000, 1000], axes = [1, 0, -1]> (x)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Slice(y): Slice -> kernel k0_copy (slice [4x3x27] <- strides [210,30,1], contiguous)"), "");
}

TEST_P(TransposeSlice, RowsOfABlockedTensorAreACopyChannelsStayAGather) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,5,9,9] x, float[11,5,3,3] w) => (float[1,11,3,9] rows, float[1,3,9,9] channels)
<int64[1] one = {1}, int64[1] four = {4}, int64[1] two = {2}, int64[1] seven = {7}>
{
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  rows = Slice (c, one, four, two)
  channels = Slice (c, one, four, one)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Slice(rows): Slice -> kernel k1_copy (slice [11x27] <- strides [81,1], contiguous)"), "");
  EXPECT_EQ(has(explain, "Slice(channels): Slice -> kernel k2_gather (channel slice: 3 channel(s)"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

TEST_P(TransposeSlice, NonFloatDynamicEmptyAndComputedBoundsFallBack) {
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[4,6] x) => (float[6,4] a, float[2,?] b, float[4,0] c, float[4,?] d)
<int64[1] one = {1}, int64[1] zero = {0}, int64[1] three = {3}>
{
  i = Cast <to = 7> (x)
  t = Transpose (i)
  a = Cast <to = 1> (t)
  r = Relu (x)
  n = NonZero (r)
  f = Cast <to = 1> (n)
  b = Transpose <perm = [0, 1]> (f)
  c = Slice (x, three, one, one)
  m = ReduceMax <keepdims = 0> (x)
  p = Relu (m)
  k = Cast <to = 7> (p)
  s = Unsqueeze (k, zero)
  d = Slice (x, s, three, one)
}
)",
                                              GetParam());
  EXPECT_EQ(
      has(explain,
          "Transpose(t): Transpose -> FALLBACK to the reference interpreter (not a float tensor of static shape)"),
      "");
  EXPECT_EQ(
      has(explain,
          "Transpose(b): Transpose -> FALLBACK to the reference interpreter (not a float tensor of static shape)"),
      "");
  EXPECT_EQ(has(explain, "Slice(c): Slice -> FALLBACK to the reference interpreter (empty output)"), "");
  EXPECT_EQ(has(explain, "Slice(d): Slice -> FALLBACK to the reference interpreter (starts is not a constant)"), "");
}

TEST_P(TransposeSlice, SingleThreadMatchesToo) {
  expectSameAsReference(transposesModel({5, 3, 33}, {{2, 0, 1}, {0, 2, 1}}), GetParam(), 1);
}

INSTANTIATE_TEST_SUITE_P(Targets, TransposeSlice, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
