// Resize (opsets 10-19) and its predecessor Upsample. N-D interpolation is a
// tensor product of 1-D ones (resize_geometry.h), so it runs as one 1-D pass
// per axis (extrapolation composes the same way: a point outside along any
// axis becomes extrapolation_value).
#include "runtime/reference/resize_geometry.h"

namespace convopt::runtime::reference {
namespace {

// Resizes one axis of a float tensor: [outer, inLen, inner] -> [outer, outLen, inner].
Tensor resizeAxis(const Tensor& in, size_t axis, const std::vector<ResizeTaps>& taps, double extrapolation) {
  std::vector<int64_t> dims = in.dims();
  const int64_t inLen = dims[axis], outLen = int64_t(taps.size());
  dims[axis] = outLen;
  Tensor out(DType::Float, dims);
  const int64_t outer = product(std::span(dims).first(axis)), inner = product(std::span(dims).subspan(axis + 1));
  auto src = in.data<float>();
  auto dst = out.data<float>();
  for (int64_t x = 0; x < outLen; ++x) {
    const ResizeTaps& t = taps[x];
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        double acc = t.outside ? extrapolation : 0.0;
        for (auto [index, w] : t.taps) acc += w * src[(o * inLen + index) * inner + i];
        dst[(o * outLen + x) * inner + i] = static_cast<float>(acc);
      }
  }
  return out;
}

std::vector<Tensor> resize(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  requireFloat(ctx, x, "X");
  ResizeGeometry g = resizeGeometry(ctx, x.dims());
  Tensor current = x;
  for (size_t a = 0; a < g.axes.size(); ++a) current = resizeAxis(current, a, g.axes[a], g.extrapolation);
  return {std::move(current)};
}

}  // namespace

void registerResizeKernels(KernelRegistry& r) {
  r.add("Resize", resize);
  r.add("Upsample", resize);
}

}  // namespace convopt::runtime::reference
