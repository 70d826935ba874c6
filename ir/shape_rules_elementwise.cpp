// Shape rules for elementwise ops: unary ops keep their input's type,
// variadic ops broadcast numpy-style, comparisons yield bool, Cast changes dtype.
#include "ir/shape_rules.h"

namespace convopt::ir {
namespace {

// Output = input 0's type (unary activations, normalisations, Dropout, ...).
std::vector<ValueType> sameAsInputRule(const Node& node, const KnownValues&) {
  const Value* x = node.input(0);
  if (!x) return {};
  return {makeType(x->type.dtype, x->type.shape)};
}

std::optional<Shape> broadcastInputs(const Node& node, size_t first) {
  std::optional<Shape> out;
  for (size_t i = first; i < node.inputs().size(); ++i) {
    auto shape = inputShape(node, i);
    if (!node.input(i)) continue;
    if (!shape) return std::nullopt;
    out = out ? broadcastShapes(node, *out, *shape) : *shape;
  }
  return out;
}

std::vector<ValueType> broadcastRule(const Node& node, const KnownValues&) {
  return {makeType(inputDType(node, 0), broadcastInputs(node, 0))};
}

std::vector<ValueType> compareRule(const Node& node, const KnownValues&) {
  return {makeType(DType::Bool, broadcastInputs(node, 0))};
}

// Where(cond, x, y): x's dtype, all three broadcast.
std::vector<ValueType> whereRule(const Node& node, const KnownValues&) {
  return {makeType(inputDType(node, 1), broadcastInputs(node, 0))};
}

std::vector<ValueType> castRule(const Node& node, const KnownValues&) {
  return {makeType(static_cast<DType>(node.getInt("to", 0)), inputShape(node, 0))};
}

}  // namespace

void addElementwiseShapeRules(ShapeRuleTable& table) {
  for (const char* op : {"Relu",
                         "LeakyRelu",
                         "PRelu",
                         "Sigmoid",
                         "HardSigmoid",
                         "HardSwish",
                         "Tanh",
                         "Clip",
                         "Elu",
                         "Selu",
                         "Celu",
                         "Gelu",
                         "Mish",
                         "Softplus",
                         "Softsign",
                         "Exp",
                         "Log",
                         "Neg",
                         "Abs",
                         "Sqrt",
                         "Reciprocal",
                         "Floor",
                         "Ceil",
                         "Round",
                         "Sign",
                         "Erf",
                         "Sin",
                         "Cos",
                         "Identity",
                         "Dropout",
                         "Softmax",
                         "LogSoftmax",
                         "BatchNormalization",
                         "InstanceNormalization",
                         "GroupNormalization",
                         "LayerNormalization",
                         "LRN",
                         "ThresholdedRelu",
                         "Shrink"})
    table[op] = sameAsInputRule;
  // PRelu's slope broadcasts into X, so X's shape is the output's; listed above.
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Mod", "BitShift"})
    table[op] = broadcastRule;
  for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"})
    table[op] = compareRule;
  table["Not"] = sameAsInputRule;
  table["Where"] = whereRule;
  table["Cast"] = castRule;
}

}  // namespace convopt::ir
