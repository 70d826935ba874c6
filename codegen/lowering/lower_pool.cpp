// MaxPool / AveragePool / GlobalAveragePool / GlobalMaxPool -> pooling kernels. A ReduceMean
// that lower_reduce.cpp planned as over the two spatial axes of a 4-D tensor
// is GlobalAveragePool; without keepdims its [N,C] result is pooled as
// [N,C,1,1] and handed on in plain layout (the same bytes).
#include <fmt/format.h>

#include "codegen/kernels/pool_kernel.h"
#include "codegen/lowering/kernel_roots.h"
#include "codegen/lowering/op_lowering.h"

namespace convopt::codegen {

Expected<RootKernel> planPoolKernel(const ir::Node& node, const PlanningInputs&) {
  if (node.outputs().size() != 1) return Status::refuse("MaxPool indices output");
  const ir::Value* in = node.input(0);
  bool global = node.opType == "GlobalAveragePool" || node.opType == "GlobalMaxPool" || node.opType == "ReduceMean";
  bool squeezed = node.opType == "ReduceMean" && node.getInt("keepdims", 1) == 0;
  if (!isStatic4dFloat(in) || (!squeezed && !isStatic4dFloat(node.output(0))))
    return Status::refuse("not a static 4-D float tensor");
  std::string autoPad = node.getString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID") return Status::refuse("auto_pad " + autoPad);
  std::vector<int64_t> inDims = in->type.staticShape();
  std::vector<int64_t> outDims =
      squeezed ? std::vector<int64_t>{inDims[0], inDims[1], 1, 1} : node.output(0)->type.staticShape();
  PoolSpec spec;
  spec.kind =
      node.opType == "MaxPool" || node.opType == "GlobalMaxPool" ? PoolSpec::Kind::Max : PoolSpec::Kind::Average;
  spec.batch = inDims[0], spec.channels = inDims[1], spec.inHeight = inDims[2], spec.inWidth = inDims[3];
  spec.outHeight = outDims[2], spec.outWidth = outDims[3];
  if (global) {
    spec.kernelH = spec.inHeight, spec.kernelW = spec.inWidth;
  } else {
    std::vector<int64_t> kernel = node.getInts("kernel_shape", {});
    std::vector<int64_t> strides = node.getInts("strides", {1, 1}), dilations = node.getInts("dilations", {1, 1});
    std::vector<int64_t> pads =
        autoPad == "VALID" ? std::vector<int64_t>{0, 0, 0, 0} : node.getInts("pads", {0, 0, 0, 0});
    if (kernel.size() != 2 || strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
      return Status::refuse("not a 2-D pooling");
    spec.kernelH = kernel[0], spec.kernelW = kernel[1], spec.strideH = strides[0], spec.strideW = strides[1];
    spec.dilationH = dilations[0], spec.dilationW = dilations[1];
    spec.padTop = pads[0], spec.padLeft = pads[1], spec.padBottom = pads[2], spec.padRight = pads[3];
    spec.countIncludePad = node.getInt("count_include_pad", 0) != 0;
  }
  return RootKernel{PoolKernel{spec, squeezed}, node.output(0), {}};
}

Status lowerPool(LoweringContext& context, const ir::Node& node) {
  const PoolKernel* kernel = context.rootKernel<PoolKernel>(node);
  if (!kernel) return context.refusal(node);
  const FusedEpilogue& fused = context.epilogueOf(node);
  const ir::Value *in = node.input(0), *output = fused.output;
  PoolSpec spec = kernel->spec;
  spec.epilogue = fused.epilogue;
  bool squeezed = kernel->squeezed;
  std::vector<int64_t> outDims = {spec.batch, spec.channels, spec.outHeight, spec.outWidth};
  std::vector<KernelArg> args = {{KernelArg::Kind::Slot, context.blockedSlot(in)}};
  int pooled =
      squeezed ? context.newSlot(runtime::BlockedShape::of(outDims, context.vectorWidth()).elements() * sizeof(float))
               : -1;
  if (squeezed)
    args.push_back({KernelArg::Kind::Slot, pooled});  // no residuals: an Add fuses only on 4-D operands
  else
    context.appendOutputArgs(args, output, fused.residuals);
  std::string name = context.kernelName("pool");
  emitPoolKernel(context.module(), name, spec, context.vectorWidth());
  std::string what = spec.describe() + (spec.epilogue.steps.empty() ? "" : " + " + spec.epilogue.describe());
  context.addKernel(name, poolWorkUnits(spec, context.vectorWidth()), std::move(args), what, node, fused.nodes);
  if (squeezed) context.program().storage[output].plain = context.fromBlockedSlot(pooled, outDims, output->name());
  return Status::success();
}

}  // namespace convopt::codegen
