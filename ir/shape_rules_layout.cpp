// Shape rules for data-movement ops: Reshape, Flatten, Transpose, DepthToSpace, SpaceToDepth, Concat,
// Split, Slice, Squeeze, Unsqueeze, Gather, Resize, Shape, Constant. Attributes that moved to
// inputs in later opsets are read from whichever the node has.
#include <algorithm>
#include <cmath>

#include "ir/error.h"
#include "ir/int_math.h"
#include "ir/shape_rules.h"

namespace convopt::ir {
namespace {

std::optional<std::vector<int64_t>> intsFromAttrOrInput(const KnownValues& known, const Node& node, const char* attr,
                                                        size_t input) {
  if (const Attribute* a = node.findAttribute(attr); a && a->kind == AttrKind::Ints) return a->ints;
  return known.ints(node.input(input));
}

Dim product(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) {
    if (!s[i].isStatic()) return Dim{};
    if (__builtin_mul_overflow(p, s[i].value, &p)) return Dim{};
  }
  return staticDim(p);
}

std::vector<ValueType> reshapeRule(const Node& node, const KnownValues& known) {
  auto x = inputShape(node, 0);
  auto target = known.ints(node.input(1));
  DType dtype = inputDType(node, 0);
  if (!target) return {makeType(dtype, std::nullopt)};
  bool allowZero = node.getInt("allowzero", 0) != 0;
  Shape out;
  std::optional<size_t> inferred;
  for (size_t i = 0; i < target->size(); ++i) {
    int64_t d = (*target)[i];
    if (d == 0 && !allowZero)
      out.push_back(x && i < x->size() ? (*x)[i] : Dim{});
    else if (d == -1)
      inferred = i, out.push_back(Dim{});
    else
      out.push_back(staticDim(d));
  }
  if (!inferred) {
    Dim from = x ? product(*x, 0, x->size()) : Dim{}, to = product(out, 0, out.size());
    if (from.isStatic() && to.isStatic() && from.value != to.value)
      throwInputError("node {}: cannot reshape {} elements into shape [{}] ({} elements)", node.label(), from.value,
                      fmt::join(*target, ","), to.value);
    return {makeType(dtype, out)};
  }
  if (!x) return {makeType(dtype, out)};
  Shape others = out;
  others.erase(others.begin() + static_cast<std::ptrdiff_t>(*inferred));
  Dim total = product(*x, 0, x->size()), rest = product(others, 0, others.size());
  if (total.isStatic() && rest.isStatic() && rest.value > 0) {
    if (total.value % rest.value != 0)
      throwInputError("node {}: cannot reshape {} elements into shape [{}]", node.label(), total.value,
                      fmt::join(*target, ","));
    out[*inferred] = staticDim(total.value / rest.value);
  }
  return {makeType(dtype, out)};
}

std::vector<ValueType> flattenRule(const Node& node, const KnownValues&) {
  auto x = inputShape(node, 0);
  DType dtype = inputDType(node, 0);
  if (!x) return {makeType(dtype, std::nullopt)};
  auto rank = static_cast<int64_t>(x->size());
  int64_t axis = node.getInt("axis", 1);
  axis = axis == rank ? rank : normalizeAxis(node, axis, rank);
  return {makeType(dtype, Shape{product(*x, 0, axis), product(*x, axis, rank)})};
}

std::vector<ValueType> transposeRule(const Node& node, const KnownValues&) {
  auto x = inputShape(node, 0);
  DType dtype = inputDType(node, 0);
  if (!x) return {makeType(dtype, std::nullopt)};
  std::vector<int64_t> perm(x->size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(perm.size() - 1 - i);
  perm = node.getInts("perm", perm);
  if (perm.size() != x->size())
    throwInputError("node {}: perm has {} entries for rank {}", node.label(), perm.size(), x->size());
  Shape out;
  for (int64_t p : perm) out.push_back((*x)[normalizeAxis(node, p, static_cast<int64_t>(x->size()))]);
  return {makeType(dtype, out)};
}

// DepthToSpace: [N, C, H, W] -> [N, C/b², H·b, W·b]; SpaceToDepth the inverse.
std::vector<ValueType> depthSpaceRule(const Node& node, const KnownValues&) {
  auto x = inputShape(node, 0);
  DType dtype = inputDType(node, 0);
  int64_t b = node.getInt("blocksize", 0);
  if (b < 1 || b > (int64_t(1) << 16)) throwInputError("node {}: blocksize {} is not in [1, 65536]", node.label(), b);
  if (!x) return {makeType(dtype, std::nullopt)};
  if (x->size() != 4) throwInputError("node {}: input of rank {}, not 4", node.label(), x->size());
  bool toSpace = node.opType == "DepthToSpace";
  auto divided = [&](const Dim& d, int64_t by, const char* what) {
    if (!d.isStatic()) return Dim{};
    if (d.value % by != 0) throwInputError("node {}: {} {} is not a multiple of {}", node.label(), what, d.value, by);
    return staticDim(d.value / by);
  };
  auto times = [](const Dim& d, int64_t by) { return d.isStatic() ? staticDim(d.value * by) : Dim{}; };
  if (toSpace)
    return {makeType(dtype, Shape{(*x)[0], divided((*x)[1], b * b, "channels"), times((*x)[2], b), times((*x)[3], b)})};
  return {makeType(dtype,
                   Shape{(*x)[0], times((*x)[1], b * b), divided((*x)[2], b, "height"), divided((*x)[3], b, "width")})};
}

std::vector<ValueType> concatRule(const Node& node, const KnownValues&) {
  DType dtype = inputDType(node, 0);
  std::optional<Shape> out;
  for (size_t i = 0; i < node.inputs().size(); ++i) {
    auto s = inputShape(node, i);
    if (!s) return {makeType(dtype, std::nullopt)};
    // axis is required from opset 4 on; before, it defaults to 1.
    int64_t axis = normalizeAxis(node, node.getInt("axis", 1), static_cast<int64_t>(s->size()));
    if (!out) {
      out = s;
      continue;
    }
    if (s->size() != out->size()) throwInputError("node {}: inputs have different ranks", node.label());
    Dim& d = (*out)[axis];
    d = d.isStatic() && (*s)[axis].isStatic() ? staticDim(d.value + (*s)[axis].value) : Dim{};
  }
  return {makeType(dtype, out)};
}

std::vector<ValueType> splitRule(const Node& node, const KnownValues& known) {
  auto x = inputShape(node, 0);
  DType dtype = inputDType(node, 0);
  size_t n = node.outputs().size();
  if (n == 0) throwInputError("node {}: a Split needs at least one output", node.label());
  std::vector<ValueType> outs(n, makeType(dtype, std::nullopt));
  if (!x) return outs;
  int64_t axis = normalizeAxis(node, node.getInt("axis", 0), static_cast<int64_t>(x->size()));
  auto sizes = intsFromAttrOrInput(known, node, "split", 1);
  const Dim& total = (*x)[axis];
  bool sizesGiven = node.findAttribute("split") || (node.inputs().size() > 1 && node.input(1));
  if (!sizes && !sizesGiven && total.isStatic()) {
    // Equal parts; the last one smaller when it does not divide (opset 18). Sizes given
    // but only known at run time leave the split dim unknown.
    int64_t part = (total.value + static_cast<int64_t>(n) - 1) / static_cast<int64_t>(n);
    sizes.emplace();
    for (size_t i = 0; i < n; ++i) sizes->push_back(std::min(part, total.value - part * static_cast<int64_t>(i)));
  }
  if (sizes && sizes->size() != n)
    throwInputError("node {}: split has {} sizes for {} outputs", node.label(), sizes->size(), n);
  for (size_t i = 0; i < n; ++i) {
    Shape s = *x;
    s[axis] = sizes ? staticDim((*sizes)[i]) : Dim{};
    outs[i].shape = s;
  }
  return outs;
}

std::vector<ValueType> sliceRule(const Node& node, const KnownValues& known) {
  auto x = inputShape(node, 0);
  DType dtype = inputDType(node, 0);
  auto starts = intsFromAttrOrInput(known, node, "starts", 1);
  auto ends = intsFromAttrOrInput(known, node, "ends", 2);
  if (!x || !starts || !ends) return {makeType(dtype, x ? std::optional<Shape>(Shape(x->size())) : std::nullopt)};
  auto rank = static_cast<int64_t>(x->size());
  std::vector<int64_t> defaultAxes(starts->size());
  for (size_t i = 0; i < defaultAxes.size(); ++i) defaultAxes[i] = static_cast<int64_t>(i);
  auto axes = intsFromAttrOrInput(known, node, "axes", 3);
  if (!axes && !node.input(3)) axes = defaultAxes;
  auto steps = node.input(4) ? known.ints(node.input(4)) : std::optional(std::vector<int64_t>(starts->size(), 1));
  size_t n = starts->size();
  if (!axes || !steps || axes->size() != n || ends->size() != n || steps->size() != n)
    return {makeType(dtype, Shape(x->size()))};
  Shape out = *x;
  for (size_t i = 0; i < axes->size(); ++i) {
    int64_t axis = normalizeAxis(node, (*axes)[i], rank);
    const Dim& d = (*x)[axis];
    int64_t step = (*steps)[i];
    if (step == 0) throwInputError("node {}: slice step is 0", node.label());
    if (!d.isStatic()) {
      out[axis] = Dim{};
      continue;
    }
    // ONNX's clamping: negative indices count from the end; ranges clamp to the dim.
    auto clampIndex = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0) v += d.value;
      return std::clamp(v, lo, hi);
    };
    int64_t s = step > 0 ? clampIndex((*starts)[i], 0, d.value) : clampIndex((*starts)[i], 0, d.value - 1);
    int64_t e = step > 0 ? clampIndex((*ends)[i], 0, d.value) : clampIndex((*ends)[i], -1, d.value - 1);
    int64_t len = step > 0 ? (e - s + step - 1) / step : (s - e - step - 1) / -step;
    out[axis] = staticDim(std::max<int64_t>(len, 0));
  }
  return {makeType(dtype, out)};
}

