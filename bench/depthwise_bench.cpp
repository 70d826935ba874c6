// Google Benchmark of the depthwise conv kernels on the depthwise layers of the layer table
// (tests/support/conv_layers.cpp), the layers the kernel tests check.
#include <benchmark/benchmark.h>

#include "bench/support/conv_bench.h"

int main(int argc, char** argv) {
  convopt::bench::registerConvBenchmarks("depthwise");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
