// Google Benchmark of the grouped conv kernels on the grouped layers of bench/layers.json.
#include <benchmark/benchmark.h>

#include "bench/support/conv_bench.h"

int main(int argc, char** argv) {
  convopt::bench::registerConvBenchmarks("grouped");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
