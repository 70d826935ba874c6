#include "runtime/thread_pool.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "ir/error.h"
#include "runtime/thread_placement.h"

namespace convopt::runtime {

int ThreadPool::resolvedThreads(int threads) {
  return threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
}

ThreadPool::ThreadPool(int threads) {
  threads = resolvedThreads(threads);
  shares_ = std::make_unique<Share[]>(size_t(threads));
  spans_ = std::make_unique<ThreadSpans[]>(size_t(threads));
  // A joinable std::thread destroyed would terminate the process: whatever
  // fails, the workers started so far are stopped before the error leaves.
  try {
    workers_.reserve(size_t(threads - 1));
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { workerLoop(i); });
    pinWorkers();                             // counts its CPUs last, after anything that may throw
  } catch (const std::system_error& error) {  // the system's thread limit, or no memory for their stacks
    stopWorkers();
    throwInputError("could not start {} threads: thread {} failed ({}); ask for fewer", threads, workers_.size() + 1,
                    error.what());
  } catch (...) {
    stopWorkers();
    throw;
  }
}

namespace {

// Workers of this process's pools pinned to each CPU (thread_placement.h: a
// new pool's workers take the least used CPUs).
std::array<std::atomic<int>, CONVOPT_PLACEMENT_MAX_CPUS> pinnedWorkers = {};

void countPinned(const std::vector<int>& cpus, int delta) {
  for (int cpu : cpus) pinnedWorkers[size_t(cpu)] += delta;
}

std::vector<int> pinnedLoad() {
  std::vector<int> load(CONVOPT_PLACEMENT_MAX_CPUS);
  for (size_t cpu = 0; cpu < load.size(); ++cpu) load[cpu] = pinnedWorkers[cpu].load(std::memory_order_relaxed);
  return load;
}

bool pinningWanted() {
  const char* setting = std::getenv("CONVOPT_PIN_THREADS");
  return !setting || std::strcmp(setting, "0") != 0;
}

}  // namespace

bool ThreadPool::pin(int worker, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(workers_[size_t(worker)].native_handle(), sizeof set, &set) == 0;
}

