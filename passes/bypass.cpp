#include "passes/bypass.h"

#include <fmt/format.h>

namespace convopt::passes {
namespace {

// Whether every body that captures `from`, at any depth, could capture a value
// named `name` instead (what replaceAllUsesWith does): none defines that name itself.
bool bodiesCanCaptureAs(const ir::Value& from, const std::string& name) {
  for (const ir::Use& use : from.uses()) {
    if (use.inputIndex != ir::Use::kImplicit) continue;
    for (const ir::Graph* body : use.user->subgraphs()) {
      const ir::Value* capture = body->findValue(from.name());
      if (!capture || !capture->isCapture()) continue;
      const ir::Value* taken = body->findValue(name);
      if ((taken && !taken->isCapture()) || !bodiesCanCaptureAs(*capture, name)) return false;
    }
  }
  return true;
}

}  // namespace

Status checkBypassable(const ir::Node& node, const ir::Value* value) {
  for (size_t i = 1; i < node.outputs().size(); ++i)  // more outputs than the op computes, at an unchecked opset
    if (const ir::Value* other = node.outputs()[i]; other && (other->hasUses() || other->isGraphOutput()))
      return Status::refuse(fmt::format("its output '{}' is read too", other->name()));
  if (!bodiesCanCaptureAs(*node.output(0), value->name()))
    return Status::refuse(
        fmt::format("a body reading its output defines a value named '{}' of its own", value->name()));
  if (!node.output(0)->isGraphOutput()) return Status::success();
  const ir::Node* producer = value->producer();
  if (!producer || producer->outputs().size() != 1 || !producer->implicitInputs().empty() ||
      value->uses().size() != 1 || value->isGraphOutput())
    return Status::refuse(
        "output is a graph output and its input is not a single-use single-output node result, so removing "
        "the node would rename the output");  // (a producer with a subgraph is not recreated either)
  return Status::success();
}

void bypassNode(ir::Graph& graph, ir::Node* node, ir::Value* value) {
  ir::Value* out = node->output(0);
  if (!out->isGraphOutput()) {
    graph.replaceAllUsesWith(out, value);
    graph.eraseNode(node);
    return;
  }
  // Recreate the producer under the output's name: its old result is read only by `node`.
  std::string outName = out->name();
  ir::ValueType outType = out->type.dtype == ir::DType::Undefined ? value->type : out->type;
  std::string outDoc = out->docString;
  bool outHasValueInfo = out->hasValueInfo;
  ir::Node* producer = value->producer();
  graph.replaceAllUsesWith(out, value);
  graph.eraseNode(node);
  ir::Node* copy = graph.createNode(producer->opType, producer->inputs(), {outName}, producer);
  copy->name = producer->name;
  copy->domain = producer->domain;
  copy->docString = producer->docString;
  copy->attributes = producer->attributes;
  copy->output(0)->type = outType;
  copy->output(0)->docString = outDoc;
  copy->output(0)->hasValueInfo = outHasValueInfo;
  graph.replaceAllUsesWith(value, copy->output(0));
  graph.eraseNode(producer);
}

}  // namespace convopt::passes
