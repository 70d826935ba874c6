#include "codegen/engine/fma_peak.h"

#include <chrono>

#include "codegen/builder/kernel_builder.h"
#include "codegen/engine/jit.h"

namespace convopt::codegen {

namespace {
// Independent accumulator chains: FMA latency (4-5 cycles) x 2 ports, plus margin.
constexpr int kChains = 12;
}  // namespace

double measureFmaPeakGflops(const Target& target) {
  KernelModule module;
  {
    KernelBuilder kb(*module.module, "fma_peak", target.vectorWidth);
    llvm::IRBuilder<>& ir = kb.ir();
    llvm::Value* data = kb.buffer(0);
    llvm::Value* a = kb.loadVector(data, kb.i64(0));
    llvm::Value* b = kb.loadVector(data, kb.i64(target.vectorWidth));
    std::vector<llvm::AllocaInst*> chains;
    for (int c = 0; c < kChains; ++c) chains.push_back(kb.vectorVariable(kb.splat(float(c))));
    kb.forLoop(kb.begin(), kb.end(), 1, [&](llvm::Value*) {
      for (llvm::AllocaInst* chain : chains)
        ir.CreateStore(kb.fma(ir.CreateLoad(chain->getAllocatedType(), chain), a, b), chain);
    });
    llvm::Value* sum = kb.zero();
    for (llvm::AllocaInst* chain : chains) sum = ir.CreateFAdd(sum, ir.CreateLoad(chain->getAllocatedType(), chain));
    kb.storeVector(data, kb.i64(0), sum);
  }
  Jit jit(target);
  jit.add(std::move(module));
  KernelFunction kernel = jit.lookup("fma_peak");
  std::vector<float> data(2 * target.vectorWidth, 0.999f);
  float* buffers[] = {data.data()};
  // Many short trials, best kept: a busy machine still leaves some uncontended ones.
  const int64_t iterations = 2'000'000;
  kernel(buffers, 0, iterations / 10);  // warm up (and let the clock settle)
  double best = 0;
  for (int trial = 0; trial < 20; ++trial) {
    auto start = std::chrono::steady_clock::now();
    kernel(buffers, 0, iterations);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, 2.0 * target.vectorWidth * kChains * double(iterations) / seconds / 1e9);
  }
  return best;
}

}  // namespace convopt::codegen
