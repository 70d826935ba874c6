// Index-driven ops: GatherElements, ScatterElements, GatherND, ScatterND,
// TopK, OneHot, NonZero, Compress.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "runtime/reference/elementwise.h"

namespace convopt::runtime::reference {
namespace {

int64_t checkedIndex(const KernelContext& ctx, int64_t index, int64_t length) {
  if (index < -length || index >= length)
    ctx.fail("index {} is out of range for a dimension of size {}", index, length);
  return index < 0 ? index + length : index;
}

// For each element of `indices` (same rank as data): the data offset it
// addresses along `axis` (GatherElements / ScatterElements addressing).
std::vector<int64_t> elementOffsets(const KernelContext& ctx, const Tensor& data, const Tensor& indices, int64_t axis) {
  if (indices.rank() != data.rank()) ctx.fail("indices must have the rank of data");
  std::vector<int64_t> strides = stridesOf(data.dims());
  const int64_t axisStride = strides[axis];
  strides[axis] = 0;
  const std::vector<int64_t> all[1] = {strides};
  std::vector<int64_t> idx = indices.toInt64Vector(), offsets(idx.size());
  forEachBroadcast(indices.dims(), all, [&](int64_t i, const int64_t* off) {
    offsets[i] = off[0] + checkedIndex(ctx, idx[i], data.dims()[axis]) * axisStride;
  });
  return offsets;
}

// Copies element `from` of src to element `to` of dst, or combines them with
// ScatterX's `reduction`.
template <typename T>
void combine(T* dst, const T* src, int64_t to, int64_t from, const std::string& reduction) {
  T& d = dst[to];
  T s = src[from];
  if (reduction == "add")
    d = static_cast<T>(d + s);
  else if (reduction == "mul")
    d = static_cast<T>(d * s);
  else if (reduction == "max")
    d = std::max(d, s);
  else if (reduction == "min")
    d = std::min(d, s);
  else
    d = s;
}

std::vector<Tensor> gatherElements(const KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  std::vector<int64_t> offsets =
      elementOffsets(ctx, data, indices, ctx.normalizeAxis(ctx.getInt("axis", 0), data.rank()));
  Tensor out(data.dtype(), indices.dims());
  const size_t size = ir::elementSize(data.dtype());
  for (size_t i = 0; i < offsets.size(); ++i)
    std::memcpy(out.mutableBytes().data() + i * size, data.bytes().data() + offsets[i] * size, size);
  return {std::move(out)};
}

std::vector<Tensor> scatterElements(const KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& updates = ctx.input(2);
  std::vector<int64_t> offsets =
      elementOffsets(ctx, data, ctx.input(1), ctx.normalizeAxis(ctx.getInt("axis", 0), data.rank()));
  const std::string reduction = ctx.getString("reduction", "none");
  Tensor out = data;
  dispatchNumeric(ctx, data.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (size_t i = 0; i < offsets.size(); ++i)
      combine(out.data<T>().data(), updates.data<T>().data(), offsets[i], int64_t(i), reduction);
  });
  return {std::move(out)};
}

// Offsets (in data elements) of the slices that the last axis of `indices`
// addresses, batch_dims leading dims shared; and the slice length.
std::pair<std::vector<int64_t>, int64_t> ndSlices(const KernelContext& ctx, const Tensor& data, const Tensor& indices,
                                                  int64_t batchDims) {
  if (indices.rank() < 1 || batchDims >= indices.rank() || batchDims > data.rank())
    ctx.fail("indices of rank {} do not fit batch_dims {}", indices.rank(), batchDims);
  const int64_t k = indices.dims().back();
  if (batchDims + k > data.rank()) ctx.fail("index tuples of length {} exceed data rank {}", k, data.rank());
  const std::vector<int64_t> strides = stridesOf(data.dims());
  const int64_t slice = product(std::span(data.dims()).subspan(batchDims + k));
  const int64_t batchBlock = product(std::span(data.dims()).subspan(batchDims));
  const int64_t tuples = product(std::span(indices.dims()).first(indices.rank() - 1));
  const int64_t perBatch = tuples / std::max<int64_t>(1, product(std::span(indices.dims()).first(batchDims)));
  std::vector<int64_t> idx = indices.toInt64Vector(), offsets(tuples);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t offset = perBatch ? (t / perBatch) * batchBlock : 0;
    for (int64_t j = 0; j < k; ++j)
      offset += checkedIndex(ctx, idx[t * k + j], data.dims()[batchDims + j]) * strides[batchDims + j];
    offsets[t] = offset;
  }
  return {offsets, slice};
}

std::vector<Tensor> gatherND(const KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const int64_t batchDims = ctx.getInt("batch_dims", 0);
  auto [offsets, slice] = ndSlices(ctx, data, indices, batchDims);
  std::vector<int64_t> dims(indices.dims().begin(), indices.dims().end() - 1);
  dims.insert(dims.end(), data.dims().begin() + batchDims + indices.dims().back(), data.dims().end());
  Tensor out(data.dtype(), dims);
  const size_t bytes = slice * ir::elementSize(data.dtype());
  for (size_t t = 0; t < offsets.size(); ++t)
    copyBytes(out.mutableBytes().data() + t * bytes, data.bytes().data() + offsets[t] * ir::elementSize(data.dtype()),
              bytes);
  return {std::move(out)};
}

