#include "runtime/blocked_layout.h"

#include <algorithm>

namespace convopt::runtime {

BlockedShape BlockedShape::of(const std::vector<int64_t>& nchw, int vectorWidth) {
  return {nchw.at(0), nchw.at(1), nchw.at(2), nchw.at(3), vectorWidth};
}

namespace {

// Moves planes [first, last) between the layouts, pixel by pixel: the blocked
// side is walked sequentially, the plain side as V sequential channel streams.
template <bool kToBlocked>
void reorderPlanes(float* plainData, float* blockedData, const BlockedShape& s, int64_t first, int64_t last) {
  int64_t pixels = s.height * s.width, v = s.vectorWidth;
  if (last < 0) last = s.planes();
  for (int64_t plane = first; plane < last; ++plane) {
    int64_t n = plane / s.blocks(), firstChannel = plane % s.blocks() * v;
    int64_t lanes = std::min<int64_t>(v, s.channels - firstChannel);
    float* plain = plainData + (n * s.channels + firstChannel) * pixels;
    float* blocked = blockedData + plane * pixels * v;
    for (int64_t p = 0; p < pixels; ++p, blocked += v)
      for (int64_t lane = 0; lane < v; ++lane) {
        if constexpr (kToBlocked)
          blocked[lane] = lane < lanes ? plain[lane * pixels + p] : 0.0f;
        else if (lane < lanes)
          plain[lane * pixels + p] = blocked[lane];
      }
  }
}

}  // namespace

void toBlocked(const float* plain, float* blocked, const BlockedShape& shape, int64_t first, int64_t last) {
  reorderPlanes<true>(const_cast<float*>(plain), blocked, shape, first, last);
}

void fromBlocked(const float* blocked, float* plain, const BlockedShape& shape, int64_t first, int64_t last) {
  reorderPlanes<false>(plain, const_cast<float*>(blocked), shape, first, last);
}

}  // namespace convopt::runtime
