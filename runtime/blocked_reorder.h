/* The NCHW <-> NCHWc reorder loops (runtime/blocked_layout.h), in C so that
 * the JIT engine (through blocked_layout.cpp) and every ahead-of-time artifact
 * (codegen/aot/runtime/aot_runtime.c) run the same code. Plain C99 and C++,
 * no library calls: it is compiled into artifacts for any target.
 *
 * A plane is one channel block of one image. Blocking walks channel by channel
 * (sequential reads, strided stores); unblocking goes in tiles of
 * CONVOPT_REORDER_TILE pixels, so each channel's run stays contiguous and the
 * tile's blocked rows stay in L1 (the fastest orders measured for each direction). */
#ifndef CONVOPT_RUNTIME_BLOCKED_REORDER_H
#define CONVOPT_RUNTIME_BLOCKED_REORDER_H
#include <stdint.h>

#define CONVOPT_REORDER_TILE 64

/* Planes [first, last) of an N x C x H x W tensor with vectors of v floats. */
static inline void convopt_to_blocked(const float* plain, float* blocked, int64_t channels, int64_t pixels, int64_t v,
                                      int64_t first, int64_t last) {
  int64_t blocks = (channels + v - 1) / v;
  for (int64_t plane = first; plane < last; ++plane) {
    int64_t n = plane / blocks, c0 = plane % blocks * v, lanes = channels - c0 < v ? channels - c0 : v;
    const float* from = plain + (n * channels + c0) * pixels;
    float* to = blocked + plane * pixels * v;
    if (lanes < v)
      for (int64_t i = 0; i < pixels * v; ++i) to[i] = 0.0f; /* padding lanes */
    for (int64_t lane = 0; lane < lanes; ++lane)
      for (int64_t p = 0; p < pixels; ++p) to[p * v + lane] = from[lane * pixels + p];
  }
}

static inline void convopt_from_blocked(const float* blocked, float* plain, int64_t channels, int64_t pixels, int64_t v,
                                        int64_t first, int64_t last) {
  int64_t blocks = (channels + v - 1) / v;
  for (int64_t plane = first; plane < last; ++plane) {
    int64_t n = plane / blocks, c0 = plane % blocks * v, lanes = channels - c0 < v ? channels - c0 : v;
    const float* from = blocked + plane * pixels * v;
    float* to = plain + (n * channels + c0) * pixels;
    for (int64_t tile = 0; tile < pixels; tile += CONVOPT_REORDER_TILE) {
      int64_t end = tile + CONVOPT_REORDER_TILE < pixels ? tile + CONVOPT_REORDER_TILE : pixels;
      for (int64_t lane = 0; lane < lanes; ++lane)
        for (int64_t p = tile; p < end; ++p) to[lane * pixels + p] = from[p * v + lane];
    }
  }
}

#endif
