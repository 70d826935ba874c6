// Resize / Upsample nodes -> resize kernels (codegen/resize_kernel.h). The
// geometry comes from the reference interpreter's own coordinate mapping
// (runtime/reference/resize_geometry.h), so both agree on every mode.
// Generated when: X and Y are static 4-D floats, roi / scales / sizes are
// constants, mode is nearest or linear, and only H and W are resized.
#include <fmt/format.h>

#include "codegen/kernels/resize_kernel.h"
#include "codegen/lowering/kernel_roots.h"
#include "codegen/lowering/op_lowering.h"
#include "runtime/reference/resize_geometry.h"

namespace convopt::codegen {

namespace {

namespace ref = runtime::reference;

// Resize-11+: X, roi, scales, sizes; Resize-10 and Upsample: X, scales.
const char* inputRole(const ir::Node& node, int64_t opset, size_t index) {
  if (node.opType == "Upsample" || opset < 11) return "scales";
  static const char* const roles[] = {"X", "roi", "scales", "sizes"};
  return index < 4 ? roles[index] : "extra input";
}

bool isIdentity(const std::vector<ref::ResizeTaps>& axis) {
  for (size_t x = 0; x < axis.size(); ++x) {
    const ref::ResizeTaps& t = axis[x];
    if (t.outside || t.taps.size() != 1 || t.taps[0].first != int64_t(x) || t.taps[0].second != 1.0) return false;
  }
  return true;
}

// The kernel's map of one axis, or why it does not fit.
Expected<ResizeAxisMap> axisMap(const std::vector<ref::ResizeTaps>& axis) {
  ResizeAxisMap map;
  map.lo = int64_t(axis.size()), map.hi = 0;
  for (size_t x = 0; x < axis.size(); ++x) {
    const ref::ResizeTaps& t = axis[x];
    ResizeSource& s = map.sources.emplace_back();
    if (t.outside) continue;
    map.lo = std::min(map.lo, int64_t(x)), map.hi = int64_t(x) + 1;
    s.first = s.second = t.taps.at(0).first;
    s.w0 = float(t.taps[0].second);
    if (t.taps.size() == 2) s.second = t.taps[1].first, s.w1 = float(t.taps[1].second);
  }
  if (map.hi < map.lo) map.lo = map.hi = 0;
  for (int64_t x = map.lo; x < map.hi; ++x)
    if (axis[x].outside) return Status::refuse("extrapolated coordinates are not at the borders");
  return map;
}

}  // namespace

Expected<RootKernel> planResizeKernel(const ir::Node& node, const PlanningInputs& inputs) {
  const ir::Value* x = node.input(0);
  if (!isStatic4dFloat(x)) return Status::refuse("input/output not a static 4-D float tensor");
  bool roiUnused = node.opType == "Resize" && inputs.opset >= 11 &&
                   node.getString("coordinate_transformation_mode", "half_pixel") != "tf_crop_and_resize";
  std::vector<const ir::Tensor*> constants = {nullptr};  // X itself is not read
  for (size_t i = 1; i < node.inputs().size(); ++i) {
    const ir::Value* in = node.input(i);
    constants.push_back(inputs.constantOf(in));
    if (in && !constants.back() && !(i == 1 && roiUnused))
      return Status::refuse(fmt::format("{} '{}' is not a constant", inputRole(node, inputs.opset, i), in->name()));
  }
  if (!isStatic4dFloat(node.output(0))) return Status::refuse("input/output not a static 4-D float tensor");
  ref::ResizeGeometry geometry;
  try {
    geometry = ref::resizeGeometry(ref::KernelContext(node, constants, inputs.opset), x->type.staticShape());
  } catch (const InputError& e) {
    return Status::refuse(e.what());
  }
  if (geometry.mode != "nearest" && geometry.mode != "linear")
    return Status::refuse("mode " + geometry.mode + " has no generator");
  if (!isIdentity(geometry.axes[0]) || !isIdentity(geometry.axes[1]))
    return Status::refuse("resizes the batch or channel axis");
  if (geometry.outputDims != node.output(0)->type.staticShape())
    return Status::refuse("output shape differs from the inferred one");
  std::vector<int64_t> in = x->type.staticShape();
  ResizeSpec spec;
  spec.batch = in[0], spec.channels = in[1], spec.inHeight = in[2], spec.inWidth = in[3];
  spec.linear = geometry.mode == "linear";
  spec.extrapolation = float(geometry.extrapolation);
  Expected<ResizeAxisMap> rows = axisMap(geometry.axes[2]), cols = axisMap(geometry.axes[3]);
  if (!rows) return rows.status();
  if (!cols) return cols.status();
  spec.rows = std::move(*rows), spec.cols = std::move(*cols);
  return RootKernel{ResizeKernel{spec}, node.output(0), {}};
}

Status lowerResize(LoweringContext& context, const ir::Node& node) {
  const ResizeKernel* kernel = context.rootKernel<ResizeKernel>(node);
  if (!kernel) return context.refusal(node);
  const FusedEpilogue& fused = context.epilogueOf(node);
  ResizeSpec spec = kernel->spec;
  spec.epilogue = fused.epilogue;
  std::vector<KernelArg> args = {{KernelArg::Kind::Slot, context.blockedSlot(node.input(0))}};
  context.appendOutputArgs(args, fused.output, fused.residuals);
  std::string name = context.kernelName("resize");
  emitResizeKernel(context.module(), name, spec, context.vectorWidth());
  std::string what = spec.describe() + (spec.epilogue.steps.empty() ? "" : " + " + spec.epilogue.describe());
  context.addKernel(name, resizeWorkUnits(spec, context.vectorWidth()), std::move(args), what, node, fused.nodes);
  return Status::success();
}

}  // namespace convopt::codegen
