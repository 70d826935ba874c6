#include "tests/support/ir_shared_models.h"

#include <algorithm>

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ir/onnx_io.h"
#include "ir/shape_inference.h"

namespace convopt::testing {

std::vector<std::string> sharedModelNames() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(CONVOPT_SHARED_MODELS))
    if (std::filesystem::exists(entry.path() / "model.onnx")) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<SharedModel> sharedModels() {
  std::filesystem::path root = CONVOPT_SHARED_MODELS;
  std::ifstream in(root / "manifest.json");
  nlohmann::json manifest = nlohmann::json::parse(in);
  std::vector<SharedModel> models;
  for (const auto& entry : manifest) {
    SharedModel m;
    m.name = entry.at("name").get<std::string>();
    m.dir = root / m.name;
    m.input = entry.at("input").get<std::vector<int64_t>>();
    m.convsBefore = entry.at("census").at("before").get<std::map<std::string, int64_t>>();
    m.convGmac = entry.at("census").at("conv_gmac").get<double>();
    models.push_back(std::move(m));
  }
  return models;
}

ir::Model loadSharedModelWithInputShape(const SharedModel& shared) {
  ir::Model model = ir::loadModel(shared.modelPath());
  const ir::Value* input = nullptr;
  for (const ir::Value* v : model.graph->inputs())
    if (!v->isInitializer()) input = v;
  ir::applyInputShape(model, fmt::format("{}={}", input->name(), fmt::join(shared.input, "x")));
  return model;
}

}  // namespace convopt::testing
