#include "codegen/engine/lowered_model.h"

#include <fmt/ranges.h>

#include "codegen/engine/constant_folding.h"
#include "codegen/lowering/engine_lowering.h"
#include "codegen/lowering/spatial_1d_as_2d.h"
#include "ir/error.h"
#include "ir/memory_limit.h"
#include "ir/printer.h"
#include "passes/pass_manager.h"
#include "passes/pass_registry.h"
#include "runtime/arena_plan.h"

namespace convopt::codegen {
namespace {

// Slot offsets from the lifetimes the lowering recorded; views sit in their parent.
size_t planSlots(std::vector<Slot>& slots) {
  std::vector<runtime::BufferLifetime> lifetimes;
  for (const Slot& slot : slots) lifetimes.push_back({slot.parent < 0 ? slot.bytes : 0, slot.first, slot.last});
  runtime::ArenaPlan plan = runtime::planArena(lifetimes);
  for (size_t i = 0; i < slots.size(); ++i) {
    Slot& slot = slots[i];
    slot.offset = slot.parent < 0 ? plan.offsets[i] : slots[slot.parent].offset + slot.parentOffset;
  }
  return plan.bytes;
}

// A zero Pad before a Conv becomes the Conv's own padding (passes/fold_pad.cpp,
// exact): exporters write it as a node of its own (tf2onnx's SAME padding,
// causal 1-D convs), which would otherwise copy the whole map. Its statistics
// open the pre-lowering steps' in --explain.
passes::PassStatistics foldPads(ir::Model& model) {
  passes::PassStatistics stats;
  stats.pass = "fold-pad";
  passes::PassOptions options;
  passes::PassContext context(model, options, stats);
  passes::createPass("fold-pad")->run(*model.graph, context);
  return stats;
}

}  // namespace

LoweredModel lowerModel(const ir::Model& source, const std::map<std::string, std::vector<int64_t>>& shapes,
                        const Target& target, const PlanningObserver& afterPlanningStep,
                        const KernelDestination& destination) {
  LoweredModel lowered;
  lowered.model = source.clone();
  for (const auto& [name, dims] : shapes) {
    ir::Value* input = lowered.model.graph->findValue(name);
    if (!input || !input->isGraphInput()) throwInputError("input '{}' is not a graph input", name);
    if (!input->type.admits(dims))
      throwInputError("input '{}' is [{}], the graph expects {}", name, fmt::join(dims, ","),
                      ir::typeText(input->type));
    input->type = ir::ValueType::tensor(input->type.dtype, dims);
  }
  // Folding allocates only what its growth guard allows (judged by inferred sizes before
  // evaluating); then every size is known, and one over the memory limit is refused by name.
  foldConstantsAndInferShapes(lowered.model);
  passes::PassStatistics foldedPads = foldPads(lowered.model);
  liftSpatial1dTo2d(*lowered.model.graph);
  ir::checkDeclaredSizes(*lowered.model.graph);
  lowered.program.opset = lowered.model.defaultOpset();
  lowered.program.kernelPrefix = destination.prefix;
  lowerGraph(*lowered.model.graph, lowered.program, destination.module ? *destination.module : lowered.module, target,
             lowered.program.opset, afterPlanningStep);
  lowered.program.preLowering.insert(lowered.program.preLowering.begin(), std::move(foldedPads));
  lowered.arenaBytes = planSlots(lowered.program.slots);
  return lowered;
}

std::string explainLowering(const Program& program) {
  std::string text = "pre-lowering pipeline:\n" + passes::formatStatistics(program.preLowering, true) + "\n";
  for (const std::string& line : program.explanation) text += line + "\n";
  return text;
}

}  // namespace convopt::codegen
