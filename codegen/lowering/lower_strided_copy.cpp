// Transpose, Slice and Split on plain (row-major) tensors of any rank -> strided copy
// kernels (codegen/strided_copy_kernel.h):
//   Transpose(perm): output dim d walks the input's dim perm[d];
//   Slice: output dim d walks input dim d from its start by its step
//     (runtime/reference/slice_parameters.h: the reference's clamping), the starts summed into the base;
//   Split: a slice per output, their extents along the axis the inferred shapes';
//   Concat: each input placed into its columns of the output's rows (kernels/row_placement_kernel.h).
// A Slice, Split or Concat that is a channel gather of a blocked 4-D tensor stays
// one (lower_channels.cpp) and is tried first. A blocked input is read through its
// plain copy (a reorder). Static float tensors only; empty outputs fall back.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "codegen/fusion/epilogue_fusion.h"
#include "codegen/kernels/row_placement_kernel.h"
#include "codegen/kernels/strided_copy_kernel.h"
#include "codegen/lowering/op_lowering.h"
#include "runtime/reference/kernel.h"
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

// `output` of `node` from its input. The copy writes spec.dims row-major: the
// output's own shape, or a view of its bytes in other dims (DepthToSpace's 6-D one).
Status lowerStridedCopy(LoweringContext& context, const ir::Node& node, const ir::Value* output,
                        const StridedCopySpec& spec, const std::string& what) {
  const ir::Value* input = node.input(0);
  if (runtime::reference::product(output->type.staticShape()) != runtime::reference::product(spec.dims))
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

// DepthToSpace reads [N, C, H, W] as [N, b, b, C', H, W] (DCR) or [N, C', b, b, H,
// W] (CRD) and writes [N, C', H, b, W, b]; SpaceToDepth reads [N, C, H', b, W', b]
// and writes [N, b, b, C, H', W'].
Status lowerDepthToSpace(LoweringContext& context, const ir::Node& node) {
  const ir::Value* input = node.input(0);
  if (!isStaticFloat(input) || !isStaticFloat(node.output(0)) || input->type.staticShape().size() != 4)
    return Status::refuse("not a static 4-D float tensor");
  if (context.constantOf(input)) return Status::refuse("constant input");
  std::vector<int64_t> d = input->type.staticShape();
  int64_t b = node.getInt("blocksize", 0), n = d[0], c = d[1], h = d[2], w = d[3];
  StridedCopySpec spec;
  if (node.opType == "SpaceToDepth") {
    spec.dims = {n, b, b, c, h / b, w / b};
    spec.strides = {c * h * w, w, 1, h * w, b * w, b};
  } else if (node.getString("mode", "DCR") == "CRD") {
    int64_t co = c / (b * b);
    spec.dims = {n, co, h, b, w, b};
    spec.strides = {c * h * w, b * b * h * w, w, b * h * w, 1, h * w};
  } else {
    int64_t co = c / (b * b);
    spec.dims = {n, co, h, b, w, b};
    spec.strides = {c * h * w, h * w, w, b * co * h * w, 1, co * h * w};
  }
  return lowerStridedCopy(context, node, node.output(0), spec, node.opType);
}

Status lowerConcat(LoweringContext& context, const ir::Node& node) {
  if (Status gather = lowerChannelGather(context, node); gather.ok()) return gather;
  const ir::Value* output = node.output(0);
  if (!isStaticFloat(output)) return Status::refuse("not a float tensor of static shape");
  if (!node.findAttribute("axis") && context.opset() >= 4) return Status::refuse("axis is required from opset 4 on");
  std::vector<int64_t> dims = output->type.staticShape();
  int64_t rank = int64_t(dims.size()), axis = node.getInt("axis", 1);  // 1 before opset 4
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return Status::refuse(fmt::format("axis out of range for rank {}", rank));
  // Rows of the dims before the axis; each input fills its columns of every row.
  int64_t rows = runtime::reference::product(std::span(dims).first(axis));
  int64_t outputRow = runtime::reference::product(std::span(dims).subspan(axis));
  if (rows * outputRow == 0) return Status::refuse("empty output");
  std::vector<std::pair<const ir::Value*, RowPlacementSpec>> pieces;  // inputs with elements
  int64_t offset = 0;
  for (const ir::Value* input : node.inputs()) {
    if (!input || !isStaticFloat(input)) return Status::refuse("an input of no static shape");
    int64_t elements = runtime::reference::product(input->type.staticShape());
    if (elements % rows != 0) return Status::refuse("inputs do not tile the output along the axis");
    if (elements > 0) pieces.push_back({input, {rows, elements / rows, outputRow, offset}});
    offset += elements / rows;
  }
  if (offset != outputRow) return Status::refuse("inputs do not tile the output along the axis");
  int slot = context.definePlain(output);
  for (const auto& [input, spec] : pieces) {
    std::string name = context.kernelName("concat");
    emitRowPlacementKernel(context.module(), name, spec, context.vectorWidth());
    context.addKernel(name, rowPlacementWorkUnits(spec, context.vectorWidth()),
                      {{KernelArg::Kind::Slot, context.plainSlot(input)}, {KernelArg::Kind::Slot, slot}},
                      fmt::format("{} rows of {} into columns [{}, {}) of {}", spec.rows, spec.inner, spec.offset,
                                  spec.offset + spec.inner, spec.outputRow),
                      node);
  }
  return Status::success();
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
  std::vector<StridedCopySpec> slices;
  int64_t start = 0;
  for (const ir::Value* output : node.outputs()) {
    if (!output || !isStaticFloat(output) || output->type.staticShape().size() != dims.size())
      return Status::refuse("an output of no static shape");
    std::vector<int64_t> piece = output->type.staticShape();
    if (std::find(piece.begin(), piece.end(), 0) != piece.end()) return Status::refuse("empty output");
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && piece[d] != dims[d]) return Status::refuse("outputs do not tile the input along the axis");
    slices.push_back({piece, strides, start * strides[axis]});
    start += piece[axis];
  }
  if (start != dims[axis]) return Status::refuse("outputs do not tile the input along the axis");
  for (size_t k = 0; k < slices.size(); ++k)  // each checked above: lowerStridedCopy takes them all
    (void)lowerStridedCopy(context, node, node.output(k), slices[k],
                           fmt::format("split part {}", slices[k].base / strides[axis]));
  return Status::success();
}

}  // namespace convopt::codegen
