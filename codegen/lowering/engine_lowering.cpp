#include "codegen/lowering/engine_lowering.h"

#include <fmt/format.h>

#include <unordered_map>

#include "codegen/lowering/op_lowering.h"
#include "runtime/reference/interpreter.h"

namespace convopt::codegen {

namespace {

using Handler = Status (*)(LoweringContext&, const ir::Node&);

const std::unordered_map<std::string, Handler>& handlers() {
  static const std::unordered_map<std::string, Handler> table = {
#define LOWERED_OP(op, handler) {#op, &handler},
#include "codegen/lowering/lowered_ops.def"
  };
  return table;
}

}  // namespace

void lowerGraph(const ir::Graph& graph, Program& program, KernelModule& module, const Target& target, int64_t opset,
                const PlanningObserver& afterStep) {
  for (const ir::Node* node : graph.nodes()) {
    if (!node->domain.empty() || node->opType != "Constant") continue;
    std::vector<ir::Tensor> value = runtime::runNodeReference(*node, {}, opset);
    program.foldedConstants.push_back(std::move(value.at(0)));
    program.storage[node->output(0)].constant = &program.foldedConstants.back();
  }
  PlanningInputs inputs{[&program](const ir::Value* value) { return program.constantOf(value); }, target, opset};
  LoweringPlan plan = planLowering(graph, inputs, afterStep);
  program.preLowering = plan.statistics;
  LoweringContext context(program, module, target, opset, plan);
  for (const ir::Value* input : graph.inputs()) {
    if (input->isInitializer()) continue;
    Storage& storage = program.storage[input];
    if (input->type.hasStaticShape())
      storage.plain = context.newSlot(byteSize(input)), program.slots[storage.plain].first = -1;
    else
      storage.dynamic = true;
  }
  for (const ir::Node* node : graph.nodes()) {
    if (plan.fusion.isComputedElsewhere(*node) || (node->domain.empty() && node->opType == "Constant")) continue;
    if (node->domain.empty() && (node->opType == "Identity" || node->opType == "Dropout") &&
        node->outputs().size() == 1 && program.storage.count(node->input(0))) {
      program.storage[node->output(0)] = program.storage[node->input(0)];
      program.explanation.push_back(fmt::format("{}: {} -> alias of its input", node->label(), node->opType));
      continue;
    }
    auto handler = node->domain.empty() ? handlers().find(node->opType) : handlers().end();
    Status lowered = handler == handlers().end() ? Status::refuse("no generator for " + node->opType)
                                                 : handler->second(context, *node);
    if (!lowered) context.fallback(*node, lowered.reason());
  }
  for (const ir::Value* output : graph.outputs()) {
    if (program.constantOf(output) || program.storage[output].dynamic) continue;  // an initializer output too
    int slot = context.plainSlot(output);
    program.slots[slot].last = INT_MAX;
  }
}

}  // namespace convopt::codegen
