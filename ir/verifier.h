// Structural checks every pass must preserve: each value defined once (the IR
// enforces it on creation), every node input defined, no cycles (the graph is
// left topologically sorted), initializer data matching its shape, declared
// shapes whose element count fits 64 bits.
#pragma once
#include "ir/graph.h"

namespace convopt::ir {

// Throws InputError naming the offending node and value.
void verifyGraph(Graph& graph);

}  // namespace convopt::ir
