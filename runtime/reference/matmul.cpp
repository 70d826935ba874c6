// MatMul (numpy semantics: 1-D promotion, broadcast batch dims) and Gemm.
#include <fmt/ranges.h>

#include "runtime/reference/broadcast.h"
#include "runtime/reference/linear.h"

namespace convopt::runtime::reference {
namespace {

// c[m x n] += a[m x k] * b[k x n], with element strides so transposes need no copy.
template <typename T>
void gemmAccumulate(const T* a, int64_t aRow, int64_t aCol, const T* b, int64_t bRow, int64_t bCol, T* c, int64_t m,
                    int64_t k, int64_t n, T alpha) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      T av = static_cast<T>(alpha * a[i * aRow + p * aCol]);
      const T* brow = b + p * bRow;
      T* crow = c + i * n;
      for (int64_t j = 0; j < n; ++j) crow[j] += av * brow[j * bCol];
    }
}

}  // namespace

Tensor matrixProduct(const KernelContext& ctx, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype()) ctx.fail("A and B have different element types");
  if (a.rank() == 0 || b.rank() == 0) ctx.fail("MatMul inputs must have rank >= 1");
  std::vector<int64_t> ad = a.dims(), bd = b.dims();
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  const int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
  if (bd[bd.size() - 2] != k)
    ctx.fail("inner dimensions differ: A [{}], B [{}]", fmt::join(a.dims(), ","), fmt::join(b.dims(), ","));
  std::vector<int64_t> aBatch(ad.begin(), ad.end() - 2), bBatch(bd.begin(), bd.end() - 2);
  std::vector<int64_t> batch = broadcastShape(ctx, {aBatch, bBatch});
  const std::vector<int64_t> strides[2] = {broadcastStrides(aBatch, batch), broadcastStrides(bBatch, batch)};
  std::vector<int64_t> outDims = batch;
  if (a.rank() > 1) outDims.push_back(m);
  if (b.rank() > 1) outDims.push_back(n);
  return dispatchNumeric(ctx, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out(a.dtype(), outDims);
    const T* pa = a.data<T>().data();
    const T* pb = b.data<T>().data();
    T* po = out.data<T>().data();
    forEachBroadcast(batch, strides, [&](int64_t i, const int64_t* off) {
      gemmAccumulate<T>(pa + off[0] * m * k, k, 1, pb + off[1] * k * n, n, 1, po + i * m * n, m, k, n, T(1));
    });
    return out;
  });
}

namespace {

std::vector<Tensor> matmul(const KernelContext& ctx) { return {matrixProduct(ctx, ctx.input(0), ctx.input(1))}; }

std::vector<Tensor> gemm(const KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  const Tensor* c = ctx.optionalInput(2);
  if (a.rank() != 2 || b.rank() != 2) ctx.fail("A and B must be 2-D");
  for (const Tensor* operand : {&b, c})  // read as A's element type below
    if (operand && operand->dtype() != a.dtype())
      ctx.fail("A is {} but {} is {}", dtypeName(a.dtype()), operand == &b ? "B" : "C", dtypeName(operand->dtype()));
  bool ta = ctx.getInt("transA", 0) != 0, tb = ctx.getInt("transB", 0) != 0;
  const int64_t m = ta ? a.dims()[1] : a.dims()[0], k = ta ? a.dims()[0] : a.dims()[1];
  const int64_t n = tb ? b.dims()[0] : b.dims()[1];
  if ((tb ? b.dims()[1] : b.dims()[0]) != k) ctx.fail("inner dimensions of A and B differ");
  const float alpha = ctx.getFloat("alpha", 1.f), beta = ctx.getFloat("beta", 1.f);
  return {dispatchNumeric(ctx, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out(a.dtype(), {m, n});
    T* po = out.data<T>().data();
    if (c) {
      std::vector<int64_t> dims{m, n};
      if (broadcastShape(ctx, {c->dims(), dims}) != dims) ctx.fail("C does not broadcast to [{}, {}]", m, n);
      const std::vector<int64_t> strides[1] = {broadcastStrides(c->dims(), dims)};
      auto pc = c->data<T>();
      forEachBroadcast(dims, strides,
                       [&](int64_t i, const int64_t* off) { po[i] = static_cast<T>(beta * pc[off[0]]); });
    }
    gemmAccumulate<T>(a.data<T>().data(), ta ? 1 : k, ta ? m : 1, b.data<T>().data(), tb ? 1 : n, tb ? k : 1, po, m, k,
                      n, static_cast<T>(alpha));
    return out;
  })};
}

}  // namespace

void registerMatmulKernels(KernelRegistry& r) {
  r.add("MatMul", matmul);
  r.add("Gemm", gemm);
}

}  // namespace convopt::runtime::reference
