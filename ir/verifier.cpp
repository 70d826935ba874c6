#include "ir/verifier.h"

#include "ir/error.h"

namespace convopt::ir {

void verifyGraph(Graph& graph) {
  for (const Value* v : graph.initializers()) {
    const Tensor& t = *v->initializer();
    int64_t count = checkedElementCount(t.dims(), "initializer '" + v->name() + "'");
    size_t expected = t.dtype() == DType::String ? 0 : static_cast<size_t>(count) * elementSize(t.dtype());
    if (t.dtype() != DType::String && t.byteSize() != expected)
      throwInputError("initializer '{}': data holds {} bytes but its shape needs {}", v->name(), t.byteSize(),
                      expected);
  }
  // Declared shapes (inputs, outputs, value_info) must describe a countable tensor.
  for (const Value* v : graph.values())
    if (v->type.hasStaticShape() && !v->isInitializer())
      checkedElementCount(v->type.staticShape(), "value '" + v->name() + "'");
  for (const Node* n : graph.nodes()) {
    for (const Value* in : n->inputs())
      if (in && !in->producer() && !in->isGraphInput() && !in->isInitializer() && !in->isCapture())
        throwInputError("node {}: input '{}' is not defined by any node, graph input or initializer", n->label(),
                        in->name());
    for (const Value* out : n->outputs())
      if (out && (out->isInitializer() || out->isGraphInput()))
        throwInputError("node {}: output '{}' is also a graph input or initializer", n->label(), out->name());
  }
  for (const Value* out : graph.outputs())
    if (!out->producer() && !out->isGraphInput() && !out->isInitializer() && !out->isCapture())
      throwInputError("graph output '{}' is not defined", out->name());
  for (const Node* n : graph.nodes())
    for (Graph* body : n->subgraphs()) verifyGraph(*body);
  Node* onCycle = nullptr;
  if (!graph.topologicalSort(&onCycle))
    throwInputError("node {}: is part of a cycle (the graph is not a DAG)", onCycle->label());
}

}  // namespace convopt::ir
