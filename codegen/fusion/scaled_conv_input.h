// A per-channel scale of a convolution's input folded into its weights, once
// per inference (the squeeze-excitation gate in front of a projection):
//   Before: x2 = Mul(x, s); y = Conv(x2, W)     (s computed, [1, C, 1, 1])
//   After:  W' = W * s, per input channel (weight_scale_kernel.h); y = Conv(x, W')
// Legal when the Mul is in the default domain with one operand x a static 4-D
// float [1, C, H, W] (batch 1: one W' per image) and the other a computed float
// of shape [1, C, 1, 1] or [C, 1, 1]; the Mul's output is only the Conv's data
// input and not a graph output; the Conv has one group, constant float weights
// (and bias) and static 4-D shapes. Worth it when x (C*H*W floats, which the Mul
// would read and write) outnumbers the weights (C_out*C*KH*KW floats, which the
// scaling writes): early layers, not the 7x7 ones.
#pragma once
#include <functional>
#include <unordered_map>

#include "codegen/fusion/channel_gather_match.h"

namespace convopt::codegen {

struct ScaledConvInput {
  const ir::Node* mul = nullptr;
  const ir::Value* input = nullptr;  // x
  const ir::Value* scale = nullptr;  // s
};

// Per Conv node whose input scale is folded into its weights, of those that
// get a conv kernel (`hasKernel`: a fallback conv reads the Mul's output).
std::unordered_map<const ir::Node*, ScaledConvInput> planScaledConvInputs(
    const ir::Graph& graph, const ConstantLookup& constantOf, const std::function<bool(const ir::Node&)>& hasKernel);

}  // namespace convopt::codegen
