// Concat in place (codegen/concat_in_place.h): the producers of a channel
// Concat's inputs write into its buffer and no kernel copies them; each
// legality condition has a case that keeps the copying gather kernel. Engine
// against the reference on random inputs, both targets, two threads.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/codegen_reference_check.h"
#include "tests/support/target_cpus.h"

namespace convopt::codegen {
namespace {

using testing::expectSameAsReference;
using testing::has;

constexpr const char* kHeader = R"(<ir_version: 8, opset_import: ["" : 13]>
)";

class ConcatInPlace : public TargetTest<const char*> {};

TEST_P(ConcatInPlace, ProducersWriteIntoTheConcatBuffer) {
  std::string explain = expectSameAsReference(std::string(kHeader) + R"(
g (float[1,16,6,7] x, float[16,16,3,3] w1, float[32,16,1,1] w2) => (float[1,48,6,7] y) {
  a = Conv <pads = [1, 1, 1, 1]> (x, w1)
  b = Conv (x, w2)
  r = Relu (b)
  y = Concat <axis = 1> (a, r)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Concat(y): Concat -> in place: 2 of 2 input(s) written into its buffer"), "");
  EXPECT_NE(has(explain, "_gather"), "");
}

TEST_P(ConcatInPlace, GraphInputIsReorderedIntoPlace) {
  std::string explain = expectSameAsReference(std::string(kHeader) + R"(
g (float[1,16,5,5] x, float[8,16,1,1] w) => (float[1,24,5,5] y) {
  a = Conv (x, w)
  y = Concat <axis = -3> (x, a)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Concat(y): Concat -> in place: 2 of 2"), "");
}

TEST_P(ConcatInPlace, NestedConcatsShareOneBufferAndInputsStayReadable) {
  std::string explain = expectSameAsReference(std::string(kHeader) + R"(
g (float[1,16,4,9] x, float[16,16,1,1] w1, float[16,16,3,3] w2, float[8,16,1,1] w3, float[16,16,1,1] w4)
  => (float[1,40,4,9] y, float[1,16,4,9] z) {
  a = Conv (x, w1)
  b = Conv <pads = [1, 1, 1, 1]> (a, w2)
  inner = Concat <axis = 1> (a, b)
  c = Conv (x, w3)
  y = Concat <axis = 1> (inner, c)
  z = Conv (a, w4)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Concat(inner): Concat -> in place: 2 of 2"), "");
  EXPECT_EQ(has(explain, "Concat(y): Concat -> in place: 2 of 2"), "");
  EXPECT_NE(has(explain, "_gather"), "");
}

TEST_P(ConcatInPlace, InputStoredElsewhereIsCopiedIntoPlace) {
  // i aliases a, which has its own buffer: i is copied, b is written in place.
  std::string explain = expectSameAsReference(std::string(kHeader) + R"(
g (float[1,16,3,5] x, float[16,16,1,1] w1, float[16,16,1,1] w2) => (float[1,32,3,5] y, float[1,16,3,5] a) {
  a = Conv (x, w1)
  i = Identity (a)
  b = Conv (x, w2)
  y = Concat <axis = 1> (i, b)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Concat(y): Concat -> in place: 1 of 2"), "");
  EXPECT_EQ(has(explain, "Concat(y): Concat -> kernel k2_gather (copy of i into the concat)"), "");
}

// Negative cases: the Concat stays a copying gather kernel.
TEST_P(ConcatInPlace, ConditionsNotMetKeepTheGatherKernel) {
  struct Case {
    const char* why;
    std::string model;
  };
  Case cases[] = {
      {"batch 2: an input's blocks interleave with the others'", R"(
g (float[2,16,3,5] x, float[16,16,1,1] w) => (float[2,32,3,5] y) {
  a = Conv (x, w)
  y = Concat <axis = 1> (a, x)
}
)"},
      {"second input starts inside a vector block", R"(
g (float[1,16,3,5] x, float[12,16,1,1] w) => (float[1,28,3,5] y) {
  a = Conv (x, w)
  y = Concat <axis = 1> (a, x)
}
)"},
      {"the same input twice", R"(
g (float[1,16,3,5] x, float[16,16,1,1] w) => (float[1,32,3,5] y) {
  a = Conv (x, w)
  y = Concat <axis = 1> (a, a)
}
)"},
      {"not along channels", R"(
g (float[1,16,3,5] x, float[16,16,1,1] w) => (float[1,16,6,5] y) {
  a = Conv (x, w)
  y = Concat <axis = 2> (a, x)
}
)"},
  };
  for (const Case& c : cases) {
    std::string explain = expectSameAsReference(kHeader + c.model, GetParam());
    EXPECT_NE(has(explain, "in place"), "") << c.why << "\n" << explain;
  }
}

TEST_P(ConcatInPlace, InputOfAnEarlierConcatIsCopiedByTheLaterOne) {
  std::string explain = expectSameAsReference(std::string(kHeader) + R"(
g (float[1,16,3,5] x, float[16,16,1,1] w1, float[16,16,1,1] w2) => (float[1,32,3,5] y1, float[1,32,3,5] y2) {
  a = Conv (x, w1)
  b = Conv (x, w2)
  y1 = Concat <axis = 1> (a, b)
  y2 = Concat <axis = 1> (b, a)
}
)",
                                              GetParam());
  EXPECT_EQ(has(explain, "Concat(y1): Concat -> in place: 2 of 2"), "");
  EXPECT_EQ(has(explain, "Concat(y2): Concat -> kernel k2_gather (channel concat: 32 channel(s) from 2 source(s))"),
            "");
}

INSTANTIATE_TEST_SUITE_P(Targets, ConcatInPlace, ::testing::Values("x86-64-v3", "x86-64-v4"));

}  // namespace
}  // namespace convopt::codegen
