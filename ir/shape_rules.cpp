#include "ir/shape_rules.h"

#include "ir/error.h"

namespace convopt::ir {
namespace {

const ShapeRuleTable& ruleTable() {
  static const ShapeRuleTable table = [] {
    ShapeRuleTable t;
    addConvShapeRules(t);
    addElementwiseShapeRules(t);
    addLinearShapeRules(t);
    addLayoutShapeRules(t);
    addReduceShapeRules(t);
    addControlFlowShapeRules(t);
    addSizingShapeRules(t);
    return t;
  }();
  return table;
}

const Tensor* constantTensor(const Value* v) {
  v = v ? v->definition() : nullptr;
  if (!v) return nullptr;
  if (v->initializer()) return v->initializer();
  const Node* producer = v->producer();
  if (!producer || producer->opType != "Constant" || !producer->domain.empty()) return nullptr;
  const Attribute* value = producer->findAttribute("value");
  return value && value->kind == AttrKind::Tensor ? &value->t : nullptr;
}

}  // namespace

ShapeRule findShapeRule(const Node& node) {
  if (!node.domain.empty() && node.domain != "ai.onnx") return nullptr;
  auto it = ruleTable().find(node.opType);
  return it == ruleTable().end() ? nullptr : it->second;
}

std::optional<Shape> inputShape(const Node& node, size_t i) {
  const Value* v = node.input(i);
  if (!v) return std::nullopt;
  return v->type.shape;
}

DType inputDType(const Node& node, size_t i) {
  const Value* v = node.input(i);
  return v ? v->type.dtype : DType::Undefined;
}

std::optional<std::vector<int64_t>> KnownValues::ints(const Value* value) const {
  if (!value) return std::nullopt;
  if (auto it = values_.find(value); it != values_.end()) return it->second;
  const Tensor* t = constantTensor(value);
  if (!t || t->dtype() == DType::Float || t->dtype() == DType::Double || t->dtype() == DType::String ||
      elementSize(t->dtype()) == 0)
    return std::nullopt;
  return t->toInt64Vector();
}

std::optional<std::vector<float>> constantFloats(const Node& node, size_t i) {
  const Tensor* t = constantTensor(node.input(i));
  if (!t || (t->dtype() != DType::Float && t->dtype() != DType::Double)) return std::nullopt;
  return t->toFloatVector();
}

std::string dimsText(const Shape& shape) {
  std::string text;
  for (const Dim& d : shape)
    text += (text.empty() ? "" : ",") + (d.isStatic() ? std::to_string(d.value) : d.param.empty() ? "?" : d.param);
  return "[" + text + "]";
}

ValueType makeType(DType dtype, std::optional<Shape> shape) {
  ValueType type;
  type.dtype = dtype;
  type.shape = std::move(shape);
  return type;
}

int64_t normalizeAxis(const Node& node, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    throwInputError("node {}: axis {} is out of range for rank {}", node.label(), axis, rank);
  return axis < 0 ? axis + rank : axis;
}

Shape broadcastShapes(const Node& node, const Shape& a, const Shape& b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right; a missing leading dim acts as 1.
    Dim da = i + a.size() >= rank ? a[i + a.size() - rank] : staticDim(1);
    Dim db = i + b.size() >= rank ? b[i + b.size() - rank] : staticDim(1);
    if (da.value == 1)
      out[i] = db;
    else if (db.value == 1)
      out[i] = da;
    else if (da == db)
      out[i] = da;
    else if (da.isStatic() && db.isStatic())
      throwInputError("node {}: shapes do not broadcast (dimension {} is {} in one input and {} in the other)",
                      node.label(), i, da.value, db.value);
    else
      out[i] = da.isStatic() ? da : db.isStatic() ? db : Dim{};
  }
  return out;
}

Dim staticDim(int64_t value) { return Dim{value, {}}; }

}  // namespace convopt::ir
