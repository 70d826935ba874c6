// Window geometry shared by Conv, ConvTranspose and pooling: kernel, strides,
// dilations and the begin/end padding that auto_pad or pads resolve to.
#pragma once
#include <cstdint>
#include <vector>

#include "runtime/reference/kernel.h"

namespace convopt::runtime::reference {

struct WindowGeometry {
  std::vector<int64_t> input;   // spatial dims of the input
  std::vector<int64_t> output;  // spatial dims of the output
  std::vector<int64_t> kernel, strides, dilations, padBegin, padEnd;
  size_t rank() const { return input.size(); }
};

// Reads strides / dilations / pads / auto_pad (ONNX defaults) for a sliding
// window op (Conv, pooling) over `input` with `kernel`, and computes the
// output size. `ceilMode` rounds the output size up (pooling's ceil_mode;
// a last window starting in the end padding is dropped).
WindowGeometry slidingWindow(const KernelContext& ctx, std::vector<int64_t> input, std::vector<int64_t> kernel,
                             bool ceilMode);

// ConvTranspose's geometry over `input` with `kernel`: explicit pads, or pads
// derived from output_shape / auto_pad (ONNX: SAME_UPPER puts the smaller half
// of the padding first; pads are negative when output_shape asks for more).
WindowGeometry transposedWindow(const KernelContext& ctx, std::vector<int64_t> input, std::vector<int64_t> kernel);

// Division rounding toward negative infinity (b > 0).
inline int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Calls fn(index) for every multi-index below `dims` in row-major order.
template <typename Fn>
void forEachIndex(const std::vector<int64_t>& dims, Fn&& fn) {
  std::vector<int64_t> index(dims.size(), 0);
  for (int64_t d : dims)
    if (d <= 0) return;
  while (true) {
    fn(index);
    size_t d = dims.size();
    while (d > 0 && ++index[d - 1] == dims[d - 1]) index[--d] = 0;
    if (d == 0) return;
  }
}

}  // namespace convopt::runtime::reference
