// The IR's use-def bookkeeping, sorting and text form.
#include <gtest/gtest.h>

#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/printer.h"
#include "ir/verifier.h"

namespace convopt::ir {
namespace {

constexpr const char* kTwoConvs = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,4,4] x) => (float[1,2,4,4] z)
<float[2,2,1,1] w = {1, 0, 0, 1}>
{
  y = Conv <group = 1> (x, w)
  z = Relu (y)
}
)";

TEST(Graph, UseListsFollowEdits) {
  Model model = parseModelText(kTwoConvs);
  Graph& g = *model.graph;
  Value* x = g.findValue("x");
  Value* y = g.findValue("y");
  ASSERT_EQ(y->uses().size(), 1u);
  EXPECT_EQ(y->uses()[0].user->opType, "Relu");
  Node* relu = y->uses()[0].user;
  g.replaceAllUsesWith(y, x);
  EXPECT_FALSE(y->hasUses());
  EXPECT_EQ(relu->input(0), x);
  g.eraseNode(y->producer());
  EXPECT_EQ(g.numNodes(), 1u);
  EXPECT_EQ(g.findValue("y"), nullptr);
}

TEST(Graph, TopologicalSortRepairsOrderAndFindsCycles) {
  Model model = parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  z = Relu (y)
  y = Neg (x)
}
)");
  verifyGraph(*model.graph);
  EXPECT_EQ(model.graph->nodes()[0]->opType, "Neg");

  Model cyclic = parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  a = Add (x, b)
  b = Relu (a)
  z = Neg (b)
}
)");
  try {
    verifyGraph(*cyclic.graph);
    FAIL() << "a cycle must be rejected";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "node Add(a): is part of a cycle (the graph is not a DAG)");
  }
}

TEST(Graph, UndefinedInputIsNamed) {
  try {
    parseModelText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] z)
{
  z = Add (x, missing)
}
)");
    FAIL() << "an undefined input must be rejected";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "node Add(z): input 'missing' is not defined");
  }
}

TEST(Printer, DumpParsesBackToTheSameDump) {
  Model model = parseModelText(kTwoConvs);
  std::string dump = printModel(model);
  EXPECT_EQ(dump, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1,2,4,4] x) => (float[1,2,4,4] z)
<float[2,2,1,1] w = {1, 0, 0, 1}>
{
  y = Conv <group = 1> (x, w)
  z = Relu (y)
}
)");
  EXPECT_EQ(printModel(parseModelText(dump)), dump);
}

TEST(Graph, CloneIsIndependent) {
  Model model = parseModelText(kTwoConvs);
  auto copy = model.graph->clone();
  model.graph->findValue("w")->mutableInitializer()->data<float>()[0] = 5;
  EXPECT_EQ(copy->findValue("w")->initializer()->data<float>()[0], 1.0f);
  EXPECT_EQ(printGraph(*copy), printGraph(*parseModelText(kTwoConvs).graph));
}

}  // namespace
}  // namespace convopt::ir
