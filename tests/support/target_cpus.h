// Kernel tests run once per vector width they can target (x86-64-v3: AVX2,
// x86-64-v4: AVX-512). TargetTest skips, saying why, the instantiations whose
// CPU this host cannot run (a host without AVX-512 would die of SIGILL).
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "codegen/engine/target.h"

namespace convopt::codegen {

inline const char* cpuOf(const char* param) { return param; }
template <typename... Rest>
const char* cpuOf(const std::tuple<const char*, Rest...>& param) {
  return std::get<0>(param);
}

template <typename Param>
class TargetTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    std::string cpu = cpuOf(this->GetParam());
    if (!hostCanRun(selectTarget(cpu)))
      GTEST_SKIP() << "this host cannot run code for " << cpu << " (it lacks its instruction set)";
  }
};

// The vector width and register file of an FMA target, for heuristics tested
// without generating code (any host).
inline Target fmaTarget(int vectorWidth, int vectorRegisters) {
  Target target;
  target.vectorWidth = vectorWidth, target.vectorRegisters = vectorRegisters, target.hasFma = true;
  return target;
}
inline Target avx512Target() { return fmaTarget(16, 32); }
inline Target avx2Target() { return fmaTarget(8, 16); }

}  // namespace convopt::codegen
