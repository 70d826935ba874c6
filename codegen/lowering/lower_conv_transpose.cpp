// ConvTranspose nodes -> one kernel of phase convolutions (codegen/conv_transpose.h)
// emitted by the shared conv emitter. Generated when: X and Y are static 4-D
// floats, W and B are float constants, and every phase has a conv family
// (conv_plan.h). The geometry (pads from pads / output_shape / auto_pad) is the
// reference interpreter's own.
#include <fmt/format.h>

#include "codegen/conv/conv_emitter.h"
#include "codegen/conv/conv_transpose.h"
#include "codegen/conv/conv_weights.h"
#include "codegen/fusion/epilogue_fusion.h"
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

Status lowerConvTranspose(LoweringContext& context, const ir::Node& node) {
  if (!isStatic4dFloat(node.input(0)) || !isStatic4dFloat(node.output(0)))
    return Status::refuse("input/output not a static 4-D float tensor");
  const ir::Tensor* weights = context.constantOf(node.input(1));
  const ir::Tensor* bias = node.input(2) ? context.constantOf(node.input(2)) : nullptr;
  if (!weights || weights->dtype() != ir::DType::Float || weights->rank() != 4)
    return Status::refuse("weights are not a 4-D float constant");
  if (node.input(2) && (!bias || bias->dtype() != ir::DType::Float))
    return Status::refuse("bias is not a float constant");
  Expected<ConvTransposeSpec> checked = transposeSpec(node, weights->dims(), context.opset());
  if (!checked) return checked.status();
  ConvTransposeSpec& spec = *checked;
  if (bias && bias->numel() != spec.outChannels) return Status::refuse("bias size differs from the output channels");
  std::vector<const ir::Value*> residuals;
  const ir::Value* output = fuseEpilogue(context, node.output(0), spec.epilogue, residuals);
  int width = context.vectorWidth();
  std::vector<ConvPart> parts;
  std::vector<float> packed;
  std::vector<std::string> families;  // per phase, for explain()
  for (const ConvTransposePhase& phase : convTransposePhases(spec)) {
    Expected<ConvPlan> result = planConv(phase.view, context.target());
    if (!result) {
      context.unfuse();
      return Status::refuse("phase " + phase.view.describe() + ": " + result.reason());
    }
    parts.push_back({*result, int64_t(packed.size())});
    std::vector<float> phaseW = packConvWeights(phase.view, width, phaseWeights(spec, phase, weights->data<float>()));
    packed.insert(packed.end(), phaseW.begin(), phaseW.end());
    families.push_back(fmt::format("{} {}x{} tile {}x{}", result->family, phase.view.kernelH, phase.view.kernelW,
                                   result->tile.outBlocks, result->tile.pixels));
  }
  std::vector<KernelArg> args(kConvBuffers.index(BufferRole::Output));
  args[kConvBuffers.index(BufferRole::Input)] = {KernelArg::Kind::Slot, context.blockedSlot(node.input(0))};
  args[kConvBuffers.index(BufferRole::Weights)] = {KernelArg::Kind::Constant, context.addConstant(std::move(packed))};
  args[kConvBuffers.index(BufferRole::Bias)] = {
      KernelArg::Kind::Constant,
      context.addConstant(
          packConvBias(parts[0].plan.view, width, bias ? bias->data<float>() : std::span<const float>()))};
  context.appendOutputArgs(args, output, residuals);
  std::string name = context.kernelName("convtranspose");
  emitConvKernel(context.module(), name, parts, width);
  std::string what = fmt::format("{} {} phases [{}]{}{}", spec.describe(), parts.size(), describePhases(families),
                                 spec.epilogue.steps.empty() ? "" : " + ", spec.epilogue.describe());
  context.addKernel(name, convWorkUnits(parts, width), std::move(args), what, node);
  return Status::success();
}

}  // namespace convopt::codegen
