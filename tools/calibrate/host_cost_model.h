// The cost model `optimize --for RUNTIME [--cost-table FILE]` uses on this
// machine (the CLI and the Python package): passes::selectCostModel's, and for
// convopt the depth multipliers its depthwise kernels take at this host's
// vector width, which a table measured on another CPU does not know.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "passes/cost_model.h"

namespace convopt::tools::calibrate {

// The depth multipliers 1..64 convopt has depthwise kernels for on this host.
std::vector<int64_t> hostDepthMultipliers();

std::shared_ptr<const passes::CostModel> hostCostModel(const std::string& runtime, const std::string& tablePath);

}  // namespace convopt::tools::calibrate
