// Constant folding to a fixpoint with shape inference, before lowering:
// nodes whose inputs are all constants (Constant nodes included) and Shape of
// a statically shaped value are evaluated once by the reference interpreter and
// become initializers; shape inference then runs again, since shapes computed
// by Shape -> Slice -> Concat -> Reshape/Resize chains are now known.
// Graph outputs are never folded away (they keep their producer).
#pragma once
#include "ir/graph.h"

namespace convopt::codegen {

void foldConstantsAndInferShapes(ir::Model& model);

}  // namespace convopt::codegen
