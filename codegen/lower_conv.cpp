// Conv nodes -> conv kernels (codegen/conv_plan.h picks the family).
#include <fmt/format.h>

#include "codegen/conv_emitter.h"
#include "codegen/conv_weights.h"
#include "codegen/engine_lowering.h"
#include "ir/error.h"

namespace convopt::codegen {

std::string Lowering::lowerConv(const ir::Node& node) {
  if (!isStatic4dFloat(node.input(0)) || !isStatic4dFloat(node.output(0)))
    return "input/output not a static 4-D float tensor";
  const ir::Tensor* weights = constantOf(node.input(1));
  const ir::Tensor* bias = node.input(2) ? constantOf(node.input(2)) : nullptr;
  if (!weights || weights->dtype() != ir::DType::Float) return "weights are not a float constant";
  if (node.input(2) && (!bias || bias->dtype() != ir::DType::Float)) return "bias is not a float constant";
  ConvSpec spec;
  try {
    spec = convSpecFromNode(node);
  } catch (const InputError& e) {
    return e.what();
  }
  std::vector<const ir::Value*> residuals;
  Epilogue epilogue;
  const ir::Value* output = fuseEpilogue(node.output(0), epilogue, residuals);
  spec.epilogue = epilogue;
  ConvPlanResult result = planConv(spec, target_);
  if (!result.plan) {
    unfuse();
    return result.reason;
  }
  int width = vectorWidth();
  ConvPlan& plan = *result.plan;
  // Read a few-channel input in place when it exists only in ONNX layout (a
  // model's image input): no reorder, and no padded lanes in the cache lines.
  const Storage& input = program_.storage[node.input(0)];
  plan.plainInput = canReadPlainInput(plan, width) && input.plain >= 0 && input.blocked < 0;
  std::vector<KernelArg> args = {
      {KernelArg::Kind::Slot, plan.plainInput ? plainSlot(node.input(0)) : blockedSlot(node.input(0))},
      {KernelArg::Kind::Constant, addConstant(packConvWeights(spec, width, weights->data<float>()))},
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
  return "";
}

}  // namespace convopt::codegen
