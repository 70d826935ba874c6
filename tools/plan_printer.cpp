#include "tools/plan_printer.h"

#include <fmt/format.h>

#include <iostream>

namespace convopt::tools {

codegen::PlanningObserver planPrinter(bool enabled) {
  if (!enabled) return {};
  return [](std::string_view step, const std::string& decisions) {
    std::cerr << fmt::format("// ----- pre-lowering plan after {} -----\n", step) << decisions;
  };
}

}  // namespace convopt::tools
