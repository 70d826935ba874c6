// Subgraphs (If/Loop/Scan bodies) in the IR: imported as graphs whose outer-scope
// reads are captures, listed as the owning node's implicit inputs; printed,
// cloned and edited like the main graph.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include "ir/onnx_io.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "runtime/reference/interpreter.h"

namespace convopt::ir {
namespace {

// An If whose else branch nests another If; `s` is read two scopes down.
constexpr const char* kNestedIf = R"(<ir_version: 8, opset_import: ["" : 13]>
g (bool[1] c, float[2] x) => (float[2] y)
{
  s = Relu (x)
  y = If <then_branch = then_body () => (float[2] t)
    {
      t = Add (s, x)
    }, else_branch = else_body () => (float[2] e)
    {
      k = If <then_branch = inner_then () => (float[2] a)
        {
          a = Neg (s)
        }, else_branch = inner_else () => (float[2] b)
        {
          b = Abs (x)
        }> (c)
      e = Identity (k)
    }> (c)
}
)";

Graph& body(const Node& node, size_t i) { return *node.subgraphs().at(i); }

std::vector<std::string> names(const std::vector<Value*>& values) {
  std::vector<std::string> out;
  for (const Value* v : values) out.push_back(v->name());
  return out;
}

TEST(Subgraph, DumpPrintsBodiesIndentedAndParsesBack) {
  std::string dump = printModel(parseModelText(kNestedIf));
  EXPECT_EQ(dump, kNestedIf);
  EXPECT_EQ(printModel(parseModelText(dump)), dump);
}

TEST(Subgraph, OuterReadsAreCapturesAndImplicitInputs) {
  Model model = parseModelText(kNestedIf);
  const Node& outerIf = *model.graph->findValue("y")->producer();
  EXPECT_EQ(names(outerIf.implicitInputs()), (std::vector<std::string>{"s", "x", "c"}));
  EXPECT_EQ(names(body(outerIf, 0).captures()), (std::vector<std::string>{"s", "x"}));
  // The else branch captures what its inner If reads, as well as its own reads.
  const Graph& elseBody = body(outerIf, 1);
  EXPECT_EQ(names(elseBody.captures()), (std::vector<std::string>{"c", "s", "x"}));
  const Node& innerIf = *elseBody.findValue("k")->producer();
  EXPECT_EQ(names(innerIf.implicitInputs()), (std::vector<std::string>{"s", "x"}));
  EXPECT_TRUE(elseBody.findValue("s")->isCapture());
  EXPECT_NO_THROW(verifyGraph(*model.graph));
}

TEST(Subgraph, ReplacingAnOuterValueRenamesItsCapturesAtEveryDepth) {
  Model model = parseModelText(kNestedIf);
  Graph& g = *model.graph;
  g.replaceAllUsesWith(g.findValue("s"), g.findValue("x"));
  g.eraseNode(g.findValue("s")->producer());
  const Node& outerIf = *g.findValue("y")->producer();
  EXPECT_EQ(names(outerIf.implicitInputs()), (std::vector<std::string>{"x", "c"}));
  const Graph& elseBody = body(outerIf, 1);
  EXPECT_EQ(elseBody.findValue("s"), nullptr);
  const Node& innerIf = *elseBody.findValue("k")->producer();
  EXPECT_EQ(names(innerIf.implicitInputs()), (std::vector<std::string>{"x"}));
  EXPECT_EQ(names(body(innerIf, 0).nodes().front()->inputs()), (std::vector<std::string>{"x"}));
  EXPECT_NO_THROW(verifyGraph(g));
  EXPECT_NO_THROW(importModel(exportModel(model), "."));
}

TEST(Subgraph, CloneCopiesBodies) {
  Model model = parseModelText(kNestedIf);
  std::unique_ptr<Graph> copy = model.graph->clone();
  Node& original = *model.graph->findValue("y")->producer();
  body(original, 0).nodes().front()->opType = "Sub";
  EXPECT_EQ(body(*copy->findValue("y")->producer(), 0).nodes().front()->opType, "Add");
}

TEST(Subgraph, ReferenceRunsTheBranchTheConditionPicks) {
  Model model = parseModelText(kNestedIf);
  Tensor x = Tensor::fromVector<float>(DType::Float, {2}, {-1.0f, 2.0f});
  auto run = [&](bool c) {
    runtime::TensorMap feed = {{"c", Tensor::fromVector<uint8_t>(DType::Bool, {1}, {c})}, {"x", x}};
    return runtime::runReference(model, feed).at("y").toFloatVector();
  };
  EXPECT_EQ(run(true), (std::vector<float>{-1.0f, 4.0f}));  // relu(x) + x
  EXPECT_EQ(run(false), (std::vector<float>{1.0f, 2.0f}));  // the inner If's else branch: |x|
}

}  // namespace
}  // namespace convopt::ir
