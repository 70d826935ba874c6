// Shared by the per-family Google Benchmarks (bench/<family>_bench.cpp) and by
// write_layer_models: the real-model layer shapes of bench/layers.json, run as
// the generated kernel on the blocked layout (kernel time only, like
// onnxruntime's per-node profile), reporting GFLOP/s and % of the measured
// FMA peak (single-thread peak x threads).
//
// Environment: CONVOPT_BENCH_CPU (default host), CONVOPT_BENCH_THREADS (default 1).
#pragma once
#include <string>
#include <vector>

#include "codegen/conv/conv_spec.h"

namespace convopt::bench {

struct Layer {
  std::string name, family;
  int64_t in, out, size, kernel, stride, group;
};

std::vector<Layer> loadLayers();  // bench/layers.json
codegen::ConvSpec specOf(const Layer& layer);  // "same" padding, batch 1

// Registers one benchmark per layer of `family`.
void registerConvBenchmarks(const std::string& family);

}  // namespace convopt::bench
