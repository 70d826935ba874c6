#include "ir/conv_info.h"

#include <algorithm>

#include "ir/error.h"

namespace convopt::ir {
namespace {

std::optional<std::vector<int64_t>> staticShapeOf(const Value* v) {
  if (!v) return std::nullopt;
  if (v->initializer()) return v->initializer()->dims();
  if (!v->type.hasStaticShape()) return std::nullopt;
  return v->type.staticShape();
}

int64_t product(const std::vector<int64_t>& dims, const Node& conv) {
  return checkedElementCount(dims, "node " + conv.label());
}

std::optional<int64_t> convMacs(const ConvInfo& info, const Value* output) {
  if (!output || !output->type.shape || output->type.shape->empty()) return std::nullopt;
  const Dim& batch = output->type.shape->front();
  if (!batch.isStatic() || info.outputSpatial.empty() ||
      std::any_of(info.outputSpatial.begin(), info.outputSpatial.end(), [](int64_t d) { return d < 0; }))
    return std::nullopt;
  std::vector<int64_t> factors{batch.value, info.outChannels, product(info.outputSpatial, *info.node),
                               info.inChannels / info.group, product(info.kernelShape, *info.node)};
  int64_t macs = 1;
  for (int64_t f : factors)
    if (__builtin_mul_overflow(macs, f, &macs))
      throwInputError("node {}: its MAC count overflows 64 bits", info.node->label());
  return macs;
}

}  // namespace

std::string_view convKindName(ConvKind kind) {
  switch (kind) {
    case ConvKind::Dense:
      return "dense";
    case ConvKind::Pointwise:
      return "pointwise";
    case ConvKind::Grouped:
      return "grouped";
    case ConvKind::Depthwise:
      return "depthwise";
  }
  return "?";
}

ConvKind classifyConv(int64_t inChannels, int64_t group, const std::vector<int64_t>& kernelShape) {
  if (group == 1)
    return std::all_of(kernelShape.begin(), kernelShape.end(), [](int64_t k) { return k == 1; }) ? ConvKind::Pointwise
                                                                                                 : ConvKind::Dense;
  return group == inChannels ? ConvKind::Depthwise : ConvKind::Grouped;
}

ConvInfo analyzeConv(const Node& conv) {
  ConvInfo info;
  info.node = &conv;
  auto weight = staticShapeOf(conv.input(1));
  if (!weight || weight->size() < 3)
    throwInputError("node {}: the shape of its weight '{}' is unknown", conv.label(),
                    conv.input(1) ? conv.input(1)->name() : "");
  size_t spatial = weight->size() - 2;
  info.group = conv.getInt("group", 1);
  if (info.group < 1 || (*weight)[0] % info.group != 0)
    throwInputError("node {}: weight '{}' has {} output channels, not divisible by group {}", conv.label(),
                    conv.input(1)->name(), (*weight)[0], info.group);
  info.outChannels = (*weight)[0];
  info.inChannels = (*weight)[1] * info.group;
  info.kernelShape.assign(weight->begin() + 2, weight->end());
  info.strides = conv.getInts("strides", std::vector<int64_t>(spatial, 1));
  info.dilations = conv.getInts("dilations", std::vector<int64_t>(spatial, 1));
  info.pads = conv.getInts("pads", std::vector<int64_t>(2 * spatial, 0));
  info.kind = classifyConv(info.inChannels, info.group, info.kernelShape);
  info.weightParams = product(*weight, conv);
  if (auto bias = staticShapeOf(conv.input(2))) info.biasParams = product(*bias, conv);
  const Value* out = conv.output(0);
  if (out && out->type.shape && out->type.shape->size() == spatial + 2)
    for (size_t i = 2; i < out->type.shape->size(); ++i) info.outputSpatial.push_back((*out->type.shape)[i].value);
  info.macs = convMacs(info, out);
  return info;
}

}  // namespace convopt::ir
