// What code that generates models does alike (the bundled demo model,
// `convopt calibrate`'s probes, the cost-model check's sweeps): float
// initializers and 2-D convolutions padded to keep their size.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace convopt::ir {

// A float32 initializer named `name` (unique in `graph`: the caller's to ensure).
Value* addFloatInitializer(Graph& graph, const std::string& name, std::vector<int64_t> dims,
                           const std::vector<float>& values);

// A Conv of `input` with a square k x k kernel (from the weight's dims [C_out,
// C_in/group, k, k]), zero padding k/2 on every side, `group` and `stride`;
// `bias` may be null. Its output value is named `output`.
Node* addSquareConv(Graph& graph, Value* input, Value* weight, Value* bias, const std::string& output,
                    int64_t group = 1, int64_t stride = 1);

}  // namespace convopt::ir
