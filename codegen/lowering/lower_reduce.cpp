// ReduceMean / ReduceSum / ReduceMax / ReduceMin -> reduction kernels on plain
// tensors of any rank (codegen/reduce_kernel.h). Axes: the `axes` attribute
// before opset 13 (ReduceSum) or 18 (the others), a constant input from then
// on, where no axes reduce everything unless noop_with_empty_axes (then the
// reduction is a copy). A ReduceMean over the spatial axes (2, 3) of a 4-D
// tensor is a global average pool on the blocked layout (lower_pool.cpp),
// planned as a kernel root. Static float tensors only; empty inputs fall back.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "codegen/kernels/reduce_kernel.h"
#include "codegen/lowering/kernel_roots.h"
#include "codegen/lowering/op_lowering.h"

namespace convopt::codegen {

namespace {

// Fills `reduced` (one flag per input dim) from the node's axes, or says why it cannot.
Status reducedAxes(const ir::Node& node, const ir::Tensor* axesInput, int64_t opset, size_t rank,
                   std::vector<bool>& reduced) {
  bool fromInput = opset >= (node.opType == "ReduceSum" ? 13 : 18);
  if (fromInput && node.input(1) && !axesInput) return Status::refuse("axes is not a constant");
  std::vector<int64_t> axes = !fromInput  ? node.getInts("axes", {})
                              : axesInput ? axesInput->toInt64Vector()
                                          : std::vector<int64_t>{};
  bool noop = fromInput && axes.empty() && node.getInt("noop_with_empty_axes", 0) != 0;
  reduced.assign(rank, axes.empty() && !noop);
  for (int64_t axis : axes) {
    int64_t normalized = axis < 0 ? axis + int64_t(rank) : axis;
    if (normalized < 0 || normalized >= int64_t(rank))
      return Status::refuse(fmt::format("axis {} out of range for rank {}", axis, rank));
    reduced[normalized] = true;
  }
  return Status::success();
}

std::vector<int64_t> outputDims(const std::vector<int64_t>& dims, const std::vector<bool>& reduced, bool keepdims) {
  std::vector<int64_t> out;
  for (size_t d = 0; d < dims.size(); ++d)
    if (!reduced[d] || keepdims) out.push_back(reduced[d] ? 1 : dims[d]);
  return out;
}

}  // namespace

// A ReduceMean over the spatial axes of a 4-D tensor: a global average pool.
Expected<RootKernel> planReduceMeanPoolKernel(const ir::Node& node, const PlanningInputs& inputs) {
  const ir::Value* input = node.input(0);
  if (!isStaticFloat(input) || inputs.constantOf(input) || !isStaticFloat(node.output(0)))
    return Status::refuse("not a computed float tensor of static shape");
  std::vector<bool> reduced;
  if (Status axes =
          reducedAxes(node, inputs.constantOf(node.input(1)), inputs.opset, input->type.shape->size(), reduced);
      !axes)
    return axes;
  if (reduced != std::vector<bool>{false, false, true, true}) return Status::refuse("not over the spatial axes");
  return planPoolKernel(node, inputs);
}

Status lowerReduce(LoweringContext& context, const ir::Node& node) {
  static const std::map<std::string, ReduceKind> kinds = {{"ReduceSum", ReduceKind::Sum},
                                                          {"ReduceMean", ReduceKind::Mean},
                                                          {"ReduceMax", ReduceKind::Max},
                                                          {"ReduceMin", ReduceKind::Min}};
  const ir::Value *input = node.input(0), *output = node.output(0);
  if (!isStaticFloat(input)) return Status::refuse("not a float tensor of static shape");
  if (context.constantOf(input)) return Status::refuse("constant input");
  ReduceSpec spec{kinds.at(node.opType), input->type.staticShape(), {}};
  if (Status axes =
          reducedAxes(node, context.constantOf(node.input(1)), context.opset(), spec.dims.size(), spec.reduced);
      !axes)
    return axes;
  if (!isStaticFloat(output)) return Status::refuse("output is not a float tensor of static shape");
  if (context.rootKernel<PoolKernel>(node)) return lowerPool(context, node);
  if (output->type.staticShape() != outputDims(spec.dims, spec.reduced, node.getInt("keepdims", 1) != 0))
    return Status::refuse("inferred output shape disagrees with the reduction");
  if (std::find(spec.dims.begin(), spec.dims.end(), 0) != spec.dims.end()) return Status::refuse("empty input");
  std::vector<KernelArg> args = {{KernelArg::Kind::Slot, context.plainSlot(input)}};
  args.push_back({KernelArg::Kind::Slot, context.definePlain(output)});
  std::string name = context.kernelName("reduce");
  emitReduceKernel(context.module(), name, spec, context.vectorWidth());
  context.addKernel(name, reduceWorkUnits(spec, context.vectorWidth()), std::move(args), spec.describe(), node);
  return Status::success();
}

}  // namespace convopt::codegen
