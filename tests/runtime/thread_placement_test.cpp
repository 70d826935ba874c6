// Where a pool's workers run (runtime/thread_placement.h): a CPU of its own
// each, never the caller's, from a given allowed CPU on; nobody pinned when the
// CPUs are too few; a worker the caller lands on moves to the CPU it left.
#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

#include "runtime/thread_placement.h"

namespace convopt::runtime {
namespace {

std::vector<uint64_t> cpuSet(std::initializer_list<int> cpus) {
  std::vector<uint64_t> mask(CONVOPT_PLACEMENT_MASK_WORDS, 0);
  for (int cpu : cpus) mask[size_t(cpu / 64)] |= uint64_t(1) << (cpu % 64);
  return mask;
}

// The CPUs chosen for `workers` workers, or {} when none is pinned.
std::vector<int> choose(const std::vector<uint64_t>& allowed, int first, int callerCpu, int workers) {
  std::vector<int> cpus(size_t(workers), -1);
  if (!convopt_placement_choose(allowed.data(), first, callerCpu, cpus.data(), workers)) return {};
  return cpus;
}

TEST(ThreadPlacement, EachWorkerGetsACpuOfItsOwnNeverTheCallers) {
  EXPECT_EQ(choose(cpuSet({0, 1}), 0, 1, 1), std::vector<int>({0}));
  EXPECT_EQ(choose(cpuSet({0, 1}), 0, 0, 1), std::vector<int>({1}));
  EXPECT_EQ(choose(cpuSet({0, 1, 2, 3}), 0, 1, 3), std::vector<int>({0, 2, 3}));
  EXPECT_EQ(choose(cpuSet({0, 1, 2, 3}), 0, 3, 2), std::vector<int>({0, 1}));
}

TEST(ThreadPlacement, PoolsStartAtDifferentCpusSoThatTheirWorkersSpread) {
  EXPECT_EQ(choose(cpuSet({0, 1, 2, 3}), 2, 0, 2), std::vector<int>({2, 3}));
  EXPECT_EQ(choose(cpuSet({0, 1, 2, 3}), 3, 0, 2), std::vector<int>({3, 1}));
  EXPECT_EQ(choose(cpuSet({0, 1, 2, 3}), 7, 0, 1), std::vector<int>({3}));  // cyclic
}

TEST(ThreadPlacement, OnlyTheAllowedCpusAreUsed) {  // taskset -c 2,5,70
  EXPECT_EQ(choose(cpuSet({2, 5, 70}), 0, 5, 2), std::vector<int>({2, 70}));
  EXPECT_EQ(choose(cpuSet({2, 5, 70}), 1, 2, 1), std::vector<int>({5}));
}

TEST(ThreadPlacement, NobodyIsPinnedWhenTheCpusAreFewerThanTheThreadsOrTheCallersIsUnknown) {
  EXPECT_EQ(choose(cpuSet({0, 1}), 0, 0, 2), std::vector<int>());
  EXPECT_EQ(choose(cpuSet({4}), 0, 4, 1), std::vector<int>());
  EXPECT_EQ(choose(cpuSet({0, 1}), 0, -1, 1), std::vector<int>());  // sched_getcpu failed
}

TEST(ThreadPlacement, AWorkerTheCallerLandsOnMovesToTheCpuTheCallerLeft) {
  std::vector<uint64_t> allowed = cpuSet({0, 1, 2, 3});
  std::vector<int> cpus = {0, 2};
  int lastCpu = 1;
  EXPECT_EQ(convopt_placement_follow(allowed.data(), &lastCpu, 2, cpus.data(), 2), 1);
  EXPECT_EQ(cpus, std::vector<int>({0, 1}));
  EXPECT_EQ(lastCpu, 2);
}

TEST(ThreadPlacement, NobodyMovesWhileTheCallerStaysOrLandsOnAFreeCpu) {
  std::vector<uint64_t> allowed = cpuSet({0, 1, 2, 3});
  std::vector<int> cpus = {0, 2};
  int lastCpu = 1;
  EXPECT_EQ(convopt_placement_follow(allowed.data(), &lastCpu, 1, cpus.data(), 2), -1);
  EXPECT_EQ(convopt_placement_follow(allowed.data(), &lastCpu, 3, cpus.data(), 2), -1);
  EXPECT_EQ(lastCpu, 3);
  EXPECT_EQ(convopt_placement_follow(allowed.data(), &lastCpu, -1, cpus.data(), 2), -1);  // unknown: keep all
  EXPECT_EQ(lastCpu, 3);
  EXPECT_EQ(cpus, std::vector<int>({0, 2}));
}

TEST(ThreadPlacement, AWorkerMovesToAFreeCpuWhenTheOneTheCallerLeftIsNotAllowedOrTaken) {
  std::vector<uint64_t> allowed = cpuSet({0, 1, 2, 3});
  std::vector<int> cpus = {0, 2};
  int lastCpu = 9;  // the caller came from a CPU outside the pool's set
  EXPECT_EQ(convopt_placement_follow(allowed.data(), &lastCpu, 0, cpus.data(), 2), 0);
  EXPECT_EQ(cpus, std::vector<int>({1, 2}));
  lastCpu = 2;  // (a move that failed earlier left a worker where the caller was)
  EXPECT_EQ(convopt_placement_follow(allowed.data(), &lastCpu, 1, cpus.data(), 2), 0);
  EXPECT_EQ(cpus, std::vector<int>({0, 2}));
}

TEST(ThreadPlacement, NobodyMovesWhenNoCpuIsFree) {
  std::vector<uint64_t> allowed = cpuSet({0, 1});  // (shrunk under the pool)
  std::vector<int> cpus = {1, 0};
  int lastCpu = 7;  // not allowed, and the other allowed CPU has a worker
  EXPECT_EQ(convopt_placement_follow(allowed.data(), &lastCpu, 0, cpus.data(), 2), -1);
  EXPECT_EQ(cpus, std::vector<int>({1, 0}));
}

}  // namespace
}  // namespace convopt::runtime
