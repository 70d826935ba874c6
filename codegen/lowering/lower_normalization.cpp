// LayerNormalization and InstanceNormalization -> normalization kernels
// (kernels/normalization_kernel.h), their scale and bias constants:
//   LayerNormalization (opset 17): plain rows over dims[axis:], scale and bias
//     broadcast onto those dims; only its Y output read (a read Mean or
//     InvStdDev falls back);
//   InstanceNormalization of a 4-D tensor: blocked, each lane a channel, so a
//     conv's output is normalized where it lies; of another rank (3-D: a group
//     norm as exporters spell it, Reshape -> InstanceNormalization -> Reshape):
//     plain rows of its (image, channel) planes;
//   GroupNormalization (opset 18): plain rows of its (image, group) blocks, scale
//     and bias per group (opset 18) or per channel (21), applied per channel.
#include <fmt/format.h>

#include <functional>
#include <numeric>

#include "codegen/kernels/normalization_kernel.h"
#include "codegen/lowering/op_lowering.h"
#include "runtime/blocked_layout.h"
#include "runtime/reference/broadcast.h"

namespace convopt::codegen {

namespace {

// `value`, a float constant, broadcast onto `dims` as the reference reads it, or none.
std::optional<std::vector<float>> constantOnto(LoweringContext& context, const ir::Value* value,
                                               const std::vector<int64_t>& dims) {
  const ir::Tensor* constant = value ? context.constantOf(value) : nullptr;
  if (!constant || constant->dtype() != ir::DType::Float) return std::nullopt;
  return runtime::reference::broadcastOnto(constant->data<float>(), constant->dims(), dims);
}

// `value`, a float constant of exactly `count` values in one dim, or none.
std::optional<std::vector<float>> exactConstant(LoweringContext& context, const ir::Value* value, int64_t count) {
  const ir::Tensor* constant = value ? context.constantOf(value) : nullptr;
  if (!constant || constant->rank() != 1 || constant->dims()[0] != count) return std::nullopt;
  return constantOnto(context, value, {count});
}

Status addNormalization(LoweringContext& context, const ir::Node& node, const NormalizationSpec& spec,
                        const std::vector<float>& scale, const std::vector<float>& bias) {
  bool blocked = spec.layout == NormalizationSpec::Layout::BlockedChannels;
  auto operand = [&](const std::vector<float>& values) -> KernelArg {
    if (!blocked) return {KernelArg::Kind::Constant, context.addConstant(values)};
    runtime::BlockedShape shape{1, spec.channels, 1, 1, context.vectorWidth()};
    std::vector<float> packed(size_t(shape.elements()));  // padding lanes 0: they stay 0
    runtime::toBlocked(values.data(), packed.data(), shape);
    return {KernelArg::Kind::Constant, context.addConstant(packed)};
  };
  const ir::Value *input = node.input(0), *output = node.output(0);
  std::vector<KernelArg> args = {
      {KernelArg::Kind::Slot, blocked ? context.blockedSlot(input) : context.plainSlot(input)},
      operand(scale),
      operand(bias),
      {KernelArg::Kind::Slot, blocked ? context.defineBlocked(output) : context.definePlain(output)}};
  std::string name = context.kernelName("normalization");
  emitNormalizationKernel(context.module(), name, spec, context.vectorWidth());
  std::string what = blocked ? fmt::format("{} channels of {} pixels, blocked", spec.channels, spec.length)
                             : fmt::format("{} rows of {}", spec.rows, spec.length);
  context.addKernel(name, normalizationWorkUnits(spec), std::move(args), what, node);
  return Status::success();
}

}  // namespace

Status lowerLayerNormalization(LoweringContext& context, const ir::Node& node) {
  const ir::Value *input = node.input(0), *output = node.output(0);
  if (!isStaticFloat(input) || !isStaticFloat(output)) return Status::refuse("not a float tensor of static shape");
  for (size_t i = 1; i < node.outputs().size(); ++i)
    if (node.output(i) && (!node.output(i)->uses().empty() || node.output(i)->isGraphOutput()))
      return Status::refuse("its Mean or InvStdDev output is read");
  std::vector<int64_t> dims = input->type.staticShape();
  int64_t rank = int64_t(dims.size()), axis = node.getInt("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return Status::refuse(fmt::format("axis out of range for rank {}", rank));
  std::vector<int64_t> normalized(dims.begin() + axis, dims.end());
  std::optional<std::vector<float>> scale = constantOnto(context, node.input(1), normalized);
  std::optional<std::vector<float>> bias = node.inputs().size() > 2 && node.input(2)
                                               ? constantOnto(context, node.input(2), normalized)
                                               : std::optional(std::vector<float>(scale ? scale->size() : 0, 0.0f));
  if (!scale || !bias)
    return Status::refuse("scale or bias is not a float constant broadcast onto the normalized dims");
  NormalizationSpec spec;
  spec.rows = std::accumulate(dims.begin(), dims.begin() + axis, int64_t(1), std::multiplies<>());
  spec.length = int64_t(scale->size());
  spec.epsilon = node.getFloat("epsilon", 1e-5f);
  if (spec.rows * spec.length == 0) return Status::refuse("empty tensor");
  return addNormalization(context, node, spec, *scale, *bias);
}

Status lowerInstanceNormalization(LoweringContext& context, const ir::Node& node) {
  const ir::Value *input = node.input(0), *output = node.output(0);
  if (!isStaticFloat(input) || !isStaticFloat(output)) return Status::refuse("not a float tensor of static shape");
  std::vector<int64_t> dims = input->type.staticShape();
  if (dims.size() < 3) return Status::refuse("rank below 3");
  std::optional<std::vector<float>> scale = exactConstant(context, node.input(1), dims[1]);
  std::optional<std::vector<float>> bias = exactConstant(context, node.input(2), dims[1]);
  if (!scale || !bias) return Status::refuse("scale or bias is not a float constant of one value per channel");
  NormalizationSpec spec;
  spec.channels = dims[1];
  spec.length = std::accumulate(dims.begin() + 2, dims.end(), int64_t(1), std::multiplies<>());
  spec.epsilon = node.getFloat("epsilon", 1e-5f);
  if (dims[0] * spec.channels * spec.length == 0) return Status::refuse("empty tensor");
  bool blocked = dims.size() == 4;
  spec.layout = blocked ? NormalizationSpec::Layout::BlockedChannels : NormalizationSpec::Layout::PlainRows;
  spec.rows = dims[0] * (blocked ? ceilDiv(spec.channels, context.vectorWidth()) : spec.channels);
  spec.run = blocked ? 0 : spec.length;
  return addNormalization(context, node, spec, *scale, *bias);
}

Status lowerGroupNormalization(LoweringContext& context, const ir::Node& node) {
  const ir::Value *input = node.input(0), *output = node.output(0);
  if (!isStaticFloat(input) || !isStaticFloat(output)) return Status::refuse("not a float tensor of static shape");
  std::vector<int64_t> dims = input->type.staticShape();
  int64_t groups = node.getInt("num_groups", 0);
  if (dims.size() < 3 || groups < 1 || dims[1] % groups != 0)
    return Status::refuse("not num_groups dividing the channels of a tensor of rank 3 or more");
  // One value per group before opset 21, per channel from it (as the reference reads them).
  int64_t channels = dims[1], parameters = context.opset() < 21 ? groups : channels;
  std::optional<std::vector<float>> scale = exactConstant(context, node.input(1), parameters);
  std::optional<std::vector<float>> bias = exactConstant(context, node.input(2), parameters);
  if (!scale || !bias)
    return Status::refuse(fmt::format("scale or bias is not a float constant of {} values", parameters));
  auto perChannel = [&](const std::vector<float>& values) {
    std::vector<float> expanded(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) expanded[c] = values[parameters == channels ? c : c / (channels / groups)];
    return expanded;
  };
  NormalizationSpec spec;
  spec.channels = channels;
  spec.run = std::accumulate(dims.begin() + 2, dims.end(), int64_t(1), std::multiplies<>());
  spec.rows = dims[0] * groups;
  spec.length = channels / groups * spec.run;
  spec.epsilon = node.getFloat("epsilon", 1e-5f);
  if (spec.rows * spec.length == 0) return Status::refuse("empty tensor");
  return addNormalization(context, node, spec, perChannel(*scale), perChannel(*bias));
}

}  // namespace convopt::codegen
