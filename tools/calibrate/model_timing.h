// Times whole inferences of models on a runtime: convopt's JIT engine in this
// process (wall time of a run), or onnxruntime 1.30 in node
// (scripts/bench/ort_bench.js with the npm package onnxruntime-node, opt level
// 'all'; the profiler's sum of every node's kernel time in a run, layout
// reorders included: node's own per-run costs swing single runs of a small
// model by 10x and would drown a layer's time; at one thread the models' runs
// interleave in rounds). The calibration and the
// cost model's check (bench/cost_model_check.cpp) time through this one piece,
// so what they compare is measured alike.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace convopt::tools::calibrate {

struct TimedModel {
  std::string name;
  const ir::Model* model = nullptr;  // static input shapes, one input
};

struct TimingOptions {
  int threads = 1;
  int runs = 40;
  // onnxruntime: the node script and the folder holding node_modules/onnxruntime-node
  // (default: this source tree's scripts/bench/ort_bench.js and third_party_npm).
  std::string ortScript, nodeModules;
};

// Milliseconds of an inference of each model, by name: the median run on
// convopt, the mean of the middle half of the profiled runs on onnxruntime.
std::map<std::string, double> timeOnConvopt(const std::vector<TimedModel>& models, const TimingOptions& options);
// The same in onnxruntime; InputError when node or onnxruntime-node is missing.
std::map<std::string, double> timeOnOnnxruntime(const std::vector<TimedModel>& models, const TimingOptions& options);
std::map<std::string, double> timeOn(const std::string& runtime, const std::vector<TimedModel>& models,
                                     const TimingOptions& options);

}  // namespace convopt::tools::calibrate
