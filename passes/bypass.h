// Removing a node whose output equals one of its inputs, without renaming
// anything the outside sees. Plain replaceAllUsesWith would rename a graph
// output to the input's name; instead the input's producer is recreated under
// the removed node's output name when that matters.
#pragma once
#include "ir/graph.h"
#include "ir/status.h"

namespace convopt::passes {

// Whether `node` can be bypassed so that `value` takes the place of its
// output(0): nothing reads its other outputs (at an opset whose schemas libonnx
// does not check, an Identity may list two), no body that reads output(0)
// shadows `value`'s name, and output(0), when a graph output, can keep its name.
Status checkBypassable(const ir::Node& node, const ir::Value* value);
// Erases `node` (every output but output(0) must be unused); readers of its
// output(0) read `value` instead, under output(0)'s name when that is a graph output.
void bypassNode(ir::Graph& graph, ir::Node* node, ir::Value* value);

}  // namespace convopt::passes
