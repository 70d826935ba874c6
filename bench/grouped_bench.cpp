// Google Benchmark of the grouped conv kernels on the grouped layers of the layer table
// (tests/support/conv_layers.cpp), the layers the kernel tests check.
#include <benchmark/benchmark.h>

#include "bench/support/conv_bench.h"

int main(int argc, char** argv) {
  convopt::bench::registerConvBenchmarks("grouped");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
