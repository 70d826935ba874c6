// Constant folding to a fixpoint with shape inference, before lowering: the
// fold-constants pass (passes/fold_constants.cpp, its growth guard raised to
// what an engine holds in memory anyway) and shape inference, alternated until
// nothing folds, so constant weights stay constant and shapes computed by
// Shape -> Slice -> Concat -> Reshape/Resize chains become static. Folded
// values keep their names.
#pragma once
#include "ir/graph.h"

namespace convopt::codegen {

void foldConstantsAndInferShapes(ir::Model& model);

}  // namespace convopt::codegen
