// Shape rules for reductions (ReduceMean, ReduceSum, ..., ArgMax/ArgMin):
// axes from the attribute (opset < 18, and ArgMax's single axis) or input 1.
#include "ir/shape_rules.h"

namespace convopt::ir {
namespace {

std::vector<ValueType> reduceRule(const Node& node, const KnownValues& known) {
  auto x = inputShape(node, 0);
  bool isArg = node.opType == "ArgMax" || node.opType == "ArgMin";
  DType dtype = isArg ? DType::Int64 : inputDType(node, 0);
  if (!x) return {makeType(dtype, std::nullopt)};
  auto rank = static_cast<int64_t>(x->size());
  std::optional<std::vector<int64_t>> axes;
  if (isArg)
    axes = std::vector<int64_t>{node.getInt("axis", 0)};
  else if (const Attribute* a = node.findAttribute("axes"))
    axes = a->ints;
  else if (node.input(1))
    axes = known.ints(node.input(1));
  else
    axes = std::vector<int64_t>{};
  bool keepDims = node.getInt("keepdims", 1) != 0;
  if (!axes) return {makeType(dtype, keepDims ? std::optional<Shape>(Shape(x->size())) : std::nullopt)};
  // No axes: every axis, unless noop_with_empty_axes (opset 13+ ReduceSum, 18+ all).
  if (axes->empty() && node.getInt("noop_with_empty_axes", 0) != 0) return {makeType(dtype, x)};
  std::vector<bool> reduced(x->size(), axes->empty());
  for (int64_t a : *axes) reduced[normalizeAxis(node, a, rank)] = true;
  Shape out;
  for (size_t i = 0; i < x->size(); ++i) {
    if (!reduced[i])
      out.push_back((*x)[i]);
    else if (keepDims)
      out.push_back(staticDim(1));
  }
  return {makeType(dtype, out)};
}

}  // namespace

void addReduceShapeRules(ShapeRuleTable& table) {
  for (const char* op : {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                         "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin"})
    table[op] = reduceRule;
}

}  // namespace convopt::ir
