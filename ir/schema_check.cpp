#include "ir/schema_check.h"

#include <onnx/defs/schema.h>

#include <map>
#include <set>
#include <string>

#include "ir/error.h"

namespace convopt::ir {

namespace {

using Opsets = std::map<std::string, int>;

std::string label(const onnx::NodeProto& node) {
  return node.name().empty() ? node.op_type() + "(" + (node.output_size() ? node.output(0) : "") + ")"
                             : "'" + node.name() + "'";
}

// Window attributes libonnx divides by or sizes loops with.
void checkPositiveAttributes(const onnx::NodeProto& node) {
  static const std::set<std::string> positive = {"strides", "dilations", "kernel_shape", "group"};
  for (const onnx::AttributeProto& attribute : node.attribute()) {
    if (!positive.count(attribute.name())) continue;
    if (attribute.type() == onnx::AttributeProto::INT && attribute.i() < 1)
      throwInputError("node {}: {} is {}, not positive", label(node), attribute.name(), attribute.i());
    for (int64_t value : attribute.ints())
      if (value < 1) throwInputError("node {}: {} has {}, not positive", label(node), attribute.name(), value);
  }
}

void checkGraph(const onnx::GraphProto& graph, const Opsets& opsets) {
  for (const onnx::NodeProto& node : graph.node()) {
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    auto opset = opsets.find(domain);
    const onnx::OpSchema* schema =
        opset == opsets.end() ? nullptr : onnx::OpSchemaRegistry::Schema(node.op_type(), opset->second, domain);
    if (schema) {
      try {
        schema->Verify(node);
      } catch (const std::exception& e) {
        throwInputError("node {}: {}", label(node), e.what());
      }
      checkPositiveAttributes(node);
    }
    for (const onnx::AttributeProto& attribute : node.attribute()) {
      if (attribute.has_g()) checkGraph(attribute.g(), opsets);
      for (const onnx::GraphProto& subgraph : attribute.graphs()) checkGraph(subgraph, opsets);
    }
  }
}

}  // namespace

void checkNodesAgainstSchemas(const onnx::ModelProto& model) {
  // Only the domains at opsets libonnx knows: a newer opset's nodes may use
  // what the schemas it has do not describe yet.
  const auto& known = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  Opsets opsets;
  for (const onnx::OperatorSetIdProto& import : model.opset_import()) {
    std::string domain = import.domain() == "ai.onnx" ? "" : import.domain();
    auto range = known.find(domain);
    if (range != known.end() && import.version() <= range->second.second) opsets[domain] = int(import.version());
  }
  checkGraph(model.graph(), opsets);
}

}  // namespace convopt::ir
