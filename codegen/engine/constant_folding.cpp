#include "codegen/engine/constant_folding.h"

#include "ir/shape_inference.h"
#include "runtime/reference/interpreter.h"

namespace convopt::codegen {

namespace {

// Inputs of `node` as constants, or empty if one is not constant.
std::optional<std::vector<ir::Tensor>> constantInputs(const ir::Node& node) {
  std::vector<ir::Tensor> inputs;
  if (node.opType == "Shape") {
    const ir::Value* x = node.input(0);
    if (!x || !x->type.hasStaticShape()) return std::nullopt;
    return std::vector<ir::Tensor>{ir::Tensor(ir::DType::Uint8, x->type.staticShape())};  // only its dims are read
  }
  for (const ir::Value* input : node.inputs()) {
    if (input && !input->initializer()) return std::nullopt;
    inputs.push_back(input ? *input->initializer() : ir::Tensor());
  }
  return inputs;
}

bool foldable(const ir::Node& node) {
  if (!node.domain.empty() || !node.implicitInputs().empty() || !runtime::referenceSupports("", node.opType)) return false;
  for (const ir::Value* output : node.outputs())
    if (output->isGraphOutput()) return false;
  for (const ir::Attribute& attribute : node.attributes)
    if (attribute.kind == ir::AttrKind::Opaque) return false;  // subgraphs
  return true;
}

int foldOnce(ir::Graph& graph, int64_t opset) {
  int folded = 0;
  for (ir::Node* node : graph.nodes()) {
    if (!foldable(*node)) continue;
    std::optional<std::vector<ir::Tensor>> inputs = constantInputs(*node);
    if (!inputs) continue;
    std::vector<const ir::Tensor*> pointers;
    for (size_t i = 0; i < inputs->size(); ++i) pointers.push_back(node->input(i) ? &(*inputs)[i] : nullptr);
    std::vector<ir::Tensor> outputs = runtime::runNodeReference(*node, pointers, opset);
    for (size_t i = 0; i < outputs.size() && i < node->outputs().size(); ++i) {
      ir::Value* old = node->output(i);
      outputs[i].name = graph.uniqueName(old->name() + "_folded");
      ir::Value* constant = graph.addInitializer(std::move(outputs[i]));
      constant->type = ir::ValueType::tensor(constant->initializer()->dtype(), constant->initializer()->dims());
      graph.replaceAllUsesWith(old, constant);
    }
    graph.eraseNode(node);
    ++folded;
  }
  return folded;
}

}  // namespace

void foldConstantsAndInferShapes(ir::Model& model) {
  do {
    ir::inferShapes(model);
  } while (foldOnce(*model.graph, model.defaultOpset()) > 0);
}

}  // namespace convopt::codegen
