// Conv nodes -> conv kernels (codegen/conv_plan.h picks the family).
#include <fmt/format.h>

#include <utility>

#include "codegen/conv/conv_emitter.h"
#include "ir/int_math.h"
#include "codegen/conv/conv_weights.h"
#include "codegen/lowering/conv_spec_from_node.h"
#include "codegen/lowering/engine_lowering.h"
#include "codegen/kernels/weight_scale_kernel.h"
#include "ir/error.h"

namespace convopt::codegen {

// Weights times the run-time per-channel scale folded into this conv
// (scaled_conv_input.h): a kernel before the conv writes them into a slot.
int Lowering::scaledWeights(const ir::Node& node, const ConvSpec& spec, int packedWeights) {
  const ScaledConvInput& folded = scaledInputs_.at(&node);
  int width = vectorWidth();
  WeightScaleSpec scaleSpec{ceilDiv(spec.outChannels, width), spec.kernelH * spec.kernelW, spec.inChannels};
  int slot = newSlot(program_.constants[packedWeights].size() * sizeof(float));
  std::string name = kernelName("weightscale");
  emitWeightScaleKernel(*module_.module, name, scaleSpec, width);
  // The Mul is explained as fused into this kernel; the epilogue's followers into the conv's.
  std::vector<const ir::Node*> followers = std::exchange(pendingFused_, {folded.mul});
  addKernel(name, scaleSpec.outBlocks,
            {{KernelArg::Kind::Constant, packedWeights}, {KernelArg::Kind::Slot, blockedSlot(folded.scale)},
             {KernelArg::Kind::Slot, slot}},
            "weights scaled per input channel by " + folded.scale->name(), node);
  pendingFused_ = std::move(followers);
  return slot;
}

Status Lowering::lowerConv(const ir::Node& node) {
  auto scaled = scaledInputs_.find(&node);
  const ir::Value* data = scaled == scaledInputs_.end() ? node.input(0) : scaled->second.input;
  if (!isStatic4dFloat(data) || !isStatic4dFloat(node.output(0)))
    return Status::refuse("input/output not a static 4-D float tensor");
  const ir::Tensor* weights = constantOf(node.input(1));
  const ir::Tensor* bias = node.input(2) ? constantOf(node.input(2)) : nullptr;
  if (!weights || weights->dtype() != ir::DType::Float) return Status::refuse("weights are not a float constant");
  if (node.input(2) && (!bias || bias->dtype() != ir::DType::Float)) return Status::refuse("bias is not a float constant");
  ConvSpec spec;
  try {
    spec = convSpecFromNode(node);
  } catch (const InputError& e) {
    return Status::refuse(e.what());
  }
  std::vector<const ir::Value*> residuals;
  Epilogue epilogue;
  const ir::Value* output = fuseEpilogue(node.output(0), epilogue, residuals);
  spec.epilogue = epilogue;
  Expected<ConvPlan> planned = planConv(spec, target_);
  if (!planned) {
    unfuse();
    return planned.status();
  }
  int width = vectorWidth();
  ConvPlan& plan = *planned;
  // Read a few-channel input in place when it exists only in ONNX layout (a
  // model's image input): no reorder, and no padded lanes in the cache lines.
  const Storage& input = program_.storage[data];
  plan.plainInput = canReadPlainInput(plan, width) && input.plain >= 0 && input.blocked < 0;
  KernelArg weightArg{KernelArg::Kind::Constant, addConstant(packConvWeights(spec, width, weights->data<float>()))};
  if (scaled != scaledInputs_.end()) weightArg = {KernelArg::Kind::Slot, scaledWeights(node, spec, weightArg.index)};
  std::vector<KernelArg> args = {
      {KernelArg::Kind::Slot, plan.plainInput ? plainSlot(data) : blockedSlot(data)},
      weightArg,
      {KernelArg::Kind::Constant,
       addConstant(packConvBias(spec, width, bias ? bias->data<float>() : std::span<const float>()))},
  };
  appendOutputArgs(args, output, residuals);
  std::string name = kernelName(plan.family);
  emitConvKernel(*module_.module, name, plan, width);
  std::string what = fmt::format("{} {} tile {}x{}{}{}{}", plan.family, spec.describe(), plan.tile.outBlocks,
                                 plan.tile.pixels, plan.plainInput ? " plain input" : "",
                                 epilogue.steps.empty() ? "" : " + ", epilogue.describe());
  addKernel(name, convWorkUnits(plan, width), std::move(args), what, node);
  return Status::success();
}

}  // namespace convopt::codegen
