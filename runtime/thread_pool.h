// A small fixed thread pool for the compiled engine: every kernel takes a range
// of work units, and parallelFor lets each thread (the caller included) take
// contiguous chunks of it until none are left, so uneven units (a kernel's
// tail tile, border rows) do not leave a thread idle at the end.
//
// A model runs ~100 short kernels per inference, so handing out a range must
// cost little: threads spin between kernels (sleeping only after a while),
// the job is published with one atomic store, and the mutex and condition
// variables are touched only when some thread actually sleeps.
#pragma once
#include <atomic>
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
  // Runs body(begin, end) over disjoint ranges covering [0, units); returns when all are done.
  void parallelFor(int64_t units, const std::function<void(int64_t, int64_t)>& body);

  // Chunks per thread a range is cut into: more balance uneven units, fewer keep
  // a thread on the rows it touched in the previous kernel. On the shared models
  // at 2 threads 16 lost 12-20% to 4 in interleaved rounds; 1, 2 and 4 measured
  // alike within the host's noise.
  static constexpr int64_t kChunksPerThread = 2;

 private:
  void workerLoop();
  void runChunks();

  std::vector<std::thread> workers_;
  // The job: written by the caller before it bumps generation_ (release), read
  // by the workers after they see the new generation (acquire).
  const std::function<void(int64_t, int64_t)>* body_ = nullptr;
  int64_t units_ = 0, chunk_ = 1;
  std::atomic<uint64_t> generation_ = 0;
  std::atomic<bool> stopping_ = false;
  // Each on its own cache line: every thread writes them during a job.
  alignas(64) std::atomic<int64_t> next_ = 0;
  alignas(64) std::atomic<int> pending_ = 0;  // workers still in the current job
  // Sleeping. A thread announces itself (sleepers_, callerSleeping_) before it
  // re-checks under the mutex, and the other side checks the announcement after
  // its own update (all sequentially consistent), so no wake-up is lost.
  alignas(64) std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::atomic<int> sleepers_ = 0;
  std::atomic<bool> callerSleeping_ = false;
};

}  // namespace convopt::runtime
