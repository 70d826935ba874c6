#include "codegen/lowering/engine_lowering.h"

#include <fmt/format.h>

#include <unordered_map>

#include "codegen/lowering/op_lowering.h"
#include "runtime/reference/interpreter.h"

namespace convopt::codegen {

bool isStaticFloat(const ir::Value* value) {
  return value && value->type.dtype == ir::DType::Float && value->type.hasStaticShape();
}

bool isStatic4dFloat(const ir::Value* value) { return isStaticFloat(value) && value->type.shape->size() == 4; }

bool broadcastsTo(const std::vector<int64_t>& dims, const std::vector<int64_t>& target) {
  if (dims.size() > target.size()) return false;
  for (size_t i = 1; i <= dims.size(); ++i)
    if (dims[dims.size() - i] != 1 && dims[dims.size() - i] != target[target.size() - i]) return false;
  return true;
}

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

void lowerGraph(const ir::Graph& graph, Program& program, KernelModule& module, const Target& target, int64_t opset) {
  LoweringContext context(program, module, target, opset);
  for (const ir::Value* input : graph.inputs()) {
    if (input->isInitializer()) continue;
    Storage& storage = program.storage[input];
    if (input->type.hasStaticShape())
      storage.plain = context.newSlot(byteSize(input)), program.slots[storage.plain].first = -1;
    else
      storage.dynamic = true;
  }
  context.planGraph(graph);
  for (const ir::Node* node : graph.nodes()) {
    if (context.isFused(*node)) continue;
    if (node->domain.empty() && node->opType == "Constant") {
      std::vector<ir::Tensor> value = runtime::runNodeReference(*node, {}, opset);
      program.foldedConstants.push_back(std::move(value.at(0)));
      program.storage[node->output(0)].constant = &program.foldedConstants.back();
      continue;
    }
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
    const Storage& storage = program.storage[output];
    if (storage.constant || storage.dynamic) continue;
    int slot = context.plainSlot(output);
    program.slots[slot].last = INT_MAX;
  }
}

}  // namespace convopt::codegen
