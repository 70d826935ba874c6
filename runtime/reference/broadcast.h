// ONNX multidirectional (numpy-style) broadcasting: the one loop every
// broadcasting op (binary arithmetic, comparisons, Where, Expand, variadic
// Sum/Max/...) runs on.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "runtime/reference/kernel.h"

namespace convopt::runtime::reference {

// The broadcast result shape of all `shapes`; fails naming the node if they
// are incompatible.
std::vector<int64_t> broadcastShape(const KernelContext& ctx, const std::vector<std::vector<int64_t>>& shapes);

// Element strides of a tensor of shape `dims` when read as `outDims`
// (rank-aligned on the right, 0 along broadcast dimensions).
std::vector<int64_t> broadcastStrides(const std::vector<int64_t>& dims, const std::vector<int64_t>& outDims);

// `values` of shape `dims` broadcast onto `onto` (one direction, numpy rules;
// leading 1s beyond onto's rank dropped, [1, D] onto [D], as onnxruntime reads
// a LayerNormalization's scale), materialized; none if they do not broadcast.
// The reference's LayerNormalization and the JIT's normalization constants.
std::optional<std::vector<float>> broadcastOnto(std::span<const float> values, std::vector<int64_t> dims,
                                                const std::vector<int64_t>& onto);

// Calls fn(outIndex, offsets) for every element of `outDims` in row-major
// order, where offsets[k] is the matching element index in input k.
template <size_t N, typename Fn>
void forEachBroadcast(const std::vector<int64_t>& outDims, const std::vector<int64_t> (&strides)[N], Fn&& fn) {
  const size_t rank = outDims.size();
  int64_t total = product(outDims);
  std::vector<int64_t> index(rank, 0);
  int64_t offsets[N] = {};
  for (int64_t out = 0; out < total; ++out) {
    fn(out, offsets);
    // Odometer increment, keeping every input offset in step.
    for (size_t d = rank; d-- > 0;) {
      for (size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
      if (++index[d] < outDims[d]) break;
      for (size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * outDims[d];
      index[d] = 0;
    }
  }
}

// A tensor of `outDims` whose element at index i is in's element at
// base + sum(i[d] * strides[d]) (any element type): the one copy loop behind
// Transpose, Expand, Tile and Slice.
Tensor stridedCopy(const Tensor& in, const std::vector<int64_t>& outDims, const std::vector<int64_t>& strides,
                   int64_t base = 0);

}  // namespace convopt::runtime::reference
