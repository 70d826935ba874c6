// Google Benchmark of the pointwise conv kernels on the pointwise layers of the layer table
// (tests/support/conv_layers.cpp), the layers the kernel tests check.
#include <benchmark/benchmark.h>

#include "bench/support/conv_bench.h"

int main(int argc, char** argv) {
  convopt::bench::registerConvBenchmarks("pointwise");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
