// Softmax kernels on plain tensors against the reference interpreter, on both
// vector widths: opset 7/11 (coerced to 2-D at `axis`, so every axis is
// contiguous) and opset 13 (along the innermost axis), row lengths below, at
// and past the vector width, inputs of large magnitude (the max is subtracted
// first) checked to a relative 1e-6 plus the rounding of x - max; an opset-13
// axis that is not innermost as a softmax per vector lane over columns.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen::testing {
namespace {

class SoftmaxKernels : public TargetTest<const char*> {
 protected:
  // Softmax <axis> on x of `dims` under `opset`: checked, returns --explain.
  std::string check(int opset, const std::string& dims, int axis, float magnitude) {
    std::string text = fmt::format(R"(<ir_version: 8, opset_import: ["" : {}]>
g (float[{}] x) => (float[{}] y)
{{
  y = Softmax <axis = {}> (x)
}}
)",
                                   opset, dims, dims, axis);
    ReferenceCheck check;
    check.magnitude = magnitude;
    // Relative (probabilities span many decades): 1e-6 for exp, the sum and the
    // scale, plus the float rounding of x - max (|x - max| <= 2 * magnitude)
    // that the reference computes in double.
    check.tolerance = 1e-6f + 2 * magnitude * 0x1p-24f, check.absolute = 1e-30f;
    return expectSameAsReference(text, GetParam(), check);
  }
};

TEST_P(SoftmaxKernels, Opset13AlongTheInnermostAxis) {
  for (const char* dims : {"3,1", "3,5", "2,3,8", "2,3,17", "4,40", "2,100"}) {
    std::string explain = check(13, dims, -1, 8);
    EXPECT_NE(explain.find("-> kernel"), std::string::npos) << explain;
  }
  // Trailing dims of 1 keep the axis contiguous.
  EXPECT_NE(check(13, "2,19,1,1", 1, 30).find("2 rows of 19"), std::string::npos);
}

TEST_P(SoftmaxKernels, OlderOpsetsFlattenFromTheAxis) {
  for (int opset : {7, 11}) {
    EXPECT_NE(check(opset, "2,3,17", 1, 30).find("2 rows of 51"), std::string::npos);
    EXPECT_NE(check(opset, "2,3,17", 2, 30).find("6 rows of 17"), std::string::npos);
    EXPECT_NE(check(opset, "2,3,17", 0, 30).find("1 rows of 102"), std::string::npos);
    EXPECT_NE(check(opset, "2,3,17", -2, 30).find("2 rows of 51"), std::string::npos);
  }
}

TEST_P(SoftmaxKernels, SmallInputsAreAccurateToAMillionthRelative) {
  // |x - max| <= 1: the tolerance is 1.06e-6, almost all of it for the vector exp.
  EXPECT_NE(check(13, "4,40", -1, 0.5f).find("4 rows of 40"), std::string::npos);
}

TEST_P(SoftmaxKernels, LargeMagnitudesStayFinite) {
  // exp(1000) overflows unless the row's max is subtracted first.
  std::string explain = check(13, "5,33", -1, 1000);
  EXPECT_NE(explain.find("5 rows of 33"), std::string::npos) << explain;
}

TEST_P(SoftmaxKernels, AnAxisBeforeTheInnermostIsASoftmaxPerLane) {
  // Columns below, past and at multiples of the vector width (the last block masked),
  // a channel softmax of NCHW logits, a detection head's distribution axis.
  EXPECT_NE(check(13, "2,5,7", 1, 8).find("2 rows of 7 along an axis of 5"), std::string::npos);
  EXPECT_NE(check(13, "2,5,37", -2, 30).find("2 rows of 37 along an axis of 5"), std::string::npos);
  EXPECT_NE(check(13, "1,21,6,8", 1, 30).find("1 rows of 48 along an axis of 21"), std::string::npos);
  EXPECT_NE(check(13, "1,4,16,80", 2, 1000).find("4 rows of 80 along an axis of 16"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Targets, SoftmaxKernels, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen::testing
