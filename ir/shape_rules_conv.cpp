// Shape rules for Conv and pooling: NC + spatial dims, ONNX's pads/strides/
// dilations/auto_pad/ceil_mode arithmetic.
#include "ir/error.h"
#include "ir/int_math.h"
#include "ir/shape_rules.h"

namespace convopt::ir {
namespace {

struct Window {
  std::vector<int64_t> kernel, strides, dilations, pads;  // pads: begins then ends
  std::string autoPad;
  bool ceilMode = false;
};

// `negativePads`: a ConvTranspose's pads may be below 0 (they then widen its
// output, as the reference computes it); a Conv's or pool's are refused, as onnxruntime does.
Window readWindow(const Node& node, std::vector<int64_t> kernel, bool negativePads = false) {
  size_t n = kernel.size();
  Window w;
  w.kernel = node.getInts("kernel_shape", kernel);
  w.strides = node.getInts("strides", std::vector<int64_t>(n, 1));
  w.dilations = node.getInts("dilations", std::vector<int64_t>(n, 1));
  w.pads = node.getInts("pads", std::vector<int64_t>(2 * n, 0));
  w.autoPad = node.getString("auto_pad", "NOTSET");
  w.ceilMode = node.opType != "Conv" && node.getInt("ceil_mode", 0) != 0;  // a pool's attribute
  if (w.kernel.size() != n || w.strides.size() != n || w.dilations.size() != n || w.pads.size() != 2 * n)
    throwInputError("node {}: kernel_shape/strides/dilations/pads do not match its {} spatial dimensions", node.label(),
                    n);
  // Bounded so that window arithmetic (here, in the reference and in the kernels) cannot
  // overflow 64 bits; no real window comes near 2^31.
  constexpr int64_t kMaxWindowValue = int64_t(1) << 31;
  for (const auto& [name, values] :
       {std::pair{"kernel_shape", &w.kernel}, {"strides", &w.strides}, {"dilations", &w.dilations}, {"pads", &w.pads}})
    for (int64_t value : *values) {
      bool isPads = values == &w.pads;
      if (isPads ? value < 0 && !negativePads : value < 1)
        throwInputError("node {}: {} has {}, {}", node.label(), name, value, isPads ? "negative" : "not positive");
      if (value > kMaxWindowValue || value < -kMaxWindowValue)
        throwInputError("node {}: {} has {}, beyond 2^31", node.label(), name, value);
    }
  return w;
}

Dim outputExtent(const Node& node, const Window& w, size_t i, const Dim& in) {
  if (!in.isStatic()) return Dim{};
  using Wide = __int128;  // the attributes may hold anything up to INT64_MAX: no overflow here
  Wide stride = w.strides[i], out;
  if (w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER") {
    out = (Wide(in.value) + stride - 1) / stride;
  } else {
    Wide pads = w.autoPad == "VALID" ? 0 : Wide(w.pads[i]) + w.pads[i + w.kernel.size()];
    Wide span = Wide(w.dilations[i]) * (w.kernel[i] - 1) + 1;
    Wide room = Wide(in.value) + pads - span;
    if (room < 0)
      throwInputError("node {}: window of {} does not fit input extent {} ({:+} padding) in spatial dim {}",
                      node.label(), span, in.value, pads, i);
    out = windowCount<Wide>(in.value, w.autoPad == "VALID" ? 0 : w.pads[i], room, stride, w.ceilMode);
  }
  if (out >= (Wide(1) << 62))
    throwInputError("node {}: its padding makes spatial dim {} {} long", node.label(), i, out);
  return staticDim(int64_t(out));
}

// Input channels must equal weight channels x group; output channels must split into groups.
void checkConvChannels(const Node& node, const Shape& x, const Shape& weight, int64_t group) {
  if (group < 1) throwInputError("node {}: group must be positive, got {}", node.label(), group);
  const Dim& cout = weight[0];
  if (cout.isStatic() && cout.value % group != 0)
    throwInputError("node {}: weight '{}' has {} output channels, not divisible by group {}", node.label(),
                    node.input(1)->name(), cout.value, group);
  const Dim& cin = x[1];
  const Dim& cinPerGroup = weight[1];
  using Wide = __int128;  // group may be huge: no 64-bit overflow
  Wide expected = Wide(cinPerGroup.value) * group;
  if (cin.isStatic() && cinPerGroup.isStatic() && Wide(cin.value) != expected)
    throwInputError("node {}: weight '{}' expects {} input channels ({} per group x group {}) but input '{}' has {}",
                    node.label(), node.input(1)->name(), expected, cinPerGroup.value, group, node.input(0)->name(),
                    cin.value);
}

// The optional bias holds one value per output channel.
void checkConvBias(const Node& node, const Shape& weight) {
  std::optional<Shape> bias = inputShape(node, 2);
  if (!bias) return;
  const Dim& cout = weight[0];
  if (bias->size() != 1 || (cout.isStatic() && (*bias)[0].isStatic() && (*bias)[0] != cout))
    throwInputError("node {}: bias '{}' has shape {}; weight '{}' has {} output channels", node.label(),
                    node.input(2)->name(), dimsText(*bias), node.input(1)->name(),
                    cout.isStatic() ? std::to_string(cout.value) : "?");
}

// The window attributes against the weight's spatial dims (kernel_shape, when
// given, equal to them).
Window convWindow(const Node& node, const Shape& weight) {
  std::vector<int64_t> kernel;
  for (size_t i = 2; i < weight.size(); ++i) kernel.push_back(weight.at(i).value);
  Window w = readWindow(node, kernel);
  for (size_t i = 0; i < kernel.size(); ++i)
    if (kernel[i] >= 0 && kernel[i] != w.kernel[i])
      throwInputError("node {}: kernel_shape {} does not match weight '{}' spatial size {} in dim {}", node.label(),
                      w.kernel[i], node.input(1)->name(), kernel[i], i);
  return w;
}

std::vector<ValueType> convRule(const Node& node, const KnownValues&) {
  auto x = inputShape(node, 0);
  auto weight = inputShape(node, 1);
  DType dtype = inputDType(node, 0);
  // The window is checked even while x's shape is unknown: passes rewrite a conv by its weight and attributes.
  if (!x && weight && weight->size() >= 3) convWindow(node, *weight);
  if (!x || !weight) return {makeType(dtype, std::nullopt)};
  if (x->size() < 3 || weight->size() != x->size())
    throwInputError("node {}: input '{}' has rank {} and weight '{}' rank {}; both must be the same, at least 3",
                    node.label(), node.input(0)->name(), x->size(), node.input(1)->name(), weight->size());
  checkConvChannels(node, *x, *weight, node.getInt("group", 1));
  checkConvBias(node, *weight);
  Window w = convWindow(node, *weight);
  const std::vector<int64_t>& kernel = w.kernel;
  Shape out{(*x)[0], (*weight)[0]};
  for (size_t i = 0; i < kernel.size(); ++i) out.push_back(outputExtent(node, w, i, (*x)[i + 2]));
  return {makeType(dtype, out)};
}

// ConvTranspose: weight [C_in, C_out / group, k...]; out = stride (in - 1) + output_padding
// + dilation (k - 1) + 1 - pads, or in * stride under SAME, or output_shape when given.
std::vector<ValueType> convTransposeRule(const Node& node, const KnownValues&) {
  auto x = inputShape(node, 0);
  auto weight = inputShape(node, 1);
  DType dtype = inputDType(node, 0);
  if (!x || !weight) return {makeType(dtype, std::nullopt)};
  if (x->size() < 3 || weight->size() != x->size()) {
    bool dataWrong = x->size() < 3;
    throwInputError("node {}: input '{}' has rank {}; ConvTranspose takes [N, C, spatial...] tensors of one rank >= 3",
                    node.label(), node.input(dataWrong ? 0 : 1)->name(), dataWrong ? x->size() : weight->size());
  }
  std::vector<int64_t> kernel;
  for (size_t i = 2; i < weight->size(); ++i) kernel.push_back(weight->at(i).value);
  Window w = readWindow(node, kernel, true);
  const size_t n = kernel.size();
  std::vector<int64_t> outputPadding = node.getInts("output_padding", std::vector<int64_t>(n, 0));
  std::vector<int64_t> outputShape = node.getInts("output_shape", {});
  if (outputPadding.size() != n || (!outputShape.empty() && outputShape.size() != n))
    throwInputError("node {}: output_padding / output_shape do not match its {} spatial dimensions", node.label(), n);
  int64_t group = node.getInt("group", 1), channels = 0;
  const Dim& perGroup = (*weight)[1];
  if (group < 1) throwInputError("node {}: group is {}, not positive", node.label(), group);
  if (perGroup.isStatic() && __builtin_mul_overflow(perGroup.value, group, &channels))
    throwInputError("node {}: weight '{}' has {} output channels per group; times group {} is beyond 64 bits",
                    node.label(), node.input(1)->name(), perGroup.value, group);
  Shape out{(*x)[0], perGroup.isStatic() ? staticDim(channels) : Dim{}};
  for (size_t i = 0; i < n; ++i) {
    const Dim& in = (*x)[i + 2];
    if (!outputShape.empty()) {
      out.push_back(staticDim(outputShape[i]));
      continue;
    }
    if (!in.isStatic() || w.kernel[i] < 0) {
      out.push_back(Dim{});
      continue;
    }
    using Wide = __int128;
    Wide extent = w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER"
                      ? Wide(in.value) * w.strides[i]
                      : Wide(w.strides[i]) * (in.value - 1) + outputPadding[i] +
                            Wide(w.dilations[i]) * (w.kernel[i] - 1) + 1 -
                            (w.autoPad == "VALID" ? 0 : Wide(w.pads[i]) + w.pads[i + n]);
    if (extent < 0 || extent >= (Wide(1) << 62))
      throwInputError("node {}: its output would be {} long in spatial dim {}", node.label(), int64_t(extent), i);
    out.push_back(staticDim(int64_t(extent)));
  }
  return {makeType(dtype, out)};
}

std::vector<ValueType> poolRule(const Node& node, const KnownValues&) {
  auto x = inputShape(node, 0);
  DType dtype = inputDType(node, 0);
  if (!x) return {makeType(dtype, std::nullopt)};
  if (x->size() < 3) throwInputError("node {}: input must have rank at least 3", node.label());
  const Attribute* kernelAttr = node.findAttribute("kernel_shape");
  if (!kernelAttr) throwInputError("node {}: kernel_shape is required", node.label());
  Window w = readWindow(node, kernelAttr->ints);
  if (w.kernel.size() != x->size() - 2)
    throwInputError("node {}: kernel_shape has {} dims for {} spatial dims", node.label(), w.kernel.size(),
                    x->size() - 2);
  Shape out{(*x)[0], (*x)[1]};
  for (size_t i = 0; i < w.kernel.size(); ++i) out.push_back(outputExtent(node, w, i, (*x)[i + 2]));
  // MaxPool's optional second output (indices) has the same shape.
  return {makeType(dtype, out), makeType(DType::Int64, out)};
}

std::vector<ValueType> globalPoolRule(const Node& node, const KnownValues&) {
  auto x = inputShape(node, 0);
  DType dtype = inputDType(node, 0);
  if (!x) return {makeType(dtype, std::nullopt)};
  Shape out = *x;
  for (size_t i = 2; i < out.size(); ++i) out[i] = staticDim(1);
  return {makeType(dtype, out)};
}

}  // namespace

void addConvShapeRules(ShapeRuleTable& table) {
  table["Conv"] = convRule;
  table["ConvTranspose"] = convTransposeRule;
  for (const char* op : {"MaxPool", "AveragePool", "LpPool"}) table[op] = poolRule;
  for (const char* op : {"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"}) table[op] = globalPoolRule;
}

}  // namespace convopt::ir
