// Quantized ops: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
// MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv. Integer products
// accumulate exactly in int32 (the linear cores); requantization rounds half
// to even and saturates, as ONNX specifies.
#include <cmath>
#include <limits>

#include "runtime/reference/elementwise.h"
#include "runtime/reference/linear.h"

namespace convopt::runtime::reference {
namespace {

// A scale or zero point: one value, or one per index of `axis`.
struct AxisParam {
  std::vector<double> values;
  int64_t inner = 1;  // elements per step along the axis
  double at(int64_t i) const { return values.size() == 1 ? values[0] : values[(i / inner) % int64_t(values.size())]; }
};

AxisParam axisParam(const KernelContext& ctx, const Tensor* t, const Tensor& data, int64_t axis, double fallback) {
  AxisParam p{{fallback}, 1};
  if (!t) return p;
  std::vector<float> v = t->toFloatVector();
  p.values.assign(v.begin(), v.end());
  if (p.values.size() > 1) {
    axis = ctx.normalizeAxis(axis, data.rank());
    if (int64_t(p.values.size()) != data.dims()[axis])
      ctx.fail("per-axis parameter has {} values for axis of size {}", p.values.size(), data.dims()[axis]);
    p.inner = product(std::span(data.dims()).subspan(axis + 1));
  }
  return p;
}

// Rounds half to even, adds the zero point and saturates into `type`.
Tensor quantize(const KernelContext& ctx, const std::vector<double>& scaled, const std::vector<int64_t>& dims,
                const AxisParam& zeroPoint, DType type) {
  return dispatchNumeric(ctx, type, [&](auto tag) {
    using T = decltype(tag);
    Tensor out(type, dims);
    auto o = out.data<T>();
    for (size_t i = 0; i < o.size(); ++i) {
      double q = std::nearbyint(scaled[i]) + zeroPoint.at(int64_t(i));
      o[i] = static_cast<T>(std::clamp<double>(q, std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max()));
    }
    return out;
  });
}

std::vector<double> doublesOf(const Tensor& t) {
  std::vector<float> f = t.toFloatVector();
  if (t.dtype() == DType::Int32) {  // exact, even beyond float's 24 bits
    auto v = t.data<int32_t>();
    return {v.begin(), v.end()};
  }
  return {f.begin(), f.end()};
}

std::vector<Tensor> quantizeLinear(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t axis = ctx.getInt("axis", 1);
  AxisParam scale = axisParam(ctx, &ctx.input(1), x, axis, 1);
  AxisParam zp = axisParam(ctx, ctx.optionalInput(2), x, axis, 0);
  std::vector<double> v = doublesOf(x);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(v[i] / float(scale.at(int64_t(i))));
  return {quantize(ctx, v, x.dims(), zp, ctx.hasInput(2) ? ctx.input(2).dtype() : DType::Uint8)};
}

std::vector<Tensor> dequantizeLinear(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t axis = ctx.getInt("axis", 1);
  AxisParam scale = axisParam(ctx, &ctx.input(1), x, axis, 1);
  AxisParam zp = axisParam(ctx, ctx.optionalInput(2), x, axis, 0);
  std::vector<double> v = doublesOf(x);
  Tensor out(DType::Float, x.dims());
  for (size_t i = 0; i < v.size(); ++i)
    out.data<float>()[i] = float((v[i] - zp.at(int64_t(i))) * float(scale.at(int64_t(i))));
  return {std::move(out)};
}

std::vector<Tensor> dynamicQuantizeLinear(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  requireFloat(ctx, x, "x");
  std::vector<double> v = doublesOf(x);
  double lo = 0, hi = 0;
  for (double e : v) lo = std::min(lo, e), hi = std::max(hi, e);
  const float scale = float(hi - lo) / 255.f;
  const double zp = scale == 0 ? 0 : std::clamp(std::nearbyint(0 - lo / scale), 0.0, 255.0);
  for (double& e : v) e = scale == 0 ? 0 : float(e / scale);
  return {quantize(ctx, v, x.dims(), AxisParam{{zp}, 1}, DType::Uint8),
          Tensor::fromVector<float>(DType::Float, {}, {scale}),
          Tensor::fromVector<uint8_t>(DType::Uint8, {}, {uint8_t(zp)})};
}

// int32(q) - zero point (scalar or per index of `axis`).
Tensor centered(const KernelContext& ctx, const Tensor& q, const Tensor* zeroPoint, int64_t axis) {
  AxisParam zp = axisParam(ctx, zeroPoint, q, axis, 0);
  std::vector<double> v = doublesOf(q);
  Tensor out(DType::Int32, q.dims());
  for (size_t i = 0; i < v.size(); ++i) out.data<int32_t>()[i] = int32_t(v[i] - zp.at(int64_t(i)));
  return out;
}

std::vector<Tensor> matMulInteger(const KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  // a_zero_point may be per row of A, b_zero_point per column of B.
  return {matrixProduct(ctx, centered(ctx, a, ctx.optionalInput(2), a.rank() - 2),
                        centered(ctx, b, ctx.optionalInput(3), b.rank() - 1))};
}

std::vector<Tensor> convInteger(const KernelContext& ctx) {
  return {convolution(ctx, centered(ctx, ctx.input(0), ctx.optionalInput(2), 1),
                      centered(ctx, ctx.input(1), ctx.optionalInput(3), 0), nullptr)};
}

// acc * (a_scale * b_scale[axis]) / y_scale, then quantize with y_zero_point.
Tensor requantize(const KernelContext& ctx, const Tensor& acc, const Tensor& aScale, const Tensor& bScale,
                  int64_t bAxis, const Tensor& yScale, const Tensor* yZeroPoint) {
  AxisParam b = axisParam(ctx, &bScale, acc, bAxis, 1);
  const double a = aScale.toFloatVector().at(0), y = yScale.toFloatVector().at(0);
  std::vector<double> v = doublesOf(acc);
  for (size_t i = 0; i < v.size(); ++i) v[i] = v[i] * float(float(a * b.at(int64_t(i))) / float(y));
  return quantize(ctx, v, acc.dims(), axisParam(ctx, yZeroPoint, acc, 1, 0),
                  yZeroPoint ? yZeroPoint->dtype() : DType::Uint8);
}

std::vector<Tensor> qlinearMatMul(const KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  Tensor acc =
      matrixProduct(ctx, centered(ctx, a, &ctx.input(2), a.rank() - 2), centered(ctx, b, &ctx.input(5), b.rank() - 1));
  return {requantize(ctx, acc, ctx.input(1), ctx.input(4), acc.rank() - 1, ctx.input(6), ctx.optionalInput(7))};
}

std::vector<Tensor> qlinearConv(const KernelContext& ctx) {
  Tensor acc = convolution(ctx, centered(ctx, ctx.input(0), &ctx.input(2), 1),
                           centered(ctx, ctx.input(3), &ctx.input(5), 0), ctx.optionalInput(8));
  return {requantize(ctx, acc, ctx.input(1), ctx.input(4), 1, ctx.input(6), ctx.optionalInput(7))};
}

}  // namespace

void registerQuantizationKernels(KernelRegistry& r) {
  r.add("QuantizeLinear", quantizeLinear);
  r.add("DequantizeLinear", dequantizeLinear);
  r.add("DynamicQuantizeLinear", dynamicQuantizeLinear);
  r.add("MatMulInteger", matMulInteger);
  r.add("ConvInteger", convInteger);
  r.add("QLinearMatMul", qlinearMatMul);
  r.add("QLinearConv", qlinearConv);
}

}  // namespace convopt::runtime::reference
