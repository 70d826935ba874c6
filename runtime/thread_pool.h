// A small fixed thread pool for the compiled engine: every kernel takes a range
// of work units, and parallelFor hands each thread (the caller included) one
// contiguous slice of it.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace convopt::runtime {

class ThreadPool {
 public:
  // `threads` counts the calling thread; 0 means one per hardware thread.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return int(workers_.size()) + 1; }
  // Runs body(begin, end) over [0, units) split evenly; returns when all slices are done.
  void parallelFor(int64_t units, const std::function<void(int64_t, int64_t)>& body);

 private:
  void workerLoop(int index);
  void runSlice(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)>* body_ = nullptr;
  int64_t units_ = 0;
  int slices_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

}  // namespace convopt::runtime
