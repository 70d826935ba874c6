// The blocked channel layout used inside compiled regions: a 4-D tensor
// N, C, H, W is stored as N, ceil(C/V), H, W, V (NCHWc), channel c at block
// c / V, lane c % V. Lanes past C are padding: kernels never let them reach a
// real channel. Reorders happen only where a region meets plain NCHW tensors.
#pragma once
#include <cstdint>
#include <vector>
#include "ir/int_math.h"

namespace convopt::runtime {

struct BlockedShape {
  int64_t batch, channels, height, width;
  int vectorWidth;
  int64_t blocks() const { return ceilDiv(channels, vectorWidth); }
  int64_t elements() const { return batch * blocks() * height * width * vectorWidth; }
  int64_t planes() const { return batch * blocks(); }  // units of the reorders: one channel block of one image
  static BlockedShape of(const std::vector<int64_t>& nchw, int vectorWidth);
};

// NCHW -> NCHWc (padding lanes set to 0) and back, for planes [first, last)
// (all by default), so a thread pool can split a reorder.
void toBlocked(const float* plain, float* blocked, const BlockedShape& shape, int64_t first = 0, int64_t last = -1);
void fromBlocked(const float* blocked, float* plain, const BlockedShape& shape, int64_t first = 0, int64_t last = -1);

}  // namespace convopt::runtime
