// A small fixed thread pool for the compiled engine: every kernel takes a range
// of work units, and parallelFor gives thread i (the caller is thread 0) the
// i-th share of it, which it runs in chunks from the front; a thread done with
// its share takes the chunks others have not started, so uneven units (a
// kernel's tail tile, border rows) or a descheduled thread do not leave the
// rest idle. Owning the same share of every kernel keeps a thread on the rows
// and channels it produced in the previous kernel: on a Sapphire Rapids host,
// where a line written by the other core is a slow mesh transfer, whole models
// at 2 threads ran 2-16% faster than with chunks handed out first come, first
// served (shufflenet_v2 1.89 -> 1.63 ms).
//
// A model runs ~100 short kernels per inference, so handing out a range must
// cost little: threads spin between kernels (sleeping only after a while),
// the job is published with two atomic stores (open_, generation_), and the
// mutex and condition variables are touched only when some thread actually
// sleeps, once per sleep.
//
// Each worker is pinned to a CPU of its own, never the caller's
// (runtime/thread_placement.h: a guest kernel that packs threads onto fewer
// vCPUs queued the worker behind the spinning caller, and 2 threads ran as
// slowly as one); CONVOPT_PIN_THREADS=0 leaves placement to the kernel. Each
// thread runs its own share first: core_round_trip.cpp relies on it.
//
// A job ends when its units are done, not when every worker has looked in: a
// worker still asleep (between a deployment's requests) may take hundreds of
// microseconds to wake on a VM, and the caller, having taken over its share,
// does not wait for it. Once every unit is taken the caller closes the job to
// late workers and waits only for those inside it. On a Zen 5 VM at 2 threads,
// runs after 20 ms idle (`bench --idle-ms 20`): resnet18_w025 1.45-1.59 ->
// 1.21-1.35 ms, squeezenet1_1 2.46-2.67 -> 2.06-2.47 ms; back to back unchanged.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace convopt::runtime {

class ThreadPool {
 public:
  // `threads` counts the calling thread; 0 means one per hardware thread.
  // Throws InputError if the system will not start that many.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return int(workers_.size()) + 1; }
  // What `threads` means to the constructor: itself, or for 0 the hardware threads.
  static int resolvedThreads(int threads);
  // Runs body(begin, end) over disjoint ranges covering [0, units); returns when all are done.
  void parallelFor(int64_t units, const std::function<void(int64_t, int64_t)>& body);
  // body(0, units) on the calling thread (recorded as thread 0's chunk when tracing).
  void runOnCaller(int64_t units, const std::function<void(int64_t, int64_t)>& body);

  // The CPU each worker is pinned to (worker i at [i - 1]); empty when the
  // workers are not pinned (runtime/thread_placement.h says when).
  std::vector<int> workerCpus() const;
  // Moves the worker pinned to the caller's CPU, if any, to the CPU the caller
  // left: call at the start of a run of kernels, from the thread that runs them.
  void followCaller();

  // Chunks a thread's share is cut into: the grain at which others take it over.
  static constexpr int64_t kChunksPerThread = 4;

  // Tracing (off by default; `bench --trace`): every chunk a thread runs is
  // recorded with its clock times, a timeline of who ran what when.
  struct ChunkSpan {
    int thread;  // 0: the caller
    int64_t begin, end;
    std::chrono::steady_clock::time_point start, stop;
  };
  // Call between parallelFor calls.
  void setTracing(bool on) { tracing_ = on; }
  // The chunks run since the last call, all threads'; call between parallelFor calls.
  std::vector<ChunkSpan> takeChunkSpans();

 private:
  void workerLoop(int index);
  void runChunks(int index);
  using Body = std::function<void(int64_t, int64_t)>;
  void runChunk(const Body& body, int index, int64_t begin, int64_t end);
  void stopWorkers();
  void pinWorkers();
  void unpinWorkers();
  bool pin(int worker, int cpu);

  std::vector<std::thread> workers_;
  // Placement, touched by the caller only: the CPUs the pool may use, the
  // workers' (empty: not pinned), and where the caller was last seen.
  std::vector<uint64_t> allowedCpus_;
  std::vector<int> workerCpus_;
  int callerCpu_ = -1;
  // The job: written by the caller before it bumps generation_ (release), read
  // by the workers after they see the new generation (acquire), between their
  // check of open_ and their decrement of active_.
  const std::function<void(int64_t, int64_t)>* body_ = nullptr;
  int64_t chunk_ = 1;
  std::atomic<uint64_t> generation_ = 0;
  std::atomic<bool> stopping_ = false;
  // Each on its own cache line: every thread writes them during a job.
  struct alignas(64) Share {
    std::atomic<int64_t> next = 0;  // first unit not yet taken
    int64_t end = 0;
  };
  std::unique_ptr<Share[]> shares_;  // one per thread
  // Tracing: set between jobs, so workers read it after the job's publication;
  // each thread appends to its own list (on its own cache line), which the
  // caller reads after the job.
  bool tracing_ = false;
  struct alignas(64) ThreadSpans {
    std::vector<ChunkSpan> spans;
  };
  std::unique_ptr<ThreadSpans[]> spans_;  // one per thread
  // Entry: a worker counts itself in active_, then runs the job only while
  // open_ holds the generation it saw; the caller sets open_ to 0 once every
  // unit is taken, then waits for active_ to reach 0 (all sequentially
  // consistent: a worker that counts itself in after that wait sees it closed).
  alignas(64) std::atomic<uint64_t> open_ = 0;
  std::atomic<int> active_ = 0;
  // Sleeping. A thread announces itself (sleepers_, callerSleeping_) before it
  // re-checks under the mutex, and the other side checks the announcement after
  // its own update (all sequentially consistent), so no wake-up is lost.
  alignas(64) std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::atomic<int> sleepers_ = 0;
  // A wake-up went out since a sleeper last looked; a sleeper clears it under
  // the mutex before each look, so a publication after that look wakes it.
  std::atomic<bool> wakeSent_ = false;
  std::atomic<bool> callerSleeping_ = false;
};

}  // namespace convopt::runtime
