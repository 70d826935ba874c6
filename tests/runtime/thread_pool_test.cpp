// The thread pool's contract: every unit of a range runs exactly once, in
// disjoint contiguous ranges, whatever the unit and thread counts, call after
// call; each thread's share is taken over when its owner is busy.
#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/thread_pool.h"

namespace convopt::runtime {
namespace {

TEST(ThreadPool, EveryUnitRunsExactlyOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int64_t units : {0, 1, 2, 3, 7, 64, 1001}) {
      std::vector<std::atomic<int>> visits(units);
      std::atomic<int64_t> calls = 0;
      pool.parallelFor(units, [&](int64_t begin, int64_t end) {
        ASSERT_LT(begin, end);
        for (int64_t u = begin; u < end; ++u) visits[u].fetch_add(1);
        calls.fetch_add(1);
      });
      for (int64_t u = 0; u < units; ++u) ASSERT_EQ(visits[u].load(), 1) << "unit " << u << " of " << units;
      // Chunks of units / (threads * kChunksPerThread) units, rounded down: fewer
      // than twice that many calls, and never more than one per unit.
      int64_t chunks = threads * ThreadPool::kChunksPerThread;
      EXPECT_LE(calls.load(), threads == 1 ? std::min<int64_t>(units, 1) : std::min(units, 2 * chunks));
    }
  }
}

// Thread i owns the i-th share of the range; a thread done with its own takes
// over the chunks of a share whose owner is busy. The first unit started
// sleeps, whichever thread starts it (usually the caller with unit 0, but the
// caller may be descheduled right after publishing the job): the rest of that
// unit's share then runs on the other thread.
TEST(ThreadPool, FreeThreadsTakeOverABusyThreadsShare) {
  ThreadPool pool(2);
  std::vector<std::thread::id> ranOn(8);
  std::atomic<int64_t> firstStarted = -1;
  pool.parallelFor(8, [&](int64_t begin, int64_t end) {  // shares [0, 4) and [4, 8), chunks of 1
    for (int64_t u = begin; u < end; ++u) {
      int64_t none = -1;
      if (firstStarted.compare_exchange_strong(none, u)) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ranOn[u] = std::this_thread::get_id();
    }
  });
  int64_t sleeper = firstStarted.load();
  ASSERT_TRUE(sleeper == 0 || sleeper == 4) << "a thread starts its share at its front, got " << sleeper;
  for (int64_t u = sleeper + 1; u < sleeper + 4; ++u) EXPECT_NE(ranOn[u], ranOn[sleeper]) << "unit " << u;
}

// Traced, every chunk a thread ran is listed once with that thread and its
// clock times, the caller's whole-range runs as thread 0's; not traced, none.
// The chunk holding unit 0 sleeps, so the other thread runs some for sure.
TEST(ThreadPool, TracingListsEveryChunkOnce) {
  ThreadPool pool(2);
  auto body = [](int64_t begin, int64_t) {
    if (begin == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  pool.parallelFor(64, body);
  EXPECT_TRUE(pool.takeChunkSpans().empty());
  pool.setTracing(true);
  pool.parallelFor(64, body);
  std::vector<ThreadPool::ChunkSpan> spans = pool.takeChunkSpans();
  std::sort(spans.begin(), spans.end(), [](auto& a, auto& b) { return a.begin < b.begin; });
  int64_t next = 0;
  std::set<int> threads;
  for (const ThreadPool::ChunkSpan& span : spans) {
    EXPECT_EQ(span.begin, next);
    next = span.end;
    threads.insert(span.thread);
    EXPECT_LE(span.start, span.stop);
    if (span.begin == 0) {
      EXPECT_GE(span.stop - span.start, std::chrono::milliseconds(20));
    }
  }
  EXPECT_EQ(next, 64);
  EXPECT_EQ(threads, (std::set<int>{0, 1}));
  EXPECT_TRUE(pool.takeChunkSpans().empty());
  pool.runOnCaller(5, body);
  spans = pool.takeChunkSpans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].thread, 0);
  EXPECT_EQ(spans[0].begin, 0);
  EXPECT_EQ(spans[0].end, 5);
  pool.setTracing(false);
  pool.parallelFor(64, body);
  pool.runOnCaller(5, body);
  EXPECT_TRUE(pool.takeChunkSpans().empty());
}

TEST(ThreadPool, ManyShortCallsInARow) {
  ThreadPool pool(2);
  int64_t total = 0;
  std::mutex mutex;
  for (int call = 0; call < 2000; ++call)
    pool.parallelFor(5, [&](int64_t begin, int64_t end) {
      std::lock_guard lock(mutex);
      total += end - begin;
    });
  EXPECT_EQ(total, 2000 * 5);
}

// Past the spin time, workers sleep between calls and the caller sleeps while
// a worker finishes a long unit: no wake-up may be lost either way.
TEST(ThreadPool, SleepingThreadsWakeForTheNextCallAndTheLastUnit) {
  ThreadPool pool(3);
  for (int call = 0; call < 6; ++call) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // workers go to sleep
    std::vector<std::atomic<int>> visits(6);
    pool.parallelFor(6, [&](int64_t begin, int64_t end) {
      for (int64_t u = begin; u < end; ++u) {
        if (call % 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the caller waits asleep
        visits[u].fetch_add(1);
      }
    });
    for (int64_t u = 0; u < 6; ++u) ASSERT_EQ(visits[u].load(), 1) << "call " << call << " unit " << u;
  }
}

