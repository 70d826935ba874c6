#include "tools/engine_inputs.h"

#include <fmt/format.h>

#include <iostream>

#include "ir/error.h"
#include "ir/shape_inference.h"

namespace convopt::tools {

std::map<std::string, std::vector<int64_t>> engineInputShapes(ir::Model& model, const std::vector<std::string>& specs) {
  for (const std::string& spec : specs) ir::applyInputShape(model, spec);
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const ir::Value* input : model.graph->inputs()) {
    if (input->isInitializer()) continue;
    if (!input->type.hasStaticShape())
      throwInputError("input '{}' has dynamic dims: give them with --input-shape {}=D0xD1x...", input->name(),
                      input->name());
    shapes[input->name()] = input->type.staticShape();
  }
  return shapes;
}

codegen::PlanningObserver planPrinter(bool enabled) {
  if (!enabled) return {};
  return [](std::string_view step, const std::string& decisions) {
    std::cerr << fmt::format("// ----- pre-lowering plan after {} -----\n", step) << decisions;
  };
}

}  // namespace convopt::tools
