// Typed element loops shared by the elementwise, activation and shape kernels.
#pragma once
#include "runtime/reference/broadcast.h"
#include "runtime/reference/kernel.h"

namespace convopt::runtime::reference {

// out[i] = fn(in[i]) over a tensor of type T, producing a tensor of `outType`
// (storage type Out).
template <typename T, typename Out = T, typename Fn>
Tensor mapElements(const Tensor& in, DType outType, Fn&& fn) {
  Tensor out(outType, in.dims());
  auto src = in.data<T>();
  auto dst = out.data<Out>();
  for (size_t i = 0; i < src.size(); ++i) dst[i] = static_cast<Out>(fn(src[i]));
  return out;
}

// out = fn(a, b) with multidirectional broadcasting; a and b have storage type T.
template <typename T, typename Out = T, typename Fn>
Tensor broadcastBinary(const KernelContext& ctx, const Tensor& a, const Tensor& b, DType outType, Fn&& fn) {
  std::vector<int64_t> dims = broadcastShape(ctx, {a.dims(), b.dims()});
  Tensor out(outType, dims);
  const std::vector<int64_t> strides[2] = {broadcastStrides(a.dims(), dims), broadcastStrides(b.dims(), dims)};
  auto pa = a.data<T>();
  auto pb = b.data<T>();
  auto po = out.data<Out>();
  forEachBroadcast(dims, strides,
                   [&](int64_t i, const int64_t* off) { po[i] = static_cast<Out>(fn(pa[off[0]], pb[off[1]])); });
  return out;
}

// Converts every element to `to` (ONNX Cast semantics for numeric types:
// truncation toward zero float->int, nonzero->true for bool).
Tensor castTensor(const KernelContext& ctx, const Tensor& in, DType to);

// Fails unless both inputs have the same element type.
void requireSameType(const KernelContext& ctx, const Tensor& a, const Tensor& b);

}  // namespace convopt::runtime::reference
