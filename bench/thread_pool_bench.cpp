// Google Benchmark of the thread pool's hand-off: one parallelFor over a few
// empty units, i.e. what every kernel of an inference pays before and after its
// work (a model runs ~100 kernels). Arg: threads.
#include <benchmark/benchmark.h>

#include <atomic>

#include "runtime/thread_pool.h"

namespace {

void parallelForHandOff(benchmark::State& state) {
  convopt::runtime::ThreadPool pool(int(state.range(0)));
  std::atomic<int64_t> sink = 0;
  for (auto _ : state) pool.parallelFor(8, [&](int64_t begin, int64_t end) { sink.fetch_add(end - begin); });
  benchmark::DoNotOptimize(sink.load());
}
BENCHMARK(parallelForHandOff)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