std::vector<Tensor> scatterND(const KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& updates = ctx.input(2);
  auto [offsets, slice] = ndSlices(ctx, data, ctx.input(1), 0);
  if (updates.numel() != int64_t(offsets.size()) * slice) ctx.fail("updates has the wrong number of elements");
  const std::string reduction = ctx.getString("reduction", "none");
  Tensor out = data;
  dispatchNumeric(ctx, data.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (size_t t = 0; t < offsets.size(); ++t)
      for (int64_t e = 0; e < slice; ++e)
        combine(out.data<T>().data(), updates.data<T>().data(), offsets[t] + e, int64_t(t) * slice + e, reduction);
  });
  return {std::move(out)};
}

// TopK: K from the input (opset >= 10) or attribute k; ties keep the lower index.
std::vector<Tensor> topK(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t axis = ctx.normalizeAxis(ctx.getInt("axis", -1), x.rank());
  const int64_t k = ctx.opset >= 10 ? ctx.input(1).toInt64Vector().at(0) : ctx.getInt("k", 0);
  const bool largest = ctx.getInt("largest", 1) != 0;
  const int64_t len = x.dims()[axis], inner = product(std::span(x.dims()).subspan(axis + 1));
  if (k < 0 || k > len) ctx.fail("K = {} is out of range for an axis of size {}", k, len);
  std::vector<int64_t> dims = x.dims();
  dims[axis] = k;
  Tensor values(x.dtype(), dims), indices(DType::Int64, dims);
  dispatchNumeric(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto in = x.data<T>();
    std::vector<int64_t> order(len);
    for (int64_t outer = 0; outer < product(std::span(x.dims()).first(axis)); ++outer)
      for (int64_t i = 0; i < inner; ++i) {
        auto at = [&](int64_t j) { return in[(outer * len + j) * inner + i]; };
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](int64_t a, int64_t b) { return largest ? at(a) > at(b) : at(a) < at(b); });
        for (int64_t j = 0; j < k; ++j) {
          values.data<T>()[(outer * k + j) * inner + i] = at(order[j]);
          indices.data<int64_t>()[(outer * k + j) * inner + i] = order[j];
        }
      }
  });
  return {std::move(values), std::move(indices)};
}

std::vector<Tensor> oneHot(const KernelContext& ctx) {
  std::vector<int64_t> idx = castTensor(ctx, ctx.input(0), DType::Int64).toInt64Vector();
  const int64_t depth = castTensor(ctx, ctx.input(1), DType::Int64).toInt64Vector().at(0);
  const Tensor& values = ctx.input(2);
  if (values.numel() != 2) ctx.fail("values must hold [off, on]");
  const int64_t rank = ctx.input(0).rank() + 1;
  const int64_t axis = ctx.normalizeAxis(ctx.getInt("axis", -1), rank);
  std::vector<int64_t> dims = ctx.input(0).dims();
  dims.insert(dims.begin() + axis, depth);
  const int64_t inner = product(std::span(dims).subspan(axis + 1));
  Tensor out(values.dtype(), dims);
  const size_t size = ir::elementSize(values.dtype());
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t outer = i / (depth * inner), d = (i / inner) % depth, in = outer * inner + i % inner;
    int64_t want = idx[in] < 0 ? idx[in] + depth : idx[in];
    std::memcpy(out.mutableBytes().data() + i * size, values.bytes().data() + (want == d ? size : 0), size);
  }
  return {std::move(out)};
}

std::vector<Tensor> nonZero(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<float> v = x.toFloatVector();
  std::vector<int64_t> hits;
  for (int64_t i = 0; i < int64_t(v.size()); ++i)
    if (v[i] != 0) hits.push_back(i);
  const int64_t rank = x.rank(), n = int64_t(hits.size());
  Tensor out(DType::Int64, {rank, n});
  std::vector<int64_t> strides = stridesOf(x.dims());
  for (int64_t j = 0; j < n; ++j)
    for (int64_t d = 0; d < rank; ++d) out.data<int64_t>()[d * n + j] = (hits[j] / strides[d]) % x.dims()[d];
  return {std::move(out)};
}

std::vector<Tensor> compress(const KernelContext& ctx) {
  Tensor x = ctx.input(0);
  std::vector<int64_t> cond = ctx.input(1).toInt64Vector();
  if (!ctx.hasAttribute("axis")) x.reshape({x.numel()});
  const int64_t axis = ctx.normalizeAxis(ctx.getInt("axis", 0), x.rank());
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < std::min<int64_t>(int64_t(cond.size()), x.dims()[axis]); ++i)
    if (cond[i]) kept.push_back(i);
  std::vector<int64_t> dims = x.dims();
  dims[axis] = int64_t(kept.size());
  Tensor out(x.dtype(), dims);
  const int64_t outer = product(std::span(dims).first(axis));
  const int64_t innerBytes = product(std::span(dims).subspan(axis + 1)) * ir::elementSize(x.dtype());
  uint8_t* dst = out.mutableBytes().data();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : kept) {
      copyBytes(dst, x.bytes().data() + (o * x.dims()[axis] + i) * innerBytes, innerBytes);
      dst += innerBytes;
    }
  return {std::move(out)};
}

}  // namespace

void registerIndexKernels(KernelRegistry& r) {
  r.add("GatherElements", gatherElements);
  r.add("ScatterElements", scatterElements);
  r.add("Scatter", scatterElements);  // deprecated alias (opset 9-10) without reduction
  r.add("GatherND", gatherND);
  r.add("ScatterND", scatterND);
  r.add("TopK", topK);
  r.add("OneHot", oneHot);
  r.add("NonZero", nonZero);
  r.add("Compress", compress);
}

}  // namespace convopt::runtime::reference
