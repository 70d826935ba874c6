// The per-family Google Benchmarks (bench/<family>_bench.cpp): the layers of
// the table (tests/support/conv_layers.cpp), run as the generated kernel on the
// blocked layout (kernel time only, like onnxruntime's per-node profile),
// reporting GFLOP/s and % of the measured FMA peak (single-thread peak x threads).
//
// Environment: CONVOPT_BENCH_CPU (default host), CONVOPT_BENCH_THREADS (default 1).
#pragma once
#include <string>

namespace convopt::bench {

// Registers one benchmark per table layer of `family`, named as the layer.
void registerConvBenchmarks(const std::string& family);

}  // namespace convopt::bench
