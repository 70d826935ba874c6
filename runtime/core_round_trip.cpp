#include "runtime/core_round_trip.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "runtime/median.h"
#include "runtime/thread_pool.h"

namespace convopt::runtime {
namespace {

// Spins until `ball` holds `value`; yields after a while, so that two threads
// the OS put on one core (a loaded machine) still take turns quickly.
void waitFor(const std::atomic<int64_t>& ball, int64_t value) {
  for (int spins = 0; ball.load(std::memory_order_acquire) != value;)
    if (spins < 4096)
      ++spins;
    else
      std::this_thread::yield();
}

}  // namespace

double measureCoreRoundTripNs() {
  constexpr int kBatches = 7, kTrips = 1000;
  alignas(64) std::atomic<int64_t> ball = 0;  // odd: the caller served it; even: returned
  std::vector<double> batches;
  auto serve = [&] {
    for (int64_t batch = 0, trip = 0; batch < kBatches; ++batch) {
      auto start = std::chrono::steady_clock::now();
      for (int k = 0; k < kTrips; ++k, ++trip) {
        ball.store(2 * trip + 1, std::memory_order_release);
        waitFor(ball, 2 * trip + 2);
      }
      batches.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
                        kTrips);
    }
  };
  auto returnBall = [&] {
    for (int64_t trip = 0; trip < int64_t(kBatches) * kTrips; ++trip) {
      waitFor(ball, 2 * trip + 1);
      ball.store(2 * trip + 2, std::memory_order_release);
    }
  };
  // A 2-unit job of a 2-thread pool, so that the partner is placed as the
  // pool's workers are: the caller serves (its own share, unit 0) until the
  // worker has taken unit 1 and returned every ball.
  ThreadPool pool(2);
  pool.parallelFor(2, [&](int64_t begin, int64_t) { begin == 0 ? serve() : returnBall(); });
  return medianOf(batches);
}

}  // namespace convopt::runtime
