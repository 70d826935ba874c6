// dce: dead-node and unused-initializer elimination.
//
//   Before: y = Relu(x); z = Neg(x)   (graph output z; y read by nobody)
//   After:  z = Neg(x)
//
// Legality: a node is dead when none of its outputs is read by a node, a
// subgraph or the graph outputs (ONNX ops have no side effects). An initializer
// is dead when nothing reads it, it is not a graph output, and it is a constant
// (an overridable input is part of the model's interface; an IR < 4 initializer
// listed as an input is a constant and leaves the inputs with it).
// Bodies are cleaned first: a capture nothing reads any more is dropped, with
// the implicit input it held, so the outer value can die too.
#include "passes/pass.h"

namespace convopt::passes {
namespace {

bool isDead(const ir::Node& node) {
  for (const ir::Value* out : node.outputs())
    if (out && (out->hasUses() || out->isGraphOutput())) return false;
  return true;
}

class DeadCodeEliminationPass final : public Pass {
 public:
  std::string_view name() const override { return "dce"; }

  void run(ir::Graph& graph, PassContext& context) override {
    for (ir::Node* node : graph.nodes()) {
      for (ir::Graph* body : node->subgraphs()) run(*body, context);
      graph.pruneCaptures(node);
    }
    // Reverse program order: erasing a user can make its producers dead too.
    bool changed = true;
    while (changed) {
      changed = false;
      std::vector<ir::Node*> nodes = graph.nodes();
      for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
        if (!isDead(**it)) continue;
        context.matched();
        graph.eraseNode(*it);
        context.rewritten();
        changed = true;
      }
    }
    std::vector<ir::Value*> initializers = graph.initializers();
    for (ir::Value* v : initializers) {
      if (v->hasUses() || v->isGraphOutput() || !v->isConstant()) continue;
      context.matched();
      if (v->isGraphInput()) graph.removeInput(v);
      graph.eraseValue(v);
      context.rewritten();
    }
  }
};

}  // namespace

std::unique_ptr<Pass> createDeadCodeEliminationPass() { return std::make_unique<DeadCodeEliminationPass>(); }

}  // namespace convopt::passes
