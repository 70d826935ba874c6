#include "bench/support/conv_bench.h"

#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <random>

#include "codegen/conv/conv_emitter.h"
#include "codegen/conv/conv_plan.h"
#include "codegen/conv/conv_weights.h"
#include "codegen/engine/fma_peak.h"
#include "codegen/engine/jit.h"
#include "runtime/aligned_floats.h"
#include "runtime/blocked_layout.h"
#include "runtime/thread_pool.h"
#include "tests/support/conv_layers.h"

namespace convopt::bench {

namespace {

using layers::Layer;

std::string environment(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

struct Fixture {
  codegen::Target target = codegen::selectTarget(environment("CONVOPT_BENCH_CPU", ""));
  int threads = std::stoi(environment("CONVOPT_BENCH_THREADS", "1"));
  double peakGflops = codegen::measureFmaPeakGflops(target) * threads;
  runtime::ThreadPool pool{threads};
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

void runLayer(benchmark::State& state, const Layer& layer) {
  Fixture& f = fixture();
  codegen::ConvSpec spec = layers::specOf(layer);
  Expected<codegen::ConvPlan> result = codegen::planConv(spec, f.target);
  if (!result || result->family != layer.family) {
    state.SkipWithError(fmt::format("not planned as {}: {}", layer.family, result.reason()).c_str());
    return;
  }
  int width = f.target.vectorWidth;
  codegen::Jit jit(f.target);
  codegen::KernelModule module;
  codegen::emitConvKernel(*module.module, "conv", *result, width);
  jit.add(std::move(module));
  codegen::KernelFunction kernel = jit.lookup("conv");
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> weights(spec.outChannels * spec.inPerGroup() * spec.kernelH * spec.kernelW);
  for (float& w : weights) w = uniform(rng);
  auto in = runtime::BlockedShape::of({1, spec.inChannels, spec.inHeight, spec.inWidth}, width);
  auto out = runtime::BlockedShape::of({1, spec.outChannels, spec.outHeight, spec.outWidth}, width);
  // Aligned as the engine's arena and constants are (runtime/aligned_floats.h).
  runtime::AlignedFloats input(in.elements(), 0.5f), output(out.elements());
  std::vector<float> packedWeights = codegen::packConvWeights(spec, width, weights);
  std::vector<float> packedBias = codegen::packConvBias(spec, width, {});
  runtime::AlignedFloats packed(packedWeights.begin(), packedWeights.end()), bias(packedBias.begin(), packedBias.end());
  std::vector<float*> buffers = codegen::convBuffers(input.data(), packed.data(), bias.data(), output.data());
  int64_t units = codegen::convWorkUnits(*result, width);
  f.pool.followCaller();  // the pool outlives this benchmark; its caller may have moved
  for (auto _ : state) f.pool.parallelFor(units, [&](int64_t b, int64_t e) { kernel(buffers.data(), b, e); });
  double flops = 2.0 * double(spec.multiplyAdds());
  state.counters["GFLOPS"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_pct"] =
      benchmark::Counter(flops / 1e9 / f.peakGflops * 100, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(fmt::format("{} tile {}x{} V{} threads {}", result->family, result->tile.outBlocks,
                             result->tile.pixels, width, f.threads));
}

}  // namespace

void registerConvBenchmarks(const std::string& family) {
  for (const Layer& layer : layers::layerTable())
    if (layer.family == family)
      benchmark::RegisterBenchmark(layer.name.c_str(), [layer](benchmark::State& state) { runLayer(state, layer); })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
}

}  // namespace convopt::bench
