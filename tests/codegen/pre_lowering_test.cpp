// The pre-lowering pipeline (codegen/lowering/pre_lowering.h) against the
// reference interpreter, on both targets: the models whose plans the FileCheck
// tests tests/filecheck/pre_lowering_plan_*.onnxtxt spell out compute what the
// unfused graph computes, with every node lowered as its plan says.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;
using testing::has;

std::string filecheckModel(const std::string& name) {
  std::ifstream file(std::string(CONVOPT_SOURCE_DIR) + "/tests/filecheck/" + name + ".onnxtxt");
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

class PreLowering : public TargetTest<const char*> {};

TEST_P(PreLowering, ResidualAddFusesIntoTheKernelThatRunsLast) {
  // wdyn is fed at run time: Conv(d) has no constant weights, and falls back.
  std::string explain =
      expectSameAsReference(filecheckModel("pre_lowering_plan_epilogues"), GetParam(), {.runtimeInputs = 2});
  EXPECT_EQ(has(explain, "Add(y): Add -> fused into k3_dense"), "");
  EXPECT_EQ(has(explain, "Relu(r): Relu -> kernel k1_elementwise (relu)"), "");
  EXPECT_EQ(has(explain, "Relu(z): Relu -> kernel k4_elementwise (relu)"), "");
  EXPECT_EQ(has(explain, "1 fallback node(s)"), "");
}

TEST_P(PreLowering, ConcatInPlaceComposedGathersAndScaledWeights) {
  std::string explain = expectSameAsReference(filecheckModel("pre_lowering_plan_gathers"), GetParam());
  EXPECT_EQ(has(explain, "Concat(c): Concat -> in place: 2 of 2 input(s) written into its buffer by their producers"),
            "");
  EXPECT_EQ(has(explain, "Transpose(t): Transpose -> fused into k2_gather"), "");
  EXPECT_EQ(has(explain, "Mul(m): Mul -> fused into k5_weightscale"), "");
  EXPECT_EQ(has(explain, "0 fallback node(s)"), "");
}

INSTANTIATE_TEST_SUITE_P(Targets, PreLowering, ::testing::Values("x86-64-v3", "x86-64-v4"),
                         [](const auto& info) { return std::string(info.param) == "x86-64-v3" ? "AVX2" : "AVX512"; });

}  // namespace
}  // namespace convopt::codegen
