// Folding a per-output-channel affine map into a Conv:
//   y[n, o, ...] = s[o] * Conv(x, W, b)[n, o, ...] + t[o]
//                = Conv(x, W', b')  with  W'[o] = s[o] * W[o],  b'[o] = s[o] * b[o] + t[o]
// Shared by fold-batchnorm and fold-channel-affine.
#pragma once
#include <vector>

#include "passes/conv_utils.h"

namespace convopt::passes {

// Gives the conv new weight (and bias) initializers; the old ones stay for
// other readers (dce removes them when unused).
void foldAffineIntoConv(ir::Graph& graph, const ConstantConv& conv, const std::vector<float>& scale,
                        const std::vector<float>& shift);

}  // namespace convopt::passes
