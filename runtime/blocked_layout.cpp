#include "runtime/blocked_layout.h"

#include <cstring>

namespace convopt::runtime {

BlockedShape BlockedShape::of(const std::vector<int64_t>& nchw, int vectorWidth) {
  return {nchw.at(0), nchw.at(1), nchw.at(2), nchw.at(3), vectorWidth};
}

namespace {

// Calls visit(plainIndex, blockedIndex) for every real element.
template <typename Visit>
void forEachElement(const BlockedShape& s, Visit visit) {
  int64_t pixels = s.height * s.width, v = s.vectorWidth;
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t c = 0; c < s.channels; ++c) {
      int64_t plain = (n * s.channels + c) * pixels;
      int64_t blocked = (n * s.blocks() + c / v) * pixels * v + c % v;
      for (int64_t p = 0; p < pixels; ++p) visit(plain + p, blocked + p * v);
    }
}

}  // namespace

void toBlocked(const float* plain, float* blocked, const BlockedShape& shape) {
  if (shape.channels % shape.vectorWidth) std::memset(blocked, 0, shape.elements() * sizeof(float));
  forEachElement(shape, [&](int64_t p, int64_t b) { blocked[b] = plain[p]; });
}

void fromBlocked(const float* blocked, float* plain, const BlockedShape& shape) {
  forEachElement(shape, [&](int64_t p, int64_t b) { plain[p] = blocked[b]; });
}

}  // namespace convopt::runtime
