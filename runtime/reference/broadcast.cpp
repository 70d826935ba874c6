#include "runtime/reference/broadcast.h"

#include <algorithm>
#include <cstring>

#include <fmt/ranges.h>

namespace convopt::runtime::reference {

std::vector<int64_t> broadcastShape(const KernelContext& ctx, const std::vector<std::vector<int64_t>>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  std::vector<int64_t> out(rank, 1);
  for (const auto& s : shapes) {
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[rank - s.size() + i];
      int64_t d = s[i];
      if (d == o || d == 1) continue;
      if (o != 1) ctx.fail("shapes [{}] cannot be broadcast together", fmt::join(shapes, "], ["));
      o = d;
    }
  }
  return out;
}

std::vector<int64_t> broadcastStrides(const std::vector<int64_t>& dims, const std::vector<int64_t>& outDims) {
  std::vector<int64_t> own = stridesOf(dims);
  std::vector<int64_t> strides(outDims.size(), 0);
  size_t shift = outDims.size() - dims.size();
  for (size_t i = 0; i < dims.size(); ++i) strides[shift + i] = dims[i] == 1 ? 0 : own[i];
  return strides;
}

std::optional<std::vector<float>> broadcastOnto(std::span<const float> values, std::vector<int64_t> dims,
                                                const std::vector<int64_t>& onto) {
  while (dims.size() > onto.size() && dims.front() == 1) dims.erase(dims.begin());
  if (dims.size() > onto.size()) return std::nullopt;
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims[i] != 1 && dims[i] != onto[onto.size() - dims.size() + i]) return std::nullopt;
  std::vector<float> full(size_t(product(onto)));
  const std::vector<int64_t> strides[1] = {broadcastStrides(dims, onto)};
  forEachBroadcast(onto, strides, [&](int64_t i, const int64_t* from) { full[i] = values[from[0]]; });
  return full;
}

Tensor stridedCopy(const Tensor& in, const std::vector<int64_t>& outDims, const std::vector<int64_t>& strides,
                   int64_t base) {
  Tensor out(in.dtype(), outDims);
  const size_t size = ir::elementSize(in.dtype());
  const uint8_t* src = in.bytes().data();
  uint8_t* dst = out.mutableBytes().data();
  const std::vector<int64_t> all[1] = {strides};
  forEachBroadcast(outDims, all, [&](int64_t i, const int64_t* off) {
    std::memcpy(dst + i * size, src + (base + off[0]) * size, size);
  });
  return out;
}

}  // namespace convopt::runtime::reference
