#include "runtime/copy_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

namespace convopt::runtime {

double measureCopyGBps(ThreadPool& pool) {
  // 2 x 64 MiB: past any L3 of a few cores' share, touched once before timing.
  constexpr size_t kBytes = size_t(64) << 20;
  constexpr int64_t kPieces = 256;
  std::vector<char> from(kBytes, 1), to(kBytes, 0);
  pool.followCaller();
  auto copy = [&] {
    pool.parallelFor(kPieces, [&](int64_t begin, int64_t end) {
      size_t first = kBytes / kPieces * size_t(begin), last = kBytes / kPieces * size_t(end);
      std::memcpy(to.data() + first, from.data() + first, last - first);
    });
  };
  copy();
  double best = 0;
  for (int trial = 0; trial < 4; ++trial) {
    auto start = std::chrono::steady_clock::now();
    copy();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, 2.0 * double(kBytes) / seconds / 1e9);
  }
  return best;
}

}  // namespace convopt::runtime
