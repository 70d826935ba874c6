#include "runtime/thread_pool.h"

#include <algorithm>

namespace convopt::runtime {

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::runSlice(int index) {
  if (index >= slices_) return;
  int64_t begin = units_ * index / slices_, end = units_ * (index + 1) / slices_;
  if (begin < end) (*body_)(begin, end);
}

namespace {

// Spins until `ready()` or the budget runs out; true if ready.
template <typename Ready>
bool spinUntil(Ready ready) {
  constexpr int kSpins = 20000;
  for (int i = 0; i < kSpins; ++i) {
    if (ready()) return true;
    __builtin_ia32_pause();
  }
  return ready();
}

}  // namespace

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    auto ready = [&] { return stopping_.load() || generation_.load(std::memory_order_acquire) != seen; };
    if (!spinUntil(ready)) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, ready);
    }
    if (stopping_) return;
    seen = generation_.load(std::memory_order_acquire);
    runSlice(index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(mutex_);
      done_.notify_one();
    }
  }
}

void ThreadPool::parallelFor(int64_t units, const std::function<void(int64_t, int64_t)>& body) {
  if (units <= 0) return;
  int slices = int(std::min<int64_t>(units, threads()));
  if (slices == 1) {
    body(0, units);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    body_ = &body, units_ = units, slices_ = slices;
    pending_.store(int(workers_.size()));
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  runSlice(0);
  auto done = [&] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!spinUntil(done)) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, done);
  }
}

}  // namespace convopt::runtime
