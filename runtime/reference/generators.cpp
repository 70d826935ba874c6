// Ops that make tensors from attributes or scalars: Constant,
// ConstantOfShape, Range.
#include <cmath>
#include <cstring>

#include "runtime/reference/elementwise.h"

namespace convopt::runtime::reference {
namespace {

std::vector<Tensor> constant(const KernelContext& ctx) {
  for (const ir::Attribute& a : ctx.node.attributes) {
    if (a.name == "value" && a.kind == ir::AttrKind::Tensor) return {a.t};
    if (a.name == "value_float") return {Tensor::fromVector<float>(DType::Float, {}, {a.f})};
    if (a.name == "value_floats")
      return {Tensor::fromVector(DType::Float, {int64_t(a.floats.size())}, a.floats)};
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
  for (size_t i = 0; i < out.byteSize(); i += size) std::memcpy(out.mutableBytes().data() + i, fill.bytes().data(), size);
  return {std::move(out)};
}

std::vector<Tensor> range(const KernelContext& ctx) {
  const Tensor& start = ctx.input(0);
  for (size_t i = 0; i < 3; ++i)
    if (ctx.input(i).numel() != 1 || ctx.input(i).dtype() != start.dtype()) ctx.fail("start, limit, delta must be scalars of one type");
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

}  // namespace

void registerGeneratorKernels(KernelRegistry& r) {
  r.add("Constant", constant);
  r.add("ConstantOfShape", constantOfShape);
  r.add("Range", range);
}

}  // namespace convopt::runtime::reference
