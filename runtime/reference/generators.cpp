// Ops that make tensors from attributes or scalars: Constant,
// ConstantOfShape, Range, Trilu, EyeLike, Hann/Hamming/BlackmanWindow.
#include <cmath>
#include <cstring>

#include "runtime/reference/elementwise.h"

namespace convopt::runtime::reference {
namespace {

std::vector<Tensor> constant(const KernelContext& ctx) {
  for (const ir::Attribute& a : ctx.node.attributes) {
    if (a.name == "value" && a.kind == ir::AttrKind::Tensor) return {a.t};
    if (a.name == "value_float") return {Tensor::fromVector<float>(DType::Float, {}, {a.f})};
    if (a.name == "value_floats") return {Tensor::fromVector(DType::Float, {int64_t(a.floats.size())}, a.floats)};
    if (a.name == "value_int") return {Tensor::scalarInt64(a.i)};
    if (a.name == "value_ints") return {Tensor::fromVector(DType::Int64, {int64_t(a.ints.size())}, a.ints)};
  }
  ctx.fail("no supported value attribute (value, value_float(s), value_int(s))");
}

std::vector<Tensor> constantOfShape(const KernelContext& ctx) {
  std::vector<int64_t> dims = ctx.input(0).toInt64Vector();
  const ir::Attribute* value = ctx.node.findAttribute("value");
  Tensor fill = value ? value->t : Tensor::fromVector<float>(DType::Float, {1}, {0.f});
  if (fill.numel() != 1) ctx.fail("value must hold one element");
  Tensor out(fill.dtype(), dims);
  const size_t size = ir::elementSize(fill.dtype());
  for (size_t i = 0; i < out.byteSize(); i += size)
    std::memcpy(out.mutableBytes().data() + i, fill.bytes().data(), size);
  return {std::move(out)};
}

std::vector<Tensor> range(const KernelContext& ctx) {
  const Tensor& start = ctx.input(0);
  for (size_t i = 0; i < 3; ++i)
    if (ctx.input(i).numel() != 1 || ctx.input(i).dtype() != start.dtype())
      ctx.fail("start, limit, delta must be scalars of one type");
  return {dispatchNumeric(ctx, start.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T first = start.data<T>()[0], limit = ctx.input(1).data<T>()[0], delta = ctx.input(2).data<T>()[0];
    if (delta == T(0)) ctx.fail("delta is 0");
    double count = std::ceil((double(limit) - double(first)) / double(delta));
    Tensor out(start.dtype(), {std::max<int64_t>(0, static_cast<int64_t>(count))});
    auto o = out.data<T>();
    for (size_t i = 0; i < o.size(); ++i) o[i] = static_cast<T>(first + static_cast<T>(i) * delta);
    return out;
  })};
}

// Keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two dims.
std::vector<Tensor> trilu(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) ctx.fail("input must have rank >= 2");
  const int64_t k = ctx.hasInput(1) ? ctx.input(1).toInt64Vector().at(0) : 0;
  const bool upper = ctx.getInt("upper", 1) != 0;
  const int64_t rows = x.dims()[x.rank() - 2], cols = x.dims().back();
  Tensor out = x;
  const size_t size = ir::elementSize(x.dtype());
  for (int64_t e = 0; e < x.numel(); ++e) {
    int64_t i = (e / cols) % rows, j = e % cols;
    if (upper ? j - i < k : j - i > k) std::memset(out.mutableBytes().data() + e * size, 0, size);
  }
  return {std::move(out)};
}

std::vector<Tensor> eyeLike(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 2) ctx.fail("input must be 2-D");
  const DType type = ctx.hasAttribute("dtype") ? static_cast<DType>(ctx.getInt("dtype", 1)) : x.dtype();
  const int64_t k = ctx.getInt("k", 0);
  Tensor ones = castTensor(ctx, Tensor::fromVector<float>(DType::Float, {}, {1.f}), type);
  Tensor out(type, x.dims());
  const size_t size = ir::elementSize(type);
  for (int64_t i = 0; i < x.dims()[0]; ++i)
    if (i + k >= 0 && i + k < x.dims()[1])
      std::memcpy(out.mutableBytes().data() + (i * x.dims()[1] + i + k) * size, ones.bytes().data(), size);
  return {std::move(out)};
}

// Hann / Hamming / Blackman windows: a0 - a1 cos(2 pi k / N') + a2 cos(4 pi k / N'),
// N' = size (periodic) or size - 1 (symmetric).
Kernel window(double a0, double a1, double a2) {
  return [a0, a1, a2](const KernelContext& ctx) {
    const int64_t size = ctx.input(0).toInt64Vector().at(0);
    if (size < 0) ctx.fail("size is negative");
    const double denom = double(ctx.getInt("periodic", 1) != 0 ? size : size - 1);
    std::vector<double> v(size);
    for (int64_t k = 0; k < size; ++k) {
      double phase = denom > 0 ? 2 * M_PI * double(k) / denom : 0;
      v[k] = a0 - a1 * std::cos(phase) + a2 * std::cos(2 * phase);
    }
    return std::vector<Tensor>{castTensor(ctx, Tensor::fromVector(DType::Double, {size}, v),
                                          static_cast<DType>(ctx.getInt("output_datatype", 1)))};
  };
}

}  // namespace

void registerGeneratorKernels(KernelRegistry& r) {
  r.add("Constant", constant);
  r.add("ConstantOfShape", constantOfShape);
  r.add("Range", range);
  r.add("Trilu", trilu);
  r.add("EyeLike", eyeLike);
  r.add("HannWindow", window(0.5, 0.5, 0));
  r.add("HammingWindow", window(25.0 / 46, 21.0 / 46, 0));
  r.add("BlackmanWindow", window(0.42, 0.5, 0.08));
}

}  // namespace convopt::runtime::reference
