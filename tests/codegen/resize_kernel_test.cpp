// Resize / Upsample kernels (codegen/resize_kernel.h) against the reference
// interpreter: nearest with every coordinate transformation and rounding mode,
// bilinear, up- and down-scaling, non-integer scales, sizes, roi with
// extrapolation, the opset 10 and Upsample forms, on both targets; and each
// fallback condition.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;
using testing::explainEngine;

struct ResizeCase {
  const char* name;
  int64_t opset;
  std::string inShape, outShape;  // "1,5,7,9"
  std::string attributes;         // of the Resize node
  std::string constants;          // initializers: roi, scales, sizes
  std::string operands;           // the node's inputs after x
  const char* op = "Resize";
};

std::string resizeModel(const ResizeCase& c) {
  return fmt::format(R"(<ir_version: 8, opset_import: ["" : {}]>
g (float[{}] x) => (float[{}] y)
<{}>
{{
  y = {} <{}> (x{})
}}
)",
                     c.opset, c.inShape, c.outShape, c.constants, c.op, c.attributes, c.operands);
}

const char* const kScales2 = "float[0] roi = {}, float[4] scales = {1, 1, 2, 2}";

const ResizeCase kCases[] = {
    {"nearest_asymmetric_floor_x2", 11, "1,5,7,9", "1,5,14,18",
     R"(mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor")", kScales2,
     ", roi, scales"},
    {"nearest_half_pixel_round_prefer_floor_fractional", 13, "1,12,7,9", "1,12,10,22", R"(mode = "nearest")",
     "float[0] roi = {}, float[4] scales = {1, 1, 1.5, 2.5}", ", roi, scales"},
    {"nearest_align_corners_round_prefer_ceil_down", 13, "1,17,7,9", "1,17,4,5",
     R"(mode = "nearest", coordinate_transformation_mode = "align_corners", nearest_mode = "round_prefer_ceil")",
     "float[0] roi = {}, int64[4] sizes = {1, 17, 4, 5}", ", roi, , sizes"},
    {"nearest_pytorch_half_pixel_ceil_down", 13, "2,3,7,9", "2,3,4,5",
     R"(mode = "nearest", coordinate_transformation_mode = "pytorch_half_pixel", nearest_mode = "ceil")",
     "float[0] roi = {}, float[4] scales = {1, 1, 0.6, 0.6}", ", roi, scales"},
    {"nearest_tf_half_pixel_for_nn", 13, "1,9,5,6", "1,9,8,15",
     R"(mode = "nearest", coordinate_transformation_mode = "tf_half_pixel_for_nn")",
     "float[0] roi = {}, int64[4] sizes = {1, 9, 8, 15}", ", roi, , sizes"},
    {"nearest_half_pixel_symmetric", 19, "1,8,5,7", "1,8,9,4",
     R"(mode = "nearest", coordinate_transformation_mode = "half_pixel_symmetric")",
     "float[0] roi = {}, int64[4] sizes = {1, 8, 9, 4}", ", roi, , sizes"},
    {"nearest_tf_crop_and_resize_extrapolates", 13, "1,6,6,7", "1,6,9,8",
     R"(mode = "nearest", coordinate_transformation_mode = "tf_crop_and_resize", extrapolation_value = 0.5)",
     "float[8] roi = {0, 0, -0.2, 0.1, 1, 1, 1.3, 0.8}, int64[4] sizes = {1, 6, 9, 8}", ", roi, , sizes"},
    {"nearest_axes_hw_only", 18, "1,4,5,5", "1,4,10,15", R"(mode = "nearest", axes = [2, 3])",
     "float[0] roi = {}, float[2] scales = {2, 3}", ", roi, scales"},
    {"nearest_opset10", 10, "1,3,4,5", "1,3,8,15", R"(mode = "nearest")", "float[4] scales = {1, 1, 2, 3}", ", scales"},
    {"upsample_nearest_opset9", 9, "1,10,3,4", "1,10,6,8", R"(mode = "nearest")", "float[4] scales = {1, 1, 2, 2}",
     ", scales", "Upsample"},
    {"upsample_bilinear_opset9", 9, "1,10,3,4", "1,10,7,10", R"(mode = "linear")", "float[4] scales = {1, 1, 2.5, 2.5}",
     ", scales", "Upsample"},
    {"linear_half_pixel_x2", 13, "1,12,5,6", "1,12,10,12", R"(mode = "linear")", kScales2, ", roi, scales"},
    {"linear_align_corners_down", 13, "1,7,7,9", "1,7,3,4",
     R"(mode = "linear", coordinate_transformation_mode = "align_corners")",
     "float[0] roi = {}, int64[4] sizes = {1, 7, 3, 4}", ", roi, , sizes"},
    {"linear_pytorch_half_pixel_fractional", 13, "2,5,6,5", "2,5,10,8",
     R"(mode = "linear", coordinate_transformation_mode = "pytorch_half_pixel")",
     "float[0] roi = {}, float[4] scales = {1, 1, 1.7, 1.7}", ", roi, scales"},
    {"linear_asymmetric", 13, "1,16,4,7", "1,16,12,10",
     R"(mode = "linear", coordinate_transformation_mode = "asymmetric")",
     "float[0] roi = {}, int64[4] sizes = {1, 16, 12, 10}", ", roi, , sizes"},
    {"linear_tf_crop_and_resize_extrapolates", 13, "1,5,6,6", "1,5,7,9",
     R"(mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", extrapolation_value = -1.5)",
     "float[8] roi = {0, 0, 0.3, -0.25, 1, 1, 1.2, 0.9}, int64[4] sizes = {1, 5, 7, 9}", ", roi, , sizes"},
};