std::vector<ValueType> squeezeRule(const Node& node, const KnownValues& known) {
  auto x = inputShape(node, 0);
  DType dtype = inputDType(node, 0);
  if (!x) return {makeType(dtype, std::nullopt)};
  auto axes = intsFromAttrOrInput(known, node, "axes", 1);
  if (!axes && node.input(1)) return {makeType(dtype, std::nullopt)};
  Shape out;
  auto rank = static_cast<int64_t>(x->size());
  std::vector<bool> drop(x->size(), false);
  if (axes) {
    for (int64_t a : *axes) drop[normalizeAxis(node, a, rank)] = true;
  } else {
    for (size_t i = 0; i < x->size(); ++i) {
      if (!(*x)[i].isStatic()) return {makeType(dtype, std::nullopt)};
      drop[i] = (*x)[i].value == 1;
    }
  }
  for (size_t i = 0; i < x->size(); ++i)
    if (!drop[i]) out.push_back((*x)[i]);
  return {makeType(dtype, out)};
}

std::vector<ValueType> unsqueezeRule(const Node& node, const KnownValues& known) {
  auto x = inputShape(node, 0);
  DType dtype = inputDType(node, 0);
  auto axes = intsFromAttrOrInput(known, node, "axes", 1);
  if (!x || !axes) return {makeType(dtype, std::nullopt)};
  auto rank = static_cast<int64_t>(x->size() + axes->size());
  std::vector<bool> inserted(rank, false);
  for (int64_t a : *axes) {
    int64_t axis = normalizeAxis(node, a, rank);
    if (inserted[axis]) throwInputError("node {}: axes names axis {} twice", node.label(), axis);
    inserted[axis] = true;
  }
  Shape out;
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i) out.push_back(inserted[i] ? staticDim(1) : (*x)[next++]);
  return {makeType(dtype, out)};
}

