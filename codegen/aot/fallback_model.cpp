#include "codegen/aot/fallback_model.h"

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "ir/error.h"
#include "ir/onnx_io.h"
#include "runtime/reference/interpreter.h"

namespace convopt::codegen {
namespace {

// Why the fallback library cannot hold `value` ("" if it can): its buffer is sized at compile time.
std::string unfixedReason(const ir::Value& value) {
  if (ir::elementSize(value.type.dtype) == 0)
    return fmt::format("it runs in libconvopt_fallback, which needs '{}' to have a numeric type", value.name());
  if (!value.type.hasStaticShape())
    return fmt::format(
        "it runs in libconvopt_fallback, which needs '{}' to have a shape known when compiling (where it is "
        "one of dynamic input dims: give them with --input-shape)",
        value.name());
  return "";
}

}  // namespace

std::string qualifiedOp(const ir::Node& node) {
  return node.domain.empty() ? node.opType : node.domain + "::" + node.opType;
}

std::string fallbackRefusal(const ir::Node& node,
                            const std::function<const ir::Tensor*(const ir::Value*)>& constantOf) {
  if (!runtime::referenceSupports(node.domain, node.opType))
    return "no reference implementation: --allow-fallback cannot run it either";
  if (!node.implicitInputs().empty())
    return fmt::format(
        "it reads '{}' from the enclosing graph through a subgraph: --allow-fallback runs single nodes only",
        node.implicitInputs().front()->name());
  for (const ir::Value* input : node.inputs())
    if (input && !constantOf(input))
      if (std::string reason = unfixedReason(*input); !reason.empty()) return reason;
  for (const ir::Value* output : node.outputs())
    if (output)
      if (std::string reason = unfixedReason(*output); !reason.empty()) return reason;
  return "";
}

FallbackModel makeFallbackModel(const ir::Model& model, const ir::Node& node,
                                const std::function<const ir::Tensor*(const ir::Value*)>& constantOf) {
  if (std::string refusal = fallbackRefusal(node, constantOf); !refusal.empty())
    throwInputError("node {} ({}) has no generated kernel, and {}", node.label(), qualifiedOp(node), refusal);
  ir::Model alone;
  alone.irVersion = model.irVersion;
  alone.opsets = model.opsets;
  alone.producerName = "convopt --allow-fallback";
  ir::Graph& graph = *alone.graph;
  graph.name = node.label();
  graph.initializerInputsAreConstant = model.graph->initializerInputsAreConstant;
  FallbackModel result;
  std::vector<ir::Value*> inputs;
  for (const ir::Value* input : node.inputs()) {
    if (!input) {
      inputs.push_back(nullptr);
    } else if (ir::Value* known = graph.findValue(input->name())) {
      inputs.push_back(known);
    } else if (const ir::Tensor* constant = constantOf(input)) {
      ir::Tensor copy = *constant;
      copy.name = input->name();
      inputs.push_back(graph.addInitializer(std::move(copy)));
    } else {
      inputs.push_back(graph.addInput(input->name(), input->type));
      result.inputs.push_back(input);
    }
  }
  std::vector<std::string> outputNames;
  for (const ir::Value* output : node.outputs()) outputNames.push_back(output ? output->name() : "");
  ir::Node* copy = graph.createNode(node.opType, inputs, outputNames);
  copy->name = node.name, copy->domain = node.domain, copy->attributes = node.attributes;
  for (size_t i = 0; i < node.outputs().size(); ++i) {
    if (!node.output(i)) continue;  // an optional output the model does not take
    copy->output(i)->type = node.output(i)->type;
    graph.markOutput(copy->output(i));
    result.outputs.push_back(node.output(i));
  }
  result.bytes = ir::exportModel(alone).SerializeAsString();
  return result;
}

}  // namespace convopt::codegen
