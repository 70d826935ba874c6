// Where a pool's workers run (runtime/thread_placement.h): a CPU of its own
// each, never the caller's, the least used by other pools first; nobody pinned
// when the CPUs are too few; a worker the caller lands on moves to the CPU it left.
#include <gtest/gtest.h>

#include <initializer_list>
#include <map>
#include <vector>

#include "runtime/thread_placement.h"

namespace convopt::runtime {
namespace {

std::vector<uint64_t> cpuSet(std::initializer_list<int> cpus) {
  std::vector<uint64_t> mask(CONVOPT_PLACEMENT_MASK_WORDS, 0);
  for (int cpu : cpus) mask[size_t(cpu / 64)] |= uint64_t(1) << (cpu % 64);
  return mask;
}

// Workers other pools pinned, per CPU.
std::vector<int> loadOf(const std::map<int, int>& workers) {
  std::vector<int> load(CONVOPT_PLACEMENT_MAX_CPUS, 0);
  for (auto [cpu, count] : workers) load[size_t(cpu)] = count;
  return load;
}

// The CPUs chosen for `workers` workers, or {} when none is pinned.
std::vector<int> choose(const std::vector<uint64_t>& allowed, int callerCpu, int workers,
                        const std::map<int, int>& otherPools = {}) {
  std::vector<int> cpus(size_t(workers), -1);
  if (!convopt_placement_choose(allowed.data(), loadOf(otherPools).data(), callerCpu, cpus.data(), workers)) return {};
  return cpus;
}

TEST(ThreadPlacement, EachWorkerGetsACpuOfItsOwnNeverTheCallers) {
  EXPECT_EQ(choose(cpuSet({0, 1}), 1, 1), std::vector<int>({0}));
  EXPECT_EQ(choose(cpuSet({0, 1}), 0, 1), std::vector<int>({1}));
  EXPECT_EQ(choose(cpuSet({0, 1, 2, 3}), 1, 3), std::vector<int>({0, 2, 3}));
  EXPECT_EQ(choose(cpuSet({0, 1, 2, 3}), 3, 2), std::vector<int>({0, 1}));
}

// Two engines made by one thread on CPU 0 of four: the second's worker goes
// where the first's is not.
TEST(ThreadPlacement, WorkersTakeTheCpusOtherPoolsUseLeast) {
  EXPECT_EQ(choose(cpuSet({0, 1, 2, 3}), 0, 1, {{1, 1}}), std::vector<int>({2}));
  EXPECT_EQ(choose(cpuSet({0, 1, 2, 3}), 0, 2, {{1, 1}, {2, 1}}), std::vector<int>({3, 1}));
  EXPECT_EQ(choose(cpuSet({0, 1, 2, 3}), 0, 2, {{1, 2}, {2, 1}, {3, 1}}), std::vector<int>({2, 3}));
  EXPECT_EQ(choose(cpuSet({0, 1}), 0, 1, {{1, 5}}), std::vector<int>({1}));  // the only one left
}

TEST(ThreadPlacement, OnlyTheAllowedCpusAreUsed) {  // taskset -c 2,5,70
  EXPECT_EQ(choose(cpuSet({2, 5, 70}), 5, 2), std::vector<int>({2, 70}));
  EXPECT_EQ(choose(cpuSet({2, 5, 70}), 2, 1, {{5, 1}}), std::vector<int>({70}));
  EXPECT_EQ(choose(cpuSet({1023}), 0, 1), std::vector<int>({1023}));  // the caller outside the set
}

TEST(ThreadPlacement, NobodyIsPinnedWhenTheCpusAreFewerThanTheThreadsOrTheCallersIsUnknown) {
  EXPECT_EQ(choose(cpuSet({0, 1}), 0, 2), std::vector<int>());
  EXPECT_EQ(choose(cpuSet({4}), 4, 1), std::vector<int>());
  EXPECT_EQ(choose(cpuSet({0, 1}), -1, 1), std::vector<int>());  // sched_getcpu failed
}

// follow(allowed, last CPU, now CPU, cpus) with no other pools: the worker moved, or -1.
int follow(const std::vector<uint64_t>& allowed, int& lastCpu, int callerCpu, std::vector<int>& cpus) {
  return convopt_placement_follow(allowed.data(), loadOf({}).data(), &lastCpu, callerCpu, cpus.data(),
                                  int(cpus.size()));
}

TEST(ThreadPlacement, AWorkerTheCallerLandsOnMovesToTheCpuTheCallerLeft) {
  std::vector<int> cpus = {0, 2};
  int lastCpu = 1;
  EXPECT_EQ(follow(cpuSet({0, 1, 2, 3}), lastCpu, 2, cpus), 1);
  EXPECT_EQ(cpus, std::vector<int>({0, 1}));
  EXPECT_EQ(lastCpu, 2);
}

TEST(ThreadPlacement, NobodyMovesWhileTheCallerStaysOrLandsOnAFreeCpu) {
  std::vector<uint64_t> allowed = cpuSet({0, 1, 2, 3});
  std::vector<int> cpus = {0, 2};
  int lastCpu = 1;
  EXPECT_EQ(follow(allowed, lastCpu, 1, cpus), -1);
  EXPECT_EQ(follow(allowed, lastCpu, 3, cpus), -1);
  EXPECT_EQ(lastCpu, 3);
  EXPECT_EQ(follow(allowed, lastCpu, -1, cpus), -1);  // unknown: nothing changes
  EXPECT_EQ(lastCpu, 3);
  EXPECT_EQ(cpus, std::vector<int>({0, 2}));
}

TEST(ThreadPlacement, AWorkerMovesToAFreeCpuWhenTheOneTheCallerLeftIsNotAllowedOrTaken) {
  std::vector<uint64_t> allowed = cpuSet({0, 1, 2, 3});
  std::vector<int> cpus = {0, 2};
  int lastCpu = 9;  // the caller came from a CPU outside the pool's set
  EXPECT_EQ(follow(allowed, lastCpu, 0, cpus), 0);
  EXPECT_EQ(cpus, std::vector<int>({1, 2}));
  lastCpu = 2;  // (a move that failed earlier left a worker where the caller was)
  EXPECT_EQ(follow(allowed, lastCpu, 1, cpus), 0);
  EXPECT_EQ(cpus, std::vector<int>({0, 2}));
}

TEST(ThreadPlacement, AMovedWorkerTakesTheLeastUsedFreeCpu) {
  std::vector<uint64_t> allowed = cpuSet({0, 1, 2, 3});
  std::vector<int> cpus = {0};
  std::vector<int> load = loadOf({{2, 1}});  // another pool's worker on CPU 2
  int lastCpu = 9;                           // the CPU the caller left is not the pool's
  EXPECT_EQ(convopt_placement_follow(allowed.data(), load.data(), &lastCpu, 0, cpus.data(), 1), 0);
  EXPECT_EQ(cpus, std::vector<int>({1}));
  lastCpu = 9;
  load = loadOf({{0, 1}, {2, 1}});
  EXPECT_EQ(convopt_placement_follow(allowed.data(), load.data(), &lastCpu, 1, cpus.data(), 1), 0);
  EXPECT_EQ(cpus, std::vector<int>({3}));
}

TEST(ThreadPlacement, NobodyMovesWhenNoCpuIsFree) {
  std::vector<int> cpus = {1, 0};  // (the set shrank under the pool)
  int lastCpu = 7;                 // not allowed, and the other allowed CPU has a worker
  EXPECT_EQ(follow(cpuSet({0, 1}), lastCpu, 0, cpus), -1);
  EXPECT_EQ(cpus, std::vector<int>({1, 0}));
}

}  // namespace
}  // namespace convopt::runtime
