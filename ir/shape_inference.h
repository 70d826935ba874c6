// Shape and type inference: ONNX's own (libonnx) where it applies, then the
// project's rules for the ops passes and codegen rely on, so that models with
// opsets newer than libonnx knows still get shapes.
#pragma once
#include "ir/graph.h"

namespace convopt::ir {

// Fills Value::type for every value it can. Throws InputError naming the node
// when shapes contradict the op (e.g. a Conv weight that does not fit its input
// channels and group).
void inferShapes(Model& model);

}  // namespace convopt::ir
