// Transpose, Slice and Split on plain (row-major) tensors of any rank -> strided copy
// kernels (codegen/strided_copy_kernel.h):
//   Transpose(perm): output dim d walks the input's dim perm[d];
//   Slice: output dim d walks input dim d from its start by its step
//     (runtime/reference/slice_parameters.h: the reference's clamping), the starts summed into the base;
//   Split: a slice per output, their extents along the axis the inferred shapes'.
// A Slice or Split that is a channel gather of a blocked 4-D tensor stays one
// (lower_channels.cpp) and is tried first. A blocked input is read through its
// plain copy (a reorder). Static float tensors only; empty outputs fall back.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "codegen/fusion/epilogue_fusion.h"
#include "codegen/kernels/strided_copy_kernel.h"
#include "codegen/lowering/op_lowering.h"
#include "runtime/reference/slice_parameters.h"

namespace convopt::codegen {

// File-local steps of this file's lowering functions.
static Status lowerStridedCopy(LoweringContext& context, const ir::Node& node, const ir::Value* output,
                               const StridedCopySpec& spec, const std::string& what);

namespace {

std::vector<int64_t> rowMajorStrides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) strides[d - 1] = strides[d] * dims[d];
  return strides;
}

}  // namespace

// `output` of `node` from its input.
Status lowerStridedCopy(LoweringContext& context, const ir::Node& node, const ir::Value* output,
                        const StridedCopySpec& spec, const std::string& what) {
  const ir::Value* input = node.input(0);
  if (output->type.staticShape() != spec.dims)
    return Status::refuse("inferred output shape disagrees with the " + node.opType);
  if (std::find(spec.dims.begin(), spec.dims.end(), 0) != spec.dims.end()) return Status::refuse("empty output");
  std::vector<KernelArg> args = {{KernelArg::Kind::Slot, context.plainSlot(input)}};
  args.push_back({KernelArg::Kind::Slot, context.definePlain(output)});
  std::string name = context.kernelName("copy");
  emitStridedCopyKernel(context.module(), name, spec, context.vectorWidth());
  context.addKernel(name, stridedCopyWorkUnits(spec, context.vectorWidth()), std::move(args),
                    what + " " + spec.describe(), node);
  return Status::success();
}

Status lowerTranspose(LoweringContext& context, const ir::Node& node) {
  const ir::Value* input = node.input(0);
  if (!isStaticFloat(input) || !isStaticFloat(node.output(0)))
    return Status::refuse("not a float tensor of static shape");
  if (context.constantOf(input)) return Status::refuse("constant input");
  std::vector<int64_t> dims = input->type.staticShape(), strides = rowMajorStrides(dims);
  std::vector<int64_t> perm(dims.size());
  std::iota(perm.rbegin(), perm.rend(), int64_t(0));  // default: reverse the axes
  perm = node.getInts("perm", perm);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  if (sorted.size() != dims.size() || std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end() ||
      (!sorted.empty() && (sorted.front() != 0 || sorted.back() != int64_t(dims.size()) - 1)))
    return Status::refuse(fmt::format("perm [{}] is not a permutation of the input's axes", fmt::join(perm, ",")));
  StridedCopySpec spec;
  for (int64_t axis : perm) spec.dims.push_back(dims[axis]), spec.strides.push_back(strides[axis]);
  return lowerStridedCopy(context, node, node.output(0), spec, fmt::format("transpose [{}]", fmt::join(perm, ",")));
}

Status lowerSlice(LoweringContext& context, const ir::Node& node) {
  if (Status gather = lowerChannelGather(context, node); gather.ok()) return gather;
  runtime::reference::SliceParameters params;
  if (Status status = runtime::reference::readSliceParameters(node, context.constantLookup(), context.opset(), params);
      !status)
    return status;
  const ir::Value* input = node.input(0);
  if (!isStaticFloat(input) || !isStaticFloat(node.output(0)))
    return Status::refuse("not a float tensor of static shape");
  if (context.constantOf(input)) return Status::refuse("constant input");
  std::vector<int64_t> dims = input->type.staticShape(), strides = rowMajorStrides(dims);
  std::vector<runtime::reference::SliceAxis> axes;
  if (Status status = params.resolve(dims, axes); !status) return status;
  StridedCopySpec spec;
  for (size_t d = 0; d < dims.size(); ++d) {
    spec.dims.push_back(axes[d].count);
    spec.strides.push_back(axes[d].step * strides[d]);
    spec.base += axes[d].start * strides[d];
  }
  return lowerStridedCopy(context, node, node.output(0), spec, "slice");
}

Status lowerSplit(LoweringContext& context, const ir::Node& node) {
  if (Status gather = lowerChannelGather(context, node); gather.ok()) return gather;
  const ir::Value* input = node.input(0);
  if (!isStaticFloat(input)) return Status::refuse("not a float tensor of static shape");
  if (context.constantOf(input)) return Status::refuse("constant input");
  std::vector<int64_t> dims = input->type.staticShape(), strides = rowMajorStrides(dims);
  int64_t rank = int64_t(dims.size()), axis = node.getInt("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return Status::refuse(fmt::format("axis out of range for rank {}", rank));
  // Each output a slice along the axis, its extent the inferred shape's (they tile the input).
  int64_t start = 0;
  for (const ir::Value* output : node.outputs()) {
    if (!output || !isStaticFloat(output) || output->type.staticShape().size() != dims.size())
      return Status::refuse("an output of no static shape");
    std::vector<int64_t> piece = output->type.staticShape();
    if (std::find(piece.begin(), piece.end(), 0) != piece.end()) return Status::refuse("empty output");
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && piece[d] != dims[d]) return Status::refuse("outputs do not tile the input along the axis");
    start += piece[axis];
  }
  if (start != dims[axis]) return Status::refuse("outputs do not tile the input along the axis");
  start = 0;
  for (const ir::Value* output : node.outputs()) {
    StridedCopySpec spec{output->type.staticShape(), strides, start * strides[axis]};
    if (Status status = lowerStridedCopy(context, node, output, spec, fmt::format("split part {}", start)); !status)
      return status;
    start += spec.dims[axis];
  }
  return Status::success();
}

}  // namespace convopt::codegen