void ThreadPool::pinWorkers() {
  cpu_set_t allowed;
  static_assert(sizeof allowed == CONVOPT_PLACEMENT_MASK_WORDS * sizeof(uint64_t));
  if (workers_.empty() || !pinningWanted() || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  allowedCpus_.resize(CONVOPT_PLACEMENT_MASK_WORDS);
  std::memcpy(allowedCpus_.data(), &allowed, sizeof allowed);
  std::vector<int> cpus(workers_.size(), -1);
  callerCpu_ = sched_getcpu();
  if (!convopt_placement_choose(allowedCpus_.data(), pinnedLoad().data(), callerCpu_, cpus.data(), int(cpus.size())))
    return;
  for (size_t w = 0; w < cpus.size(); ++w)
    if (!pin(int(w), cpus[w])) return unpinWorkers();
  workerCpus_ = std::move(cpus);
  countPinned(workerCpus_, +1);
}

// Leaves placement to the kernel (a CPU refused: a cpuset changed under us).
void ThreadPool::unpinWorkers() {
  cpu_set_t allowed;
  std::memcpy(&allowed, allowedCpus_.data(), sizeof allowed);
  for (std::thread& worker : workers_) pthread_setaffinity_np(worker.native_handle(), sizeof allowed, &allowed);
  countPinned(workerCpus_, -1);
  workerCpus_.clear();
}

void ThreadPool::followCaller() {
  if (workerCpus_.empty()) return;  // no system call for a pool not pinned
  int cpu = sched_getcpu();
  if (cpu == callerCpu_) return;
  int moved = convopt_placement_follow(allowedCpus_.data(), pinnedLoad().data(), &callerCpu_, cpu, workerCpus_.data(),
                                       int(workerCpus_.size()));
  if (moved < 0) return;
  if (!pin(moved, workerCpus_[size_t(moved)])) {
    workerCpus_[size_t(moved)] = cpu;  // where it was, as counted
    return unpinWorkers();
  }
  --pinnedWorkers[size_t(cpu)];  // it was on the caller's CPU
  ++pinnedWorkers[size_t(workerCpus_[size_t(moved)])];
}

std::vector<int> ThreadPool::workerCpus() const { return workerCpus_; }

ThreadPool::~ThreadPool() {
  countPinned(workerCpus_, -1);
  stopWorkers();
}

void ThreadPool::stopWorkers() {
  stopping_ = true;
  { std::lock_guard lock(mutex_); }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::runChunk(const Body& body, int index, int64_t begin, int64_t end) {
  if (!tracing_) return body(begin, end);
  auto start = std::chrono::steady_clock::now();
  body(begin, end);
  spans_[index].spans.push_back({index, begin, end, start, std::chrono::steady_clock::now()});
}

std::vector<ThreadPool::ChunkSpan> ThreadPool::takeChunkSpans() {
  std::vector<ChunkSpan> all;
  for (int i = 0; i < threads(); ++i) {
    all.insert(all.end(), spans_[i].spans.begin(), spans_[i].spans.end());
    spans_[i].spans.clear();
  }
  return all;
}

void ThreadPool::runChunks(int index) {
  for (int k = 0; k < threads(); ++k) {  // its own share first, then the others'
    Share& share = shares_[(index + k) % threads()];
    for (;;) {
      int64_t begin = share.next.fetch_add(chunk_, std::memory_order_relaxed);
      if (begin >= share.end) break;
      runChunk(*body_, index, begin, std::min(share.end, begin + chunk_));
    }
  }
}

namespace {

// Spins until `ready()` or kSpinTime passes; true if ready. Long enough to
// bridge the gap between two kernels of one inference (a sleeping worker
// takes tens of microseconds to wake), short enough not to burn a core
// between inferences. Yields between bursts: when the machine is
// oversubscribed, the thread we wait for may need this core.
constexpr auto kSpinTime = std::chrono::microseconds(500);

template <typename Ready>
bool spinUntil(Ready ready) {
  auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      __builtin_ia32_pause();
    }
    if (std::chrono::steady_clock::now() > deadline) return ready();
    std::this_thread::yield();
  }
}

}  // namespace

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    auto ready = [&] { return stopping_ || generation_.load() != seen; };
    if (!spinUntil(ready)) {
      std::unique_lock lock(mutex_);
      ++sleepers_;
      for (;;) {
        wakeSent_ = false;  // before each last look, under the mutex: the next publication wakes us
        if (ready()) break;
        wake_.wait(lock);
      }
      --sleepers_;
    }
    if (stopping_) return;
    seen = generation_.load(std::memory_order_acquire);
    active_.fetch_add(1);
    if (open_.load() == seen) runChunks(index);  // else the caller has finished it: wait for the next
    if (active_.fetch_sub(1) == 1 && callerSleeping_) {
      std::lock_guard lock(mutex_);
      done_.notify_one();
    }
  }
}

void ThreadPool::runOnCaller(int64_t units, const std::function<void(int64_t, int64_t)>& body) {
  // Not through body_: workers spinning between jobs read the line it shares with generation_.
  if (units > 0) runChunk(body, 0, 0, units);
}

void ThreadPool::parallelFor(int64_t units, const std::function<void(int64_t, int64_t)>& body) {
  if (units <= 0) return;
  if (units == 1 || workers_.empty()) return runOnCaller(units, body);
  body_ = &body;
  chunk_ = std::max<int64_t>(1, units / (threads() * kChunksPerThread));
  for (int i = 0; i < threads(); ++i) {
    shares_[i].next.store(units * i / threads(), std::memory_order_relaxed);
    shares_[i].end = units * (i + 1) / threads();
  }
  uint64_t job = generation_.load(std::memory_order_relaxed) + 1;
  open_.store(job);
  generation_.store(job);  // publishes the job
  if (sleepers_ > 0 && !wakeSent_.exchange(true)) {
    { std::lock_guard lock(mutex_); }
    wake_.notify_all();
  }
  runChunks(0);  // returns when every unit is taken
  open_.store(0);
  auto done = [&] { return active_.load() == 0; };
  if (!spinUntil(done)) {
    std::unique_lock lock(mutex_);
    callerSleeping_ = true;
    done_.wait(lock, done);
    callerSleeping_ = false;
  }
}

}  // namespace convopt::runtime
