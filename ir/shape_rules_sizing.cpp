// Shape rules for ops whose output size comes from the values of an input:
// ConstantOfShape, Expand, Tile, Pad. Knowing their sizes before anything
// evaluates them is what lets fold-constants and the memory limit judge them.
#include <fmt/ranges.h>

#include "ir/error.h"
#include "ir/shape_rules.h"

namespace convopt::ir {
namespace {

Shape staticShape(const std::vector<int64_t>& dims) {
  Shape shape;
  for (int64_t d : dims) shape.push_back(staticDim(d));
  return shape;
}

std::vector<ValueType> constantOfShapeRule(const Node& node, const KnownValues& known) {
  const Attribute* value = node.findAttribute("value");
  DType dtype = value && value->kind == AttrKind::Tensor ? value->t.dtype() : DType::Float;
  auto dims = known.ints(node.input(0));
  if (!dims) return {makeType(dtype, std::nullopt)};
  for (int64_t d : *dims)
    if (d < 0) throwInputError("node {}: shape [{}] has a negative dim", node.label(), fmt::join(*dims, ","));
  return {makeType(dtype, staticShape(*dims))};
}

std::vector<ValueType> expandRule(const Node& node, const KnownValues& known) {
  auto x = inputShape(node, 0);
  auto dims = known.ints(node.input(1));
  DType dtype = inputDType(node, 0);
  if (!x || !dims) return {makeType(dtype, std::nullopt)};
  for (int64_t d : *dims)
    if (d < 0) throwInputError("node {}: shape [{}] has a negative dim", node.label(), fmt::join(*dims, ","));
  return {makeType(dtype, broadcastShapes(node, *x, staticShape(*dims)))};
}

std::vector<ValueType> tileRule(const Node& node, const KnownValues& known) {
  auto x = inputShape(node, 0);
  auto repeats = known.ints(node.input(1));
  DType dtype = inputDType(node, 0);
  if (!x || !repeats) return {makeType(dtype, std::nullopt)};
  if (repeats->size() != x->size())
    throwInputError("node {}: {} repeats for an input of rank {}", node.label(), repeats->size(), x->size());
  Shape out = *x;
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t r = (*repeats)[i];
    if (r < 0) throwInputError("node {}: repeats [{}] has a negative count", node.label(), fmt::join(*repeats, ","));
    int64_t d = 0;
    out[i] = !out[i].isStatic() || __builtin_mul_overflow(out[i].value, r, &d) ? Dim{} : staticDim(d);
  }
  return {makeType(dtype, out)};
}

// pads: the attribute before opset 11 ("paddings" in opset 1), then input 1; axes (opset 18) input 3.
std::vector<ValueType> padRule(const Node& node, const KnownValues& known) {
  auto x = inputShape(node, 0);
  DType dtype = inputDType(node, 0);
  std::optional<std::vector<int64_t>> pads;
  for (const char* name : {"pads", "paddings"})
    if (const Attribute* a = node.findAttribute(name); a && a->kind == AttrKind::Ints) pads = a->ints;
  if (!pads) pads = known.ints(node.input(1));
  if (!x || !pads) return {makeType(dtype, std::nullopt)};
  std::vector<int64_t> axes;
  if (node.input(3)) {
    auto given = known.ints(node.input(3));
    if (!given) return {makeType(dtype, std::nullopt)};
    for (int64_t axis : *given) axes.push_back(normalizeAxis(node, axis, int64_t(x->size())));
  } else {
    for (size_t i = 0; i < x->size(); ++i) axes.push_back(int64_t(i));
  }
  if (pads->size() != 2 * axes.size())
    throwInputError("node {}: {} pads for {} axes (two per axis)", node.label(), pads->size(), axes.size());
  Shape out = *x;
  for (size_t i = 0; i < axes.size(); ++i) {
    Dim& dim = out[size_t(axes[i])];
    if (!dim.isStatic()) continue;
    int64_t extent = 0;
    if (__builtin_add_overflow(dim.value, (*pads)[i], &extent) ||
        __builtin_add_overflow(extent, (*pads)[i + axes.size()], &extent)) {
      dim = Dim{};
      continue;
    }
    if (extent < 0)
      throwInputError("node {}: pads [{}] leave axis {} of length {} with {} elements", node.label(),
                      fmt::join(*pads, ","), axes[i], dim.value, extent);
    dim = staticDim(extent);
  }
  return {makeType(dtype, out)};
}

}  // namespace

void addSizingShapeRules(ShapeRuleTable& table) {
  table["ConstantOfShape"] = constantOfShapeRule;
  table["Expand"] = expandRule;
  table["Tile"] = tileRule;
  table["Pad"] = padRule;
}

}  // namespace convopt::ir
