// Shape rules for Gemm and MatMul (numpy matmul with batch broadcasting).
#include "ir/error.h"
#include "ir/shape_rules.h"

namespace convopt::ir {
namespace {

void checkInner(const Node& node, const Dim& k1, const Dim& k2) {
  if (k1.isStatic() && k2.isStatic() && k1.value != k2.value)
    throwInputError("node {}: inner dimensions differ ({} vs {})", node.label(), k1.value, k2.value);
}

std::vector<ValueType> gemmRule(const Node& node, const KnownValues&) {
  auto a = inputShape(node, 0);
  auto b = inputShape(node, 1);
  DType dtype = inputDType(node, 0);
  if (!a || !b) return {makeType(dtype, std::nullopt)};
  if (a->size() != 2 || b->size() != 2) throwInputError("node {}: Gemm inputs must be 2-D", node.label());
  bool transA = node.getInt("transA", 0) != 0, transB = node.getInt("transB", 0) != 0;
  const Dim& m = (*a)[transA ? 1 : 0];
  const Dim& n = (*b)[transB ? 0 : 1];
  checkInner(node, (*a)[transA ? 0 : 1], (*b)[transB ? 1 : 0]);
  return {makeType(dtype, Shape{m, n})};
}

std::vector<ValueType> matMulRule(const Node& node, const KnownValues&) {
  auto a = inputShape(node, 0);
  auto b = inputShape(node, 1);
  DType dtype = inputDType(node, 0);
  if (!a || !b) return {makeType(dtype, std::nullopt)};
  if (a->empty() || b->empty()) throwInputError("node {}: MatMul inputs must not be scalars", node.label());
  // 1-D operands are promoted (a: prepend 1, b: append 1) and the added dim dropped again.
  Shape pa = a->size() == 1 ? Shape{staticDim(1), (*a)[0]} : *a;
  Shape pb = b->size() == 1 ? Shape{(*b)[0], staticDim(1)} : *b;
  checkInner(node, pa.back(), pb[pb.size() - 2]);
  Shape batch = broadcastShapes(node, Shape(pa.begin(), pa.end() - 2), Shape(pb.begin(), pb.end() - 2));
  if (a->size() != 1) batch.push_back(pa[pa.size() - 2]);
  if (b->size() != 1) batch.push_back(pb.back());
  return {makeType(dtype, batch)};
}

}  // namespace

void addLinearShapeRules(ShapeRuleTable& table) {
  table["Gemm"] = gemmRule;
  table["MatMul"] = matMulRule;
}

}  // namespace convopt::ir
