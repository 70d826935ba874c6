#include "runtime/blocked_layout.h"

#include <algorithm>

namespace convopt::runtime {

BlockedShape BlockedShape::of(const std::vector<int64_t>& nchw, int vectorWidth) {
  return {nchw.at(0), nchw.at(1), nchw.at(2), nchw.at(3), vectorWidth};
}

namespace {

// Each plane's V channels are contiguous runs on the plain side and one
// interleaved run on the blocked side. Blocking walks channel by channel
// (sequential reads, strided stores); unblocking goes in tiles of
// kTilePixels pixels, so each channel's run stays contiguous and the tile's
// blocked rows stay in L1 (the fastest orders measured for each direction).
constexpr int64_t kTilePixels = 64;

void toBlockedPlane(const float* plain, float* blocked, int64_t pixels, int64_t lanes, int64_t v) {
  if (lanes < v) std::fill(blocked, blocked + pixels * v, 0.0f);  // padding lanes
  for (int64_t lane = 0; lane < lanes; ++lane)
    for (int64_t p = 0; p < pixels; ++p) blocked[p * v + lane] = plain[lane * pixels + p];
}

void fromBlockedPlane(const float* blocked, float* plain, int64_t pixels, int64_t lanes, int64_t v) {
  for (int64_t tile = 0; tile < pixels; tile += kTilePixels) {
    int64_t end = std::min(pixels, tile + kTilePixels);
    for (int64_t lane = 0; lane < lanes; ++lane)
      for (int64_t p = tile; p < end; ++p) plain[lane * pixels + p] = blocked[p * v + lane];
  }
}

// Calls reorder(plain plane, blocked plane, lanes) for planes [first, last).
template <typename Reorder>
void forEachPlane(const BlockedShape& s, int64_t first, int64_t last, Reorder reorder) {
  int64_t pixels = s.height * s.width, v = s.vectorWidth;
  if (last < 0) last = s.planes();
  for (int64_t plane = first; plane < last; ++plane) {
    int64_t n = plane / s.blocks(), firstChannel = plane % s.blocks() * v;
    reorder((n * s.channels + firstChannel) * pixels, plane * pixels * v, std::min(v, s.channels - firstChannel));
  }
}

}  // namespace

void toBlocked(const float* plain, float* blocked, const BlockedShape& shape, int64_t first, int64_t last) {
  int64_t pixels = shape.height * shape.width;
  forEachPlane(shape, first, last, [&](int64_t p, int64_t b, int64_t lanes) {
    toBlockedPlane(plain + p, blocked + b, pixels, lanes, shape.vectorWidth);
  });
}

void fromBlocked(const float* blocked, float* plain, const BlockedShape& shape, int64_t first, int64_t last) {
  int64_t pixels = shape.height * shape.width;
  forEachPlane(shape, first, last, [&](int64_t p, int64_t b, int64_t lanes) {
    fromBlockedPlane(blocked + b, plain + p, pixels, lanes, shape.vectorWidth);
  });
}

}  // namespace convopt::runtime