class ResizeKernel : public TargetTest<std::tuple<const char*, ResizeCase>> {};

TEST_P(ResizeKernel, MatchesReference) {
  auto [cpu, c] = GetParam();
  std::string explain = expectSameAsReference(resizeModel(c), cpu);
  EXPECT_NE(explain.find(std::string(c.op) + " -> kernel"), std::string::npos) << explain;
}

INSTANTIATE_TEST_SUITE_P(Sweep, ResizeKernel,
                         ::testing::Combine(::testing::Values("x86-64-v3", "x86-64-v4"), ::testing::ValuesIn(kCases)),
                         [](const auto& info) {
                           return std::string(std::get<1>(info.param).name) + "_" +
                                  (std::string(std::get<0>(info.param)) == "x86-64-v3" ? "avx2" : "avx512");
                         });

class ResizeEngine : public TargetTest<const char*> {};

TEST_P(ResizeEngine, ResidualAddAndReluFuseIntoTheKernel) {
  // The FPN pattern: upsample the coarse level and add the finer one.
  std::string explain = expectSameAsReference(R"(<ir_version: 8, opset_import: ["" : 11]>
g (float[1,24,4,5] x, float[24,24,1,1] w) => (float[1,24,8,10] z)
<float[0] roi = {}, float[4] scales = {1, 1, 2, 2}>
{
  c = Resize <mode = "linear"> (x, roi, scales)
  p = Conv (c, w)
  f = Resize <mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"> (x, roi, scales)
  s = Add (f, p)
  z = Relu (s)
}
)",
                                              GetParam());
  EXPECT_NE(explain.find("nearest_c24x4x5_to_8x10 + add+relu"), std::string::npos) << explain;
}

std::string fallbackReason(const std::string& explain, const std::string& node) {
  size_t at = explain.find(node + " -> FALLBACK to the reference interpreter (");
  if (at == std::string::npos) return "not a fallback: " + explain;
  size_t open = explain.find('(', at + node.size()) + 1;
  return explain.substr(open, explain.find('\n', open) - open - 1);
}

TEST_P(ResizeEngine, EachUnsupportedCaseFallsBackWithItsReason) {
  auto reasonFor = [&](const std::string& shapes, const std::string& constants, const std::string& node) {
    return fallbackReason(explainEngine(fmt::format(R"(<ir_version: 8, opset_import: ["" : 18]>
g ({}) => (float[{}] y)
<{}>
{{ y = {} }}
)",
                                                    shapes.substr(0, shapes.find(" => ")),
                                                    shapes.substr(shapes.find(" => ") + 4), constants, node),
                                        GetParam()),
                          "Resize(y): Resize");
  };
  const std::string roi = "float[0] roi = {}";
  EXPECT_EQ(reasonFor("float[1,2,3,4] x => 1,2,6,8", roi + ", float[4] scales = {1, 1, 2, 2}",
                      R"(Resize <mode = "cubic"> (x, roi, scales))"),
            "mode cubic has no generator");
  EXPECT_EQ(reasonFor("float[1,2,3,4] x => 1,4,3,4", roi + ", float[4] scales = {1, 2, 1, 1}",
                      R"(Resize <mode = "nearest"> (x, roi, scales))"),
            "resizes the batch or channel axis");
  EXPECT_EQ(
      reasonFor("float[1,2,3,4] x, float[4] scales => 1,2,6,8", roi, R"(Resize <mode = "nearest"> (x, roi, scales))"),
      "scales 'scales' is not a constant");
  EXPECT_EQ(
      reasonFor(
          "float[1,2,3,4] x, float[8] roi => 1,2,6,8", "int64[4] sizes = {1, 2, 6, 8}",
          R"(Resize <mode = "nearest", coordinate_transformation_mode = "tf_crop_and_resize"> (x, roi, , sizes))"),
      "roi 'roi' is not a constant");
  EXPECT_EQ(reasonFor("float[2,3,4] x => 2,6,8", roi + ", float[3] scales = {1, 2, 2}",
                      R"(Resize <mode = "nearest"> (x, roi, scales))"),
            "input/output not a static 4-D float tensor");
  EXPECT_NE(reasonFor("float[1,2,3,4] x => 1,2,6,8", roi + ", float[4] scales = {1, 1, 2, 2}",
                      R"(Resize <mode = "linear", antialias = 1> (x, roi, scales))")
                .find("antialias=1 is not supported"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Targets, ResizeEngine, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "avx2" : "avx512"; });

}  // namespace
}  // namespace convopt::codegen
