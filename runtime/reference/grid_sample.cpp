// GridSample (opsets 16 and 20, any spatial rank): samples X at the
// normalized coordinates of `grid` with nearest / linear / cubic
// interpolation and zeros / border / reflection padding.
#include <algorithm>
#include <array>
#include <cmath>

#include "runtime/reference/spatial.h"

namespace convopt::runtime::reference {
namespace {

struct Sampler {
  std::string mode, padding;
  bool alignCorners = false;
};

// Reflects x into [lo, hi] (repeatedly, like a mirror pair).
double reflect(double x, double lo, double hi) {
  const double range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo || x > hi) {
    const bool below = x < lo;
    const double dx = below ? lo - x : x - hi;
    const int64_t n = static_cast<int64_t>(dx / range);
    const double r = dx - double(n) * range;
    x = (n % 2 == 0) == below ? lo + r : hi - r;
  }
  return x;
}

std::array<double, 4> cubicCoefficients(double t) {
  const double a = -0.75;
  auto far = [a](double s) { return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a; };
  auto near = [a](double s) { return ((a + 2) * s - (a + 3)) * s * s + 1; };
  return {far(t + 1), near(t), near(1 - t), far(2 - t)};
}

std::vector<Tensor> gridSample(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& grid = ctx.input(1);
  requireFloat(ctx, x, "X");
  requireFloat(ctx, grid, "grid");
  const int64_t spatial = x.rank() - 2;
  if (spatial < 1 || grid.rank() != x.rank() || grid.dims().back() != spatial || grid.dims()[0] != x.dims()[0])
    ctx.fail("grid must be [N, out..., {}] for X of rank {}", spatial, x.rank());
  Sampler s{ctx.getString("mode", ctx.opset >= 20 ? "linear" : "bilinear"), ctx.getString("padding_mode", "zeros"),
            ctx.getInt("align_corners", 0) != 0};
  if (s.mode == "bilinear") s.mode = "linear";
  if (s.mode == "bicubic") s.mode = "cubic";
  if (s.mode != "linear" && s.mode != "nearest" && s.mode != "cubic") ctx.fail("unknown mode '{}'", s.mode);
  if (s.padding != "zeros" && s.padding != "border" && s.padding != "reflection")
    ctx.fail("unknown padding_mode '{}'", s.padding);

  const std::vector<int64_t> inDims(x.dims().begin() + 2, x.dims().end());
  const std::vector<int64_t> outSpatial(grid.dims().begin() + 1, grid.dims().end() - 1);
  std::vector<int64_t> outDims = {x.dims()[0], x.dims()[1]};
  outDims.insert(outDims.end(), outSpatial.begin(), outSpatial.end());
  Tensor y(DType::Float, outDims);
  const std::vector<int64_t> inStrides = stridesOf(inDims);
  const int64_t inPlane = product(inDims), outPlane = product(outSpatial), channels = x.dims()[1];
  const size_t taps = s.mode == "nearest" ? 1 : s.mode == "linear" ? 2 : 4;
  auto g = grid.data<float>();
  auto xs = x.data<float>();
  auto ys = y.data<float>();
  // Per output point: for each spatial dim, `taps` (index, weight) pairs.
  std::vector<std::vector<std::pair<int64_t, double>>> perDim(spatial);
  for (int64_t n = 0; n < x.dims()[0]; ++n)
    for (int64_t o = 0; o < outPlane; ++o) {
      const float* coord = g.data() + (n * outPlane + o) * spatial;  // (x, y, ...) = innermost dim first
      for (int64_t d = 0; d < spatial; ++d) {
        const int64_t len = inDims[d];
        const double lo = s.alignCorners ? 0 : -0.5, hi = s.alignCorners ? double(len - 1) : len - 0.5;
        const double c = coord[spatial - 1 - d];
        double v = s.alignCorners ? (c + 1) / 2 * double(len - 1) : ((c + 1) * double(len) - 1) / 2;
        if (s.mode == "nearest") v = std::nearbyint(v);
        if (v < lo || v > hi)
          v = s.padding == "border"       ? std::clamp(v, 0.0, double(len - 1))
              : s.padding == "reflection" ? reflect(v, lo, hi)
                                          : v;
        const double base = s.mode == "nearest" ? std::trunc(v) : std::floor(v);
        const double t = v - base;
        const std::array<double, 4> w = s.mode == "cubic"    ? cubicCoefficients(t)
                                        : s.mode == "linear" ? std::array<double, 4>{1 - t, t, 0, 0}
                                                             : std::array<double, 4>{1, 0, 0, 0};
        perDim[d].clear();
        for (size_t k = 0; k < taps; ++k) {
          int64_t i = int64_t(base) + int64_t(k) - (s.mode == "cubic" ? 1 : 0);
          if (s.padding == "border") i = std::clamp<int64_t>(i, 0, len - 1);
          if (s.padding == "reflection" && (i < 0 || i >= len)) i = static_cast<int64_t>(reflect(double(i), lo, hi));
          perDim[d].push_back({i >= 0 && i < len ? i : -1, w[k]});  // -1: a zero pixel
        }
      }
      for (int64_t c = 0; c < channels; ++c) {
        const float* plane = xs.data() + (n * channels + c) * inPlane;
        double acc = 0;
        forEachIndex(std::vector<int64_t>(spatial, int64_t(taps)), [&](const std::vector<int64_t>& k) {
          double weight = 1;
          int64_t offset = 0;
          for (int64_t d = 0; d < spatial && offset >= 0; ++d) {
            auto [i, w] = perDim[d][k[d]];
            weight *= w;
            offset = i < 0 ? -1 : offset + i * inStrides[d];
          }
          if (offset >= 0) acc += weight * plane[offset];
        });
        ys[(n * channels + c) * outPlane + o] = float(acc);
      }
    }
  return {std::move(y)};
}

}  // namespace

void registerGridSampleKernels(KernelRegistry& r) { r.add("GridSample", gridSample); }

}  // namespace convopt::runtime::reference
