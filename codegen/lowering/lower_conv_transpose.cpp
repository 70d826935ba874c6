// ConvTranspose nodes -> one kernel of phase convolutions (codegen/conv_transpose.h)
// emitted by the shared conv emitter. Generated when: X and Y are static 4-D
// floats, W and B are float constants, and every phase has a conv family
// (conv_plan.h). The geometry (pads from pads / output_shape / auto_pad) is the
// reference interpreter's own.
#include <fmt/format.h>

#include "codegen/conv/conv_emitter.h"
#include "codegen/conv/conv_transpose.h"
#include "codegen/conv/conv_weights.h"
#include "codegen/lowering/kernel_roots.h"
#include "codegen/lowering/op_lowering.h"
#include "runtime/reference/spatial.h"

namespace convopt::codegen {

namespace {

// The spec of a ConvTranspose whose operand shapes were checked, or why it does not fit.
Expected<ConvTransposeSpec> transposeSpec(const ir::Node& node, const std::vector<int64_t>& w, int64_t opset) {
  std::vector<int64_t> in = node.input(0)->type.staticShape(), out = node.output(0)->type.staticShape();
  ConvTransposeSpec spec;
  spec.batch = in[0], spec.inChannels = in[1], spec.outChannels = out[1];
  spec.group = node.getInt("group", 1);
  if (spec.group < 1 || w[0] != in[1] || in[1] % spec.group || w[1] * spec.group != out[1])
    return Status::refuse("weight shape does not fit the channels and group");
  runtime::reference::WindowGeometry g;
  try {
    g = runtime::reference::transposedWindow(runtime::reference::KernelContext(node, {}, opset), {in[2], in[3]},
                                             {w[2], w[3]});
  } catch (const InputError& e) {
    return Status::refuse(e.what());
  }
  if (g.output[0] != out[2] || g.output[1] != out[3])
    return Status::refuse("output shape differs from the inferred one");
  spec.rows = {g.input[0], g.output[0], g.kernel[0], g.strides[0], g.dilations[0], g.padBegin[0]};
  spec.cols = {g.input[1], g.output[1], g.kernel[1], g.strides[1], g.dilations[1], g.padBegin[1]};
  return spec;
}

// "dense 1x1 tile 2x14 x4": equal neighbours counted once.
std::string describePhases(const std::vector<std::string>& phases) {
  std::string text;
  for (size_t i = 0, j; i < phases.size(); i = j) {
    for (j = i; j < phases.size() && phases[j] == phases[i];) ++j;
    text += (text.empty() ? "" : ", ") + phases[i] + (j - i > 1 ? fmt::format(" x{}", j - i) : "");
  }
  return text;
}

}  // namespace

Expected<RootKernel> planConvTransposeKernel(const ir::Node& node, const PlanningInputs& inputs) {
  if (!isStatic4dFloat(node.input(0)) || !isStatic4dFloat(node.output(0)))
    return Status::refuse("input/output not a static 4-D float tensor");
  const ir::Tensor* weights = inputs.constantOf(node.input(1));
  const ir::Tensor* bias = node.input(2) ? inputs.constantOf(node.input(2)) : nullptr;
  if (!weights || weights->dtype() != ir::DType::Float || weights->rank() != 4)
    return Status::refuse("weights are not a 4-D float constant");
  if (node.input(2) && (!bias || bias->dtype() != ir::DType::Float))
    return Status::refuse("bias is not a float constant");
  Expected<ConvTransposeSpec> checked = transposeSpec(node, weights->dims(), inputs.opset);
  if (!checked) return checked.status();
  ConvTransposeKernel kernel;
  kernel.spec = std::move(*checked);
  if (bias && bias->numel() != kernel.spec.outChannels)
    return Status::refuse("bias size differs from the output channels");
  int width = inputs.target.vectorWidth;
  std::vector<std::string> families;  // per phase, for the explanation
  for (const ConvTransposePhase& phase : convTransposePhases(kernel.spec)) {
    Expected<ConvPlan> result = planConv(phase.view, inputs.target);
    if (!result) return Status::refuse("phase " + phase.view.describe() + ": " + result.reason());
    kernel.phases.push_back({*result, int64_t(kernel.packedWeights.size())});
    std::vector<float> phaseW =
        packConvWeights(phase.view, width, phaseWeights(kernel.spec, phase, weights->data<float>()));
    kernel.packedWeights.insert(kernel.packedWeights.end(), phaseW.begin(), phaseW.end());
    families.push_back(fmt::format("{} {}x{} tile {}x{}", result->family, phase.view.kernelH, phase.view.kernelW,
                                   result->tile.outBlocks, result->tile.pixels));
  }
  kernel.phaseFamilies = describePhases(families);
  return RootKernel{std::move(kernel), node.output(0), {}};
}

Status lowerConvTranspose(LoweringContext& context, const ir::Node& node) {
  const ConvTransposeKernel* kernel = context.rootKernel<ConvTransposeKernel>(node);
  if (!kernel) return context.refusal(node);
  const FusedEpilogue& fused = context.epilogueOf(node);
  ConvTransposeSpec spec = kernel->spec;
  spec.epilogue = fused.epilogue;
  std::vector<ConvPart> parts = kernel->phases;
  for (ConvPart& part : parts) part.plan.view.epilogue = fused.epilogue;
  int width = context.vectorWidth();
  const ir::Tensor* bias = node.input(2) ? context.constantOf(node.input(2)) : nullptr;
  std::vector<KernelArg> args(kConvBuffers.index(BufferRole::Output));
  args[kConvBuffers.index(BufferRole::Input)] = {KernelArg::Kind::Slot, context.blockedSlot(node.input(0))};
  args[kConvBuffers.index(BufferRole::Weights)] = {KernelArg::Kind::Constant,
                                                   context.addConstant(kernel->packedWeights)};
  args[kConvBuffers.index(BufferRole::Bias)] = {
      KernelArg::Kind::Constant,
      context.addConstant(
          packConvBias(parts[0].plan.view, width, bias ? bias->data<float>() : std::span<const float>()))};
  context.appendOutputArgs(args, fused.output, fused.residuals);
  std::string name = context.kernelName("convtranspose");
  emitConvKernel(context.module(), name, parts, width);
  std::string what = fmt::format("{} {} phases [{}]{}{}", spec.describe(), parts.size(), kernel->phaseFamilies,
                                 spec.epilogue.steps.empty() ? "" : " + ", spec.epilogue.describe());
  context.addKernel(name, convWorkUnits(parts, width), std::move(args), what, node, fused.nodes);
  return Status::success();
}

}  // namespace convopt::codegen
