// Pooling: MaxPool (with optional Indices), AveragePool (count_include_pad),
// LpPool, and their Global forms, any spatial rank, ceil_mode, dilations;
// MaxUnpool.
#include <cmath>
#include <limits>

#include "runtime/reference/spatial.h"

namespace convopt::runtime::reference {
namespace {

enum class PoolKind { Max, Average, Lp };

struct PoolResult {
  Tensor values;
  Tensor indices;  // MaxPool only
};

// T is the element type: any numeric type for MaxPool, float otherwise.
template <typename T>
PoolResult poolAs(const KernelContext& ctx, PoolKind kind, const WindowGeometry& g) {
  const Tensor& x = ctx.input(0);
  const int64_t channels = x.dims()[0] * x.dims()[1];
  std::vector<int64_t> outDims = {x.dims()[0], x.dims()[1]};
  outDims.insert(outDims.end(), g.output.begin(), g.output.end());
  PoolResult r{Tensor(x.dtype(), outDims), Tensor(DType::Int64, outDims)};
  const bool includePad = ctx.getInt("count_include_pad", 0) != 0;
  const double p = static_cast<double>(ctx.getInt("p", 2));
  const bool columnMajor = ctx.getInt("storage_order", 0) != 0;
  const size_t rank = g.rank();
  const std::vector<int64_t> inStrides = stridesOf(g.input);
  std::vector<int64_t> indexStrides = inStrides;  // storage_order=1: column-major spatial indices
  if (columnMajor)
    for (size_t d = 0, s = 1; d < rank; s *= g.input[d], ++d) indexStrides[d] = static_cast<int64_t>(s);
  const int64_t inPlane = product(g.input), outPlane = product(g.output);
  auto xs = x.data<T>();
  auto ys = r.values.data<T>();
  auto is = r.indices.data<int64_t>();
  std::vector<int64_t> pos(rank);
  for (int64_t c = 0; c < channels; ++c) {
    const T* plane = xs.data() + c * inPlane;
    int64_t o = c * outPlane;
    forEachIndex(g.output, [&](const std::vector<int64_t>& out) {
      double acc = kind == PoolKind::Max ? -std::numeric_limits<double>::infinity() : 0.0;
      int64_t best = -1, count = 0, padded = 0;
      forEachIndex(g.kernel, [&](const std::vector<int64_t>& k) {
        int64_t offset = 0, indexOffset = 0;
        bool inside = true, inPad = true;
        for (size_t d = 0; d < rank; ++d) {
          pos[d] = out[d] * g.strides[d] + k[d] * g.dilations[d] - g.padBegin[d];
          inside = inside && pos[d] >= 0 && pos[d] < g.input[d];
          inPad = inPad && pos[d] >= -g.padBegin[d] && pos[d] < g.input[d] + g.padEnd[d];
          offset += pos[d] * inStrides[d];
          indexOffset += pos[d] * indexStrides[d];
        }
        padded += inPad;
        if (!inside) return;
        double v = plane[offset];
        ++count;
        if (kind == PoolKind::Max) {
          // A NaN is skipped, as onnxruntime and the JIT skip it.
          if (v > acc || (best < 0 && !std::isnan(v))) acc = v, best = c * inPlane + indexOffset;
        } else {
          acc += kind == PoolKind::Lp ? std::pow(std::fabs(v), p) : v;
        }
      });
      if (kind == PoolKind::Average) acc /= static_cast<double>(includePad ? padded : count);
      if (kind == PoolKind::Lp) acc = std::pow(acc, 1.0 / p);
      ys[o] = static_cast<T>(acc);
      is[o++] = best;
    });
  }
  return r;
}

PoolResult pool(const KernelContext& ctx, PoolKind kind, const WindowGeometry& g) {
  const Tensor& x = ctx.input(0);
  if (kind != PoolKind::Max) requireFloat(ctx, x, "X");
  return dispatchNumeric(ctx, x.dtype(), [&](auto tag) { return poolAs<decltype(tag)>(ctx, kind, g); });
}

std::vector<int64_t> spatialOf(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 3) ctx.fail("input has rank {}; pooling needs N, C and a spatial dim", x.rank());
  return {x.dims().begin() + 2, x.dims().end()};
}

Kernel windowPool(PoolKind kind) {
  return [kind](const KernelContext& ctx) {
    std::vector<int64_t> spatial = spatialOf(ctx);
    std::vector<int64_t> kernel = ctx.getInts("kernel_shape");
    if (kernel.size() != spatial.size())
      ctx.fail("kernel_shape has {} dims for {} spatial dims", kernel.size(), spatial.size());
    for (int64_t k : kernel)
      if (k < 1) ctx.fail("kernel_shape must be positive");
    WindowGeometry g = slidingWindow(ctx, spatial, kernel, ctx.getInt("ceil_mode", 0) != 0);
    PoolResult r = pool(ctx, kind, g);
    std::vector<Tensor> outs;
    outs.push_back(std::move(r.values));
    if (ctx.numOutputs() > 1) outs.push_back(std::move(r.indices));
    return outs;
  };
}

Kernel globalPool(PoolKind kind) {
  return [kind](const KernelContext& ctx) {
    WindowGeometry g;
    g.input = g.kernel = spatialOf(ctx);
    size_t rank = g.input.size();
    g.output = g.strides = g.dilations = std::vector<int64_t>(rank, 1);
    g.padBegin = g.padEnd = std::vector<int64_t>(rank, 0);
    return std::vector<Tensor>{pool(ctx, kind, g).values};
  };
}

// Scatters X into a zero tensor at MaxPool's flat Indices. Indices address the
// shape the pooling geometry inverts to; an output_shape input only places
// those coordinates in a larger tensor.
std::vector<Tensor> maxUnpool(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  requireFloat(ctx, x, "X");
  const Tensor& indices = ctx.input(1);
  if (indices.dims() != x.dims() || x.rank() < 3) ctx.fail("I must have X's shape, of rank >= 3");
  const size_t rank = size_t(x.rank() - 2);
  const std::vector<int64_t> kernel = ctx.getInts("kernel_shape");
  const std::vector<int64_t> strides = ctx.getInts("strides", std::vector<int64_t>(rank, 1));
  const std::vector<int64_t> pads = ctx.getInts("pads", std::vector<int64_t>(2 * rank, 0));
  if (kernel.size() != rank || strides.size() != rank || pads.size() != 2 * rank)
    ctx.fail("kernel_shape/strides/pads do not match the input");
  std::vector<int64_t> inferred = {x.dims()[0], x.dims()[1]};
  for (size_t i = 0; i < rank; ++i)
    inferred.push_back((x.dims()[i + 2] - 1) * strides[i] + kernel[i] - pads[i] - pads[rank + i]);
  std::vector<int64_t> dims = ctx.hasInput(2) ? ctx.input(2).toInt64Vector() : inferred;
  if (dims.size() != inferred.size()) ctx.fail("output_shape has rank {}, expected {}", dims.size(), inferred.size());
  Tensor y(DType::Float, dims);
  const std::vector<int64_t> from = stridesOf(inferred), to = stridesOf(dims);
  const std::vector<int64_t> at = indices.toInt64Vector();
  const int64_t inferredCount = product(inferred);
  for (size_t i = 0; i < at.size(); ++i) {
    if (at[i] < 0 || at[i] >= inferredCount) ctx.fail("index {} is outside the unpooled shape", at[i]);
    int64_t offset = 0;
    for (size_t d = 0; d < dims.size(); ++d) {
      int64_t coordinate = (at[i] / from[d]) % inferred[d];
      if (coordinate >= dims[d]) ctx.fail("index {} does not fit output_shape", at[i]);
      offset += coordinate * to[d];
    }
    y.data<float>()[offset] = x.data<float>()[i];
  }
  return {std::move(y)};
}

}  // namespace

void registerPoolKernels(KernelRegistry& r) {
  r.add("MaxPool", windowPool(PoolKind::Max));
  r.add("AveragePool", windowPool(PoolKind::Average));
  r.add("LpPool", windowPool(PoolKind::Lp));
  r.add("GlobalMaxPool", globalPool(PoolKind::Max));
  r.add("GlobalAveragePool", globalPool(PoolKind::Average));
  r.add("GlobalLpPool", globalPool(PoolKind::Lp));
  r.add("MaxUnpool", maxUnpool);
}

}  // namespace convopt::runtime::reference
