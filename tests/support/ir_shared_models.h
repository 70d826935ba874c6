// The shared test models (../shared/models) as listed in their manifest.json.
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace convopt::testing {

struct SharedModel {
  std::string name;
  std::filesystem::path dir;   // model.onnx, test_data_set_0/
  std::vector<int64_t> input;  // the shape its golden data uses
  // "convs before" census: dense1x1 / densekxk / grouped / depthwise counts.
  std::map<std::string, int64_t> convsBefore;
  double convGmac = 0;  // the manifest's conv GMAC before rewriting
  std::filesystem::path modelPath() const { return dir / "model.onnx"; }
};

std::vector<SharedModel> sharedModels();
// Every folder of ../shared/models holding a model.onnx, by name: what the
// per-model test suites are instantiated over.
std::vector<std::string> sharedModelNames();
// Loads the model with its single input fixed to the manifest's shape.
ir::Model loadSharedModelWithInputShape(const SharedModel& model);

}  // namespace convopt::testing
