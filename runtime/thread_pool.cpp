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

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    runSlice(index);
    std::lock_guard lock(mutex_);
    if (--pending_ == 0) done_.notify_one();
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
    pending_ = int(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  runSlice(0);
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return pending_ == 0; });
}

}  // namespace convopt::runtime
