// fold-constants: values that do not depend on the graph inputs become initializers.
//
//   Before: w = Constant<value = float[2] {1, 2}>(); y = Mul(x, w)
//   After:  <float[2] w = {1, 2}>  y = Mul(x, w)
//   Before: s = Shape(x) with x: float[1,8,4,4]     After: <int64[4] s = {1, 8, 4, 4}>
//
// Legality (each failing condition is a rejection reason):
//   - Constant: the value is a tensor, value_float(s) or value_int(s)
//     (sparse and string values stay);
//   - Shape: the input's shape is fully static (after shape inference);
// The folded value keeps its name, so graph outputs and readers are unaffected.
#include <algorithm>

#include "passes/conv_utils.h"

namespace convopt::passes {
namespace {

std::optional<std::string> constantValue(const ir::Node& node, ir::Tensor& out) {
  if (node.attributes.size() != 1) return "Constant without exactly one value attribute";
  const ir::Attribute& a = node.attributes[0];
  if (a.name == "value" && a.kind == ir::AttrKind::Tensor) out = a.t;
  else if (a.name == "value_float") out = ir::Tensor::fromVector(ir::DType::Float, {}, std::vector<float>{a.f});
  else if (a.name == "value_floats")
    out = ir::Tensor::fromVector(ir::DType::Float, {static_cast<int64_t>(a.floats.size())}, a.floats);
  else if (a.name == "value_int") out = ir::Tensor::scalarInt64(a.i);
  else if (a.name == "value_ints")
    out = ir::Tensor::fromVector(ir::DType::Int64, {static_cast<int64_t>(a.ints.size())}, a.ints);
  else return "Constant value '" + a.name + "' is not folded (sparse or string)";
  return std::nullopt;
}

std::optional<std::string> shapeValue(const ir::Node& node, ir::Tensor& out) {
  const ir::Value* in = node.input(0);
  if (!in || !in->type.hasStaticShape()) return "input shape is not static";
  std::vector<int64_t> dims = in->type.staticShape();
  auto rank = static_cast<int64_t>(dims.size());
  auto clampAxis = [&](int64_t axis) { return std::clamp(axis < 0 ? axis + rank : axis, int64_t{0}, rank); };
  int64_t start = clampAxis(node.getInt("start", 0)), end = clampAxis(node.getInt("end", rank));
  std::vector<int64_t> kept(dims.begin() + start, dims.begin() + std::max(start, end));
  out = ir::Tensor::fromVector(ir::DType::Int64, {static_cast<int64_t>(kept.size())}, kept);
  return std::nullopt;
}

// Makes `value` (output 0 of its producer) an initializer under the same name.
void replaceWithConstant(ir::Graph& graph, ir::Value* value, ir::Tensor tensor) {
  std::string name = value->name();
  ir::Node* producer = value->producer();
  ir::Value* placeholder = graph.createValue(graph.uniqueName(name + "_folding"));
  graph.replaceAllUsesWith(value, placeholder);
  graph.eraseNode(producer);
  tensor.name = name;
  ir::Value* folded = graph.addInitializer(std::move(tensor));
  graph.replaceAllUsesWith(placeholder, folded);
  graph.eraseValue(placeholder);
}

class FoldConstantsPass final : public Pass {
 public:
  std::string_view name() const override { return "fold-constants"; }

  void run(ir::Graph& graph, PassContext& context) override {
    for (ir::Node* node : graph.nodes()) {
      if (!node->domain.empty() || (node->opType != "Constant" && node->opType != "Shape")) continue;
      ir::Tensor value;
      auto reason = node->opType == "Constant" ? constantValue(*node, value) : shapeValue(*node, value);
      if (reason) {
        context.reject(*node, *reason);
        continue;
      }
      context.matched();
      replaceWithConstant(graph, node->output(0), std::move(value));
      context.rewritten();
    }
  }
};

}  // namespace

std::unique_ptr<Pass> createFoldConstantsPass() { return std::make_unique<FoldConstantsPass>(); }

}  // namespace convopt::passes