// Resize/Upsample: output = sizes, or floor(input * scales). Resize-10 and
// Upsample take scales as input 1; Resize-11+ as input 2 (roi is input 1).
std::vector<ValueType> resizeRule(const Node& node, const KnownValues& known) {
  auto x = inputShape(node, 0);
  DType dtype = inputDType(node, 0);
  if (!x) return {makeType(dtype, std::nullopt)};
  Shape out(x->size());
  auto sizes = known.ints(node.input(3));
  if (sizes && sizes->size() == x->size()) {
    // keep_aspect_ratio_policy: one scale for every axis, the output rounded
    // from it (the reference's arithmetic, resize_geometry.cpp); unknown dims when some input dim is.
    std::string policy = node.getString("keep_aspect_ratio_policy", "stretch");
    double common = policy == "not_larger" ? 1e300 : 0;
    for (size_t i = 0; i < out.size() && policy != "stretch"; ++i) {
      if (!(*x)[i].isStatic()) return {makeType(dtype, out)};
      double s = double((*sizes)[i]) / double((*x)[i].value);
      common = policy == "not_larger" ? std::min(common, s) : std::max(common, s);
    }
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = staticDim(policy == "stretch" ? (*sizes)[i]
                                             : static_cast<int64_t>(std::round(common * double((*x)[i].value))));
    return {makeType(dtype, out)};
  }
  bool scalesFirst = node.inputs().size() == 2;
  auto scales = constantFloats(node, scalesFirst ? 1 : 2);
  if (!scales && node.findAttribute("scales")) scales = node.findAttribute("scales")->floats;
  if (!scales || scales->size() != x->size()) return {makeType(dtype, out)};
  for (size_t i = 0; i < out.size(); ++i) {
    // In float, as libonnx and onnxruntime multiply (resize_geometry.cpp).
    double scaled = (*x)[i].isStatic() ? std::floor(static_cast<float>((*x)[i].value) * (*scales)[i]) : 0;
    if (!representableDim(scaled))
      throwInputError("node {}: scale {:g} makes dim {} {:g} long", node.label(), (*scales)[i], i, scaled);
    out[i] = (*x)[i].isStatic() ? staticDim(static_cast<int64_t>(scaled)) : (*scales)[i] == 1.0f ? (*x)[i] : Dim{};
  }
  return {makeType(dtype, out)};
}

