// Slice and Pad: the ops whose parameters are per-axis index ranges. Both
// moved from attributes to inputs (Slice at opset 10, Pad at 11).
#include <algorithm>
#include <cstring>

#include <fmt/ranges.h>

#include "runtime/reference/elementwise.h"
#include "runtime/reference/slice_parameters.h"
#include "runtime/reference/spatial.h"

namespace convopt::runtime::reference {
namespace {

std::vector<int64_t> intsFrom(const KernelContext& ctx, bool fromInputs, const char* name, size_t input) {
  if (!fromInputs) return ctx.getInts(name);
  return ctx.hasInput(input) ? ctx.input(input).toInt64Vector() : std::vector<int64_t>{};
}

std::vector<Tensor> slice(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto tensorOf = [&](const ir::Value* value) -> const Tensor* {  // the parameters are this node's inputs
    for (size_t i = 0; i < ctx.node.inputs().size(); ++i)
      if (ctx.node.input(i) == value) return ctx.optionalInput(i);
    return nullptr;
  };
  SliceParameters params;
  std::vector<SliceAxis> axes;
  Status status = readSliceParameters(ctx.node, tensorOf, ctx.opset, params);
  if (status) status = params.resolve(x.dims(), axes);
  if (!status) ctx.fail("{}", status.reason());
  std::vector<int64_t> dims = x.dims(), inStrides = stridesOf(x.dims()), strides = inStrides;
  int64_t base = 0;
  for (int64_t axis = 0; axis < x.rank(); ++axis) {
    dims[axis] = axes[axis].count;
    if (dims[axis] > 0) base += axes[axis].start * inStrides[axis];
    strides[axis] = axes[axis].step * inStrides[axis];
  }
  return {stridedCopy(x, dims, strides, product(dims) > 0 ? base : 0)};
}

enum class PadMode { Constant, Reflect, Edge, Wrap };

// Index into an input dim of length n for output position i - padBegin.
int64_t padSource(int64_t i, int64_t n, PadMode mode) {
  if (i >= 0 && i < n) return i;
  if (mode == PadMode::Edge) return std::clamp<int64_t>(i, 0, n - 1);
  if (mode == PadMode::Wrap) return ((i % n) + n) % n;
  if (mode == PadMode::Reflect) {
    if (n == 1) return 0;
    int64_t period = 2 * (n - 1);
    i = ((i % period) + period) % period;
    return i < n ? i : period - i;
  }
  return -1;  // constant
}

std::vector<Tensor> pad(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const bool fromInputs = ctx.opset >= 11;
  const std::string mode = ctx.getString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") ctx.fail("unknown mode '{}'", mode);
  const PadMode how = mode == "reflect" ? PadMode::Reflect
                      : mode == "edge"  ? PadMode::Edge
                      : mode == "wrap"  ? PadMode::Wrap
                                        : PadMode::Constant;  // read once: padSource runs per element and dim
  std::vector<int64_t> given = intsFrom(ctx, fromInputs, ctx.opset < 2 ? "paddings" : "pads", 1);
  std::vector<int64_t> axes = fromInputs ? intsFrom(ctx, true, "axes", 3) : std::vector<int64_t>{};
  if (axes.empty())
    for (int64_t i = 0; i < x.rank(); ++i) axes.push_back(i);
  if (given.size() != 2 * axes.size()) ctx.fail("pads has {} values for {} axes", given.size(), axes.size());
  std::vector<int64_t> begin(x.rank(), 0), end(x.rank(), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = ctx.normalizeAxis(axes[i], x.rank());
    begin[axis] = given[i];
    end[axis] = given[axes.size() + i];
  }
  std::vector<int64_t> dims(x.rank());
  for (int64_t d = 0; d < x.rank(); ++d) {
    dims[d] = x.dims()[d] + begin[d] + end[d];
    if (dims[d] < 0) ctx.fail("pads [{}] remove more than axis {} holds", fmt::join(given, ","), d);
    if (mode != "constant" && x.dims()[d] == 0 && dims[d] > 0) ctx.fail("cannot {}-pad an empty axis", mode);
  }
  // The fill value, converted to x's type through a one-element tensor.
  Tensor fill(x.dtype(), {});
  if (fromInputs && ctx.hasInput(2)) {
    if (ctx.input(2).dtype() != x.dtype()) ctx.fail("constant_value has a different type than the data");
    fill = ctx.input(2);
  } else if (!fromInputs) {
    fill = castTensor(ctx, Tensor::fromVector<float>(DType::Float, {}, {ctx.getFloat("value", 0.f)}), x.dtype());
  }
  Tensor out(x.dtype(), dims);
  const size_t size = ir::elementSize(x.dtype());
  const std::vector<int64_t> inStrides = stridesOf(x.dims());
  uint8_t* dst = out.mutableBytes().data();
  forEachIndex(dims, [&](const std::vector<int64_t>& idx) {
    int64_t offset = 0;
    for (int64_t d = 0; d < x.rank() && offset >= 0; ++d) {
      int64_t src = padSource(idx[d] - begin[d], x.dims()[d], how);
      offset = src < 0 ? -1 : offset + src * inStrides[d];
    }
    std::memcpy(dst, offset < 0 ? fill.bytes().data() : x.bytes().data() + offset * size, size);
    dst += size;
  });
  return {std::move(out)};
}

}  // namespace

void registerSliceKernels(KernelRegistry& r) {
  r.add("Slice", slice);
  r.add("Pad", pad);
}

}  // namespace convopt::runtime::reference
