// Initializers that are also graph inputs: constants below IR version 4 (which
// required every initializer to be listed as an input), overridable defaults
// from IR 4 on. Export keeps IR < 4 models valid: every initializer, including
// those added after import, is listed as an input.
#include <gtest/gtest.h>

#include <google/protobuf/util/message_differencer.h>
#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "ir/onnx_io.h"
#include "ir/tensor_proto.h"

namespace convopt::ir {
namespace {

// The IR-3 form: the weight w is both an input and an initializer.
constexpr const char* kIr3Conv = R"(<ir_version: 3, opset_import: ["" : 8]>
g (float[1,2,3,3] x, float[2,2,1,1] w) => (float[1,2,3,3] y)
<float[2,2,1,1] w = {1, 0, 0, 1}>
{
  y = Conv (x, w)
}
)";

// The same at IR 7, plus a bias that is only an initializer.
constexpr const char* kIr7Conv = R"(<ir_version: 7, opset_import: ["" : 8]>
g (float[1,2,3,3] x, float[2,2,1,1] w) => (float[1,2,3,3] y)
<float[2,2,1,1] w = {1, 0, 0, 1}, float[2] b = {1, 2}>
{
  y = Conv (x, w, b)
}
)";

onnx::ModelProto parseProto(const char* text) {
  onnx::ModelProto proto;
  auto status = onnx::OnnxParser::Parse(proto, text);
  EXPECT_TRUE(status.IsOK()) << status.ErrorMessage();
  return proto;
}

Tensor floats(const char* name, std::vector<int64_t> dims, const std::vector<float>& values) {
  Tensor t = Tensor::fromVector(DType::Float, std::move(dims), values);
  t.name = name;
  return t;
}

std::vector<std::string> inputNames(const onnx::ModelProto& proto) {
  std::vector<std::string> names;
  for (const auto& vi : proto.graph().input()) names.push_back(vi.name());
  return names;
}

TEST(InitializerInputs, BelowIr4AnInitializerListedAsInputIsAConstant) {
  Model model = parseModelText(kIr3Conv);
  EXPECT_TRUE(model.graph->initializerInputsAreConstant);
  const Value* w = model.graph->findValue("w");
  EXPECT_TRUE(w->isGraphInput());
  EXPECT_TRUE(w->isConstant());
  EXPECT_FALSE(model.graph->findValue("x")->isConstant());
  EXPECT_TRUE(model.graph->clone()->findValue("w")->isConstant());
}

TEST(InitializerInputs, FromIr4AnInitializerListedAsInputIsOverridable) {
  Model model = parseModelText(kIr7Conv);
  EXPECT_FALSE(model.graph->initializerInputsAreConstant);
  EXPECT_FALSE(model.graph->findValue("w")->isConstant());
  EXPECT_TRUE(model.graph->findValue("b")->isConstant());  // not an input: a constant at any IR version
  EXPECT_FALSE(model.graph->clone()->findValue("w")->isConstant());
}

TEST(InitializerInputs, UnchangedIr3ModelRoundTripsExactly) {
  onnx::ModelProto original = parseProto(kIr3Conv);
  onnx::ModelProto exported = exportModel(importModel(original, "."));
  // Export writes tensors as raw_data; the parser wrote float_data.
  onnx::TensorProto raw;
  tensorToProto(tensorFromProto(original.graph().initializer(0), "."), raw);
  *original.mutable_graph()->mutable_initializer(0) = raw;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);  // unset == ""
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(original, exported)) << differences;
  EXPECT_NO_THROW(onnx::checker::check_model(exported));
}

TEST(InitializerInputs, Ir3ExportListsNewInitializersAsInputsAndDropsRemovedOnes) {
  Model model = parseModelText(kIr3Conv);
  Graph& graph = *model.graph;
  Node* conv = graph.nodes()[0];
  Value* w = graph.findValue("w");
  Value* b = graph.addInitializer(floats("b", {2}, {1, 2}));
  Value* w2 = graph.addInitializer(floats("w2", {2, 2, 1, 1}, {2, 0, 0, 2}));
  conv->setInput(1, w2);
  conv->addInput(b);
  graph.removeInput(w);
  graph.eraseValue(w);

  onnx::ModelProto exported = exportModel(model);
  EXPECT_EQ(inputNames(exported), (std::vector<std::string>{"x", "b", "w2"}));
  EXPECT_EQ(exported.graph().input(2).type().tensor_type().shape().dim_size(), 4);
  EXPECT_EQ(exported.graph().input(2).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_NO_THROW(onnx::checker::check_model(exported));
  // Imported again, the new initializers are constants too.
  EXPECT_TRUE(importModel(exported, ".").graph->findValue("w2")->isConstant());
}

TEST(InitializerInputs, Ir7ExportListsOnlyTheDeclaredInputs) {
  Model model = parseModelText(kIr7Conv);
  model.graph->addInitializer(floats("unused", {1}, {0}));
  EXPECT_EQ(inputNames(exportModel(model)), (std::vector<std::string>{"x", "w"}));
}

}  // namespace
}  // namespace convopt::ir
