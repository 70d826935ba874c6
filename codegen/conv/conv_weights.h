// Weight and bias packing for the conv kernels (done once, at compile time).
// Weights: [ceil(OC/V)][KH][KW][Cin_g][V], lane l of block ob holding
// W[ob*V+l][j][kh][kw] (0 for padded lanes); bias: [ceil(OC/V)*V].
#pragma once
#include <span>
#include <vector>

#include "codegen/conv/conv_spec.h"

namespace convopt::codegen {

std::vector<float> packConvWeights(const ConvSpec& spec, int vectorWidth, std::span<const float> weights);
std::vector<float> packConvBias(const ConvSpec& spec, int vectorWidth, std::span<const float> bias);

}  // namespace convopt::codegen
