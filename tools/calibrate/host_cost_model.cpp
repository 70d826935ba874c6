#include "tools/calibrate/host_cost_model.h"

#include "codegen/conv/conv_plan.h"
#include "codegen/engine/target.h"

namespace convopt::tools::calibrate {

std::vector<int64_t> hostDepthMultipliers() {
  return codegen::nativeDepthMultipliers(codegen::selectTarget().vectorWidth, 64);
}

std::shared_ptr<const passes::CostModel> hostCostModel(const std::string& runtime, const std::string& tablePath) {
  std::shared_ptr<const passes::CostModel> model = passes::selectCostModel(runtime, tablePath);
  const passes::CostTable& table = model->table();
  if (table.runtime != "convopt" || table.nativeDepthMultipliers.empty()) return model;
  passes::CostTable here = table;
  here.nativeDepthMultipliers = hostDepthMultipliers();
  return std::make_shared<const passes::CostModel>(std::move(here));
}

}  // namespace convopt::tools::calibrate