std::vector<ValueType> shapeRule(const Node& node, const KnownValues&) {
  auto x = inputShape(node, 0);
  if (!x) return {makeType(DType::Int64, std::nullopt)};
  auto rank = static_cast<int64_t>(x->size());
  int64_t start = node.getInt("start", 0), end = node.getInt("end", rank);
  start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
  end = std::clamp(end < 0 ? end + rank : end, int64_t{0}, rank);
  return {makeType(DType::Int64, Shape{staticDim(std::max<int64_t>(end - start, 0))})};
}

// Gather: data dims before axis, then the indices' dims, then the rest.
std::vector<ValueType> gatherRule(const Node& node, const KnownValues&) {
  auto data = inputShape(node, 0);
  auto indices = inputShape(node, 1);
  DType dtype = inputDType(node, 0);
  if (!data || !indices) return {makeType(dtype, std::nullopt)};
  int64_t axis = normalizeAxis(node, node.getInt("axis", 0), static_cast<int64_t>(data->size()));
  Shape out(data->begin(), data->begin() + axis);
  out.insert(out.end(), indices->begin(), indices->end());
  out.insert(out.end(), data->begin() + axis + 1, data->end());
  return {makeType(dtype, out)};
}

// Constant: the tensor's own type; the scalar/list forms of later opsets too.
std::vector<ValueType> constantRule(const Node& node, const KnownValues&) {
  for (const Attribute& a : node.attributes) {
    if (a.name == "value" && a.kind == AttrKind::Tensor) return {ValueType::tensor(a.t.dtype(), a.t.dims())};
    if (a.name == "value_float") return {ValueType::tensor(DType::Float, {})};
    if (a.name == "value_int") return {ValueType::tensor(DType::Int64, {})};
    if (a.name == "value_floats") return {ValueType::tensor(DType::Float, {static_cast<int64_t>(a.floats.size())})};
    if (a.name == "value_ints") return {ValueType::tensor(DType::Int64, {static_cast<int64_t>(a.ints.size())})};
  }
  return {};
}

}  // namespace

void addLayoutShapeRules(ShapeRuleTable& table) {
  table["Reshape"] = reshapeRule;
  table["Flatten"] = flattenRule;
  table["Transpose"] = transposeRule;
  table["DepthToSpace"] = depthSpaceRule;
  table["SpaceToDepth"] = depthSpaceRule;
  table["Concat"] = concatRule;
  table["Split"] = splitRule;
  table["Slice"] = sliceRule;
  table["Squeeze"] = squeezeRule;
  table["Unsqueeze"] = unsqueezeRule;
  table["Resize"] = resizeRule;
  table["Upsample"] = resizeRule;
  table["Shape"] = shapeRule;
  table["Constant"] = constantRule;
  table["Gather"] = gatherRule;
}

}  // namespace convopt::ir
