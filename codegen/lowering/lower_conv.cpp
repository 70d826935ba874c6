// Conv nodes -> conv kernels (codegen/conv/conv_plan.h picks the family, at planning).
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "codegen/conv/conv_emitter.h"
#include "codegen/conv/conv_weights.h"
#include "codegen/kernels/weight_scale_kernel.h"
#include "codegen/lowering/conv_spec_from_node.h"
#include "codegen/lowering/kernel_roots.h"
#include "codegen/lowering/op_lowering.h"
#include "ir/error.h"
#include "ir/int_math.h"

namespace convopt::codegen {

// File-local steps of this file's lowering functions.
static int scaledWeights(LoweringContext& context, const ir::Node& node, const ConvSpec& spec, int packedWeights);
static void lowerWinogradConv(LoweringContext& context, const ir::Node& node, WinogradPlan plan);

Expected<RootKernel> planConvKernel(const ir::Node& node, const PlanningInputs& inputs) {
  if (!isStatic4dFloat(node.input(0)) || !isStatic4dFloat(node.output(0)))
    return Status::refuse("input/output not a static 4-D float tensor");
  const ir::Tensor* weights = inputs.constantOf(node.input(1));
  const ir::Tensor* bias = node.input(2) ? inputs.constantOf(node.input(2)) : nullptr;
  if (!weights || weights->dtype() != ir::DType::Float) return Status::refuse("weights are not a float constant");
  if (node.input(2) && (!bias || bias->dtype() != ir::DType::Float))
    return Status::refuse("bias is not a float constant");
  ConvKernel kernel;
  try {
    kernel.spec = convSpecFromNode(node);
  } catch (const InputError& e) {
    return Status::refuse(e.what());
  }
  Expected<ConvPlan> plan = planConv(kernel.spec, inputs.target);
  if (!plan) return plan.status();
  kernel.plan = std::move(*plan);
  kernel.plan.variant = measuredConvVariant(kernel.spec, inputs.target);
  if (winogradLegality(kernel.spec, inputs.target.vectorWidth)) kernel.winogradKey = convLayerKey(kernel.spec);
  if (Expected<WinogradPlan> winograd = planWinograd(kernel.spec, inputs.target))
    kernel.winograd = std::move(*winograd);
  else if (inputs.target.winograd != WinogradUse::Never && !kernel.winogradKey.empty())
    kernel.directReason = winograd.reason();
  return RootKernel{std::move(kernel), node.output(0), {}};
}

// Weights times the run-time per-channel scale folded into this conv
// (scaled_conv_input.h): a kernel before the conv writes them into a slot.
int scaledWeights(LoweringContext& context, const ir::Node& node, const ConvSpec& spec, int packedWeights) {
  const ScaledConvInput& folded = context.fusion().scaledInputs.at(&node);
  int width = context.vectorWidth();
  WeightScaleSpec scaleSpec{ceilDiv(spec.outChannels, width), spec.kernelH * spec.kernelW, spec.inChannels};
  int slot = context.newSlot(context.program().constants[packedWeights].size() * sizeof(float));
  std::string name = context.kernelName("weightscale");
  emitWeightScaleKernel(context.module(), name, scaleSpec, width);
  context.addKernel(name, scaleSpec.outBlocks,
                    {{KernelArg::Kind::Constant, packedWeights},
                     {KernelArg::Kind::Slot, context.blockedSlot(folded.scale)},
                     {KernelArg::Kind::Slot, slot}},
                    "weights scaled per input channel by " + folded.scale->name(), node, {folded.mul});
  return slot;
}

// Input transform, products, output transform (conv/winograd.h), through two scratch slots.
void lowerWinogradConv(LoweringContext& context, const ir::Node& node, WinogradPlan plan) {
  const FusedEpilogue& fused = context.epilogueOf(node);
  plan.conv.epilogue = fused.epilogue;
  int width = context.vectorWidth();
  const ConvSpec& spec = plan.conv;
  std::string points = fmt::format("F({0}x{0},3x3)", plan.transform.tile);
  int transformed = context.newSlot(winogradInputBytes(plan)), products = context.newSlot(winogradProductBytes(plan));
  std::string name = context.kernelName("winograd_input");
  emitWinogradInputTransform(context.module(), name, plan, width);
  context.addKernel(name, winogradInputUnits(plan, width),
                    {{KernelArg::Kind::Slot, context.blockedSlot(node.input(0))}, {KernelArg::Kind::Slot, transformed}},
                    fmt::format("winograd {} input transform of {}", points, spec.describe()), node);
  const ir::Tensor* weights = context.constantOf(node.input(1));
  std::vector<KernelArg> args(kConvBuffers.index(BufferRole::Output) + 1);
  args[kConvBuffers.index(BufferRole::Input)] = {KernelArg::Kind::Slot, transformed};
  args[kConvBuffers.index(BufferRole::Weights)] = {
      KernelArg::Kind::Constant,
      context.addConstant(packConvWeights(plan.products.view, width, winogradWeights(plan, weights->data<float>())))};
  args[kConvBuffers.index(BufferRole::Bias)] = {KernelArg::Kind::Constant,
                                                context.addConstant(packConvBias(plan.products.view, width, {}))};
  args[kConvBuffers.index(BufferRole::Output)] = {KernelArg::Kind::Slot, products};
  name = context.kernelName("winograd_products");
  emitConvKernel(context.module(), name, plan.products, width);
  // The profile counts the direct convolution's multiply-adds: its rate is the one that compares.
  context.addKernel(name, convWorkUnits(plan.products, width), std::move(args),
                    fmt::format("winograd {} products {} tile {}x{}", points, plan.products.view.describe(),
                                plan.products.tile.outBlocks, plan.products.tile.pixels),
                    node, {}, spec.multiplyAdds());
  const ir::Tensor* bias = node.input(2) ? context.constantOf(node.input(2)) : nullptr;
  args = {{KernelArg::Kind::Slot, products},
          {KernelArg::Kind::Constant,
           context.addConstant(packConvBias(spec, width, bias ? bias->data<float>() : std::span<const float>()))}};
  context.appendOutputArgs(args, fused.output, fused.residuals);
  name = context.kernelName("winograd_output");
  emitWinogradOutputTransform(context.module(), name, plan, width);
  context.addKernel(name, winogradOutputUnits(plan, width), std::move(args),
                    fmt::format("winograd {} output transform{}{}", points, fused.epilogue.steps.empty() ? "" : " + ",
                                fused.epilogue.describe()),
                    node, fused.nodes);
}

static void lowerDirectConv(LoweringContext& context, const ir::Node& node, const ConvKernel& kernel,
                            const ScaledConvInput* scaled);
static void lowerRingFusedConvs(LoweringContext& context, const ir::Node& node, const ConvRing& ring);

Status lowerConv(LoweringContext& context, const ir::Node& node) {
  const ConvKernel* kernel = context.rootKernel<ConvKernel>(node);
  if (!kernel) return context.refusal(node);
  if (auto ring = context.fusion().convRings.find(&node); ring != context.fusion().convRings.end()) {
    lowerRingFusedConvs(context, node, ring->second);
    return Status::success();
  }
  auto scaled = context.fusion().scaledInputs.find(&node);
  bool isScaled = scaled != context.fusion().scaledInputs.end();
  std::vector<Step>& steps = context.program().steps;
  size_t first = steps.size();
  // A scaled input's weights change at run time; the Winograd domain's are transformed at compile time.
  if (kernel->winograd && !isScaled)
    lowerWinogradConv(context, node, *kernel->winograd);
  else
    lowerDirectConv(context, node, *kernel, isScaled ? &scaled->second : nullptr);
  if (!isScaled)
    for (size_t i = first; i < steps.size(); ++i)  // its kernels, not the reorders of its input
      if (steps[i].kind == Step::Kind::Kernel) steps[i].winogradKey = kernel->winogradKey;
  return Status::success();
}

// Whether a conv reading `data` reads it in place in ONNX layout: a few-channel
// input that exists only that way (a model's image input), so no reorder and
// no padded lanes in the cache lines.
static bool readsPlainInput(LoweringContext& context, const ConvPlan& plan, const ir::Value* data) {
  const Storage& input = context.program().storage[data];
  return canReadPlainInput(plan, context.vectorWidth()) && input.plain >= 0 && input.blocked < 0;
}

// The conv's packed weights and bias, appended to `weights` and `bias`.
static void appendPackedConv(LoweringContext& context, const ir::Node& node, const ConvSpec& spec,
                             std::vector<float>& weights, std::vector<float>& bias) {
  int width = context.vectorWidth();
  std::vector<float> packed = packConvWeights(spec, width, context.constantOf(node.input(1))->data<float>());
  weights.insert(weights.end(), packed.begin(), packed.end());
  const ir::Tensor* biasValues = node.input(2) ? context.constantOf(node.input(2)) : nullptr;
  packed = packConvBias(spec, width, biasValues ? biasValues->data<float>() : std::span<const float>());
  bias.insert(bias.end(), packed.begin(), packed.end());
}

// A conv kernel's arguments (kernel_abi.h): `data` read plain or blocked, the
// weights, the packed bias, then the epilogue's output and residuals.
static std::vector<KernelArg> convKernelArgs(LoweringContext& context, const ir::Value* data, bool plainInput,
                                             KernelArg weights, std::vector<float> bias, const FusedEpilogue& fused) {
  std::vector<KernelArg> args(kConvBuffers.index(BufferRole::Output));
  args[kConvBuffers.index(BufferRole::Input)] = {KernelArg::Kind::Slot,
                                                 plainInput ? context.plainSlot(data) : context.blockedSlot(data)};
  args[kConvBuffers.index(BufferRole::Weights)] = weights;
  args[kConvBuffers.index(BufferRole::Bias)] = {KernelArg::Kind::Constant, context.addConstant(std::move(bias))};
  context.appendOutputArgs(args, fused.output, fused.residuals);
  return args;
}

// The producer conv's rows computed inside the reading conv's kernel (conv/conv_ring_fusion.h).
void lowerRingFusedConvs(LoweringContext& context, const ir::Node& node, const ConvRing& ring) {
  const ir::Node& producer = *ring.producer;
  const FusedEpilogue &made = context.epilogueOf(producer), &fused = context.epilogueOf(node);
  RingFusionPlan plan = ring.plan;
  plan.producer.view.epilogue = made.epilogue;
  plan.consumer.view.epilogue = fused.epilogue;
  plan.producer.plainInput = readsPlainInput(context, plan.producer, producer.input(0));
  std::vector<float> weights, bias;
  appendPackedConv(context, producer, context.rootKernel<ConvKernel>(producer)->spec, weights, bias);
  plan.weightOffset = int64_t(weights.size()), plan.biasOffset = int64_t(bias.size());
  appendPackedConv(context, node, context.rootKernel<ConvKernel>(node)->spec, weights, bias);
  std::vector<KernelArg> args =
      convKernelArgs(context, producer.input(0), plan.producer.plainInput,
                     {KernelArg::Kind::Constant, context.addConstant(std::move(weights))}, std::move(bias), fused);
  std::string name = context.kernelName("ringfused");
  emitRingFusedKernel(context.module(), name, plan, context.vectorWidth());
  std::vector<const ir::Node*> nodes{&producer};
  nodes.insert(nodes.end(), made.nodes.begin(), made.nodes.end());
  nodes.insert(nodes.end(), fused.nodes.begin(), fused.nodes.end());
  context.addKernel(name, ringFusedWorkUnits(plan), std::move(args), describeRingFusion(plan), node, nodes,
                    plan.producer.view.multiplyAdds() + plan.consumer.view.multiplyAdds());
  context.program().kernelsByNode.insert({producer.label(), name});
}

void lowerDirectConv(LoweringContext& context, const ir::Node& node, const ConvKernel& kernel,
                     const ScaledConvInput* scaled) {
  bool isScaled = scaled != nullptr;
  const ir::Value* data = isScaled ? scaled->input : node.input(0);
  const FusedEpilogue& fused = context.epilogueOf(node);
  ConvSpec spec = kernel.spec;
  spec.epilogue = fused.epilogue;
  ConvPlan plan = kernel.plan;
  plan.view.epilogue = fused.epilogue;
  int width = context.vectorWidth();
  plan.plainInput = readsPlainInput(context, plan, data);
  std::vector<float> weights, bias;
  appendPackedConv(context, node, spec, weights, bias);
  KernelArg weightArg{KernelArg::Kind::Constant, context.addConstant(std::move(weights))};
  if (isScaled) weightArg = {KernelArg::Kind::Slot, scaledWeights(context, node, spec, weightArg.index)};
  std::vector<KernelArg> args = convKernelArgs(context, data, plan.plainInput, weightArg, std::move(bias), fused);
  std::string name = context.kernelName(plan.family);
  std::vector<ConvVariant> inPlay = emitConvKernel(context.module(), name, plan, width);
  // A variant measured where this kernel does not make its choice (another vector width's table) changed nothing.
  if (std::find(inPlay.begin(), inPlay.end(), plan.variant) == inPlay.end()) plan.variant = ConvVariant::Heuristic;
  std::string what =
      describeConvPlan(spec, plan) + (kernel.directReason.empty() ? "" : " (" + kernel.directReason + ")");
  context.addKernel(name, convWorkUnits(plan, width), std::move(args), what, node, fused.nodes, spec.multiplyAdds());
  Step& step = context.program().steps.back();
  step.convVariants = std::move(inPlay);
  if (!step.convVariants.empty()) step.convKey = convLayerKey(kernel.spec);
}

}  // namespace convopt::codegen
