// Google Benchmark of the dense conv kernels on the dense layers of bench/layers.json.
#include <benchmark/benchmark.h>

#include "bench/support/conv_bench.h"

int main(int argc, char** argv) {
  convopt::bench::registerConvBenchmarks("dense");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