// A job ends when its units are done (a sleeping worker is not waited for), so
// the test above would pass even if workers never woke. Here unit 0 waits until
// another thread has run a unit: after each idle spell a worker must wake.
TEST(ThreadPool, AWorkerWakesForEachCallAfterIdle) {
  ThreadPool pool(2);
  for (int call = 0; call < 8; ++call) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // the worker goes to sleep
    std::mutex mutex;
    std::set<std::thread::id> ran;  // threads that started a chunk
    bool sawAnother = false;
    pool.parallelFor(8, [&](int64_t begin, int64_t) {
      std::thread::id me = std::this_thread::get_id();
      auto another = [&] {
        std::lock_guard lock(mutex);
        ran.insert(me);
        return ran.size() > 1;
      };
      if (begin != 0) return (void)another();
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!another() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      sawAnother = another();  // only unit 0's thread writes it
    });
    EXPECT_TRUE(sawAnother) << "call " << call << ": no other thread ran a unit within 5 s of unit 0";
  }
}

// Placement (runtime/thread_placement.h; its decisions: thread_placement_test.cpp).

// Pins the calling thread to `cpus` for the scope; its mask before is restored after.
class CallerOn {
 public:
  explicit CallerOn(std::vector<int> cpus) {
    sched_getaffinity(0, sizeof before_, &before_);
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : cpus) CPU_SET(cpu, &set);
    EXPECT_EQ(sched_setaffinity(0, sizeof set, &set), 0);
  }
  ~CallerOn() { sched_setaffinity(0, sizeof before_, &before_); }

 private:
  cpu_set_t before_;
};

// Sets (or with null unsets) an environment variable for the scope.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) {
    if (const char* before = std::getenv(name)) before_ = before;
    value ? setenv(name, value, 1) : unsetenv(name);
  }
  ~ScopedEnvironment() { before_ ? setenv(name_, before_->c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> before_;
};

// The CPUs the calling thread may use; empty if its set cannot be read (over 1024 CPUs).
std::vector<int> allowedCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return {};
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

// A 2-unit job whose units wait for each other: the caller runs unit 0 (its
// own share) and the worker unit 1. The CPU each ran on: {caller's, worker's}.
std::array<int, 2> cpusOfAMeeting(ThreadPool& pool) {
  std::array<int, 2> cpus = {-1, -1};
  std::atomic<int> arrived = 0;
  pool.parallelFor(2, [&](int64_t begin, int64_t) {
    cpus[size_t(begin)] = sched_getcpu();
    arrived.fetch_add(1);
    while (arrived.load() < 2) std::this_thread::yield();
  });
  return cpus;
}

TEST(ThreadPool, PinsItsWorkerToACpuOfItsOwnAndMovesItToTheCpuTheCallerLeft) {
  std::vector<int> allowed = allowedCpus();
  if (allowed.size() < 2)
    GTEST_SKIP() << "the process may use one CPU (or more than 1024, whose set sched_getaffinity does not fit in "
                    "cpu_set_t): no second one to pin to";
  ScopedEnvironment pinning("CONVOPT_PIN_THREADS", nullptr);
  ThreadPool pool(2);
  ASSERT_EQ(pool.workerCpus().size(), 1u);
  int workerCpu = pool.workerCpus()[0];
  int callerCpu = allowed[0] == workerCpu ? allowed[1] : allowed[0];
  {
    CallerOn caller({callerCpu});
    pool.followCaller();  // as a run starts
    EXPECT_EQ(cpusOfAMeeting(pool), (std::array<int, 2>{callerCpu, workerCpu}));
  }
  {
    CallerOn caller({workerCpu});  // the caller lands on the worker's CPU: the worker takes the caller's old one
    pool.followCaller();
    EXPECT_EQ(pool.workerCpus(), std::vector<int>({callerCpu}));
    EXPECT_EQ(cpusOfAMeeting(pool), (std::array<int, 2>{workerCpu, callerCpu}));
  }
}

TEST(ThreadPool, LeavesPlacementToTheKernelWhenTheCpusAreTooFewOrWhenAsked) {
  std::vector<int> allowed = allowedCpus();
  if (allowed.empty()) GTEST_SKIP() << "the process's CPU set does not fit in cpu_set_t (more than 1024 CPUs)";
  {
    CallerOn caller({allowed[0]});  // the pool may use one CPU for its two threads
    ThreadPool pool(2);
    EXPECT_TRUE(pool.workerCpus().empty());
    std::array<int, 2> cpus = cpusOfAMeeting(pool);
    EXPECT_EQ(cpus[0], cpus[1]);
  }
  ScopedEnvironment pinning("CONVOPT_PIN_THREADS", "0");
  ThreadPool pool(2);
  EXPECT_TRUE(pool.workerCpus().empty());
  std::array<int, 2> cpus = cpusOfAMeeting(pool);
  EXPECT_GE(std::min(cpus[0], cpus[1]), 0);
}

}  // namespace
}  // namespace convopt::runtime
