// 1-D convolutions and pools run as 2-D ones of unit height, so the 2-D
// kernels (and their fusions) serve audio front ends and 1-D separable blocks.
//
//   Before: y = Conv(x [N,C,W], w [M,C/g,K]) <kernel_shape [K], strides [s], pads [b,e], dilations [d]>
//   After:  x2 = Reshape(x, [N,C,1,W]); y2 = Conv(x2, w2 [M,C/g,1,K]) <[1,K], [1,s], [0,b,0,e], [1,d]>;
//           y = Reshape(y2, [N,M,W'])
//
// Also ConvTranspose (weight [C,M/g,K] -> [C,M/g,1,K], output_padding [p] ->
// [0,p], output_shape [W] -> [1,W]), MaxPool, AveragePool (single output) and
// GlobalAveragePool / GlobalMaxPool.
// Legality: default domain; data and output of static rank-3 shape; for Conv and
// ConvTranspose a rank-3 initializer weight (the engines compile initializers in, overridable ones
// included). Both Reshapes are views (no copy) in the engines.
#pragma once
#include "ir/graph.h"

namespace convopt::codegen {

// Rewrites every such node of the graph (not its subgraphs); returns how many.
int liftSpatial1dTo2d(ir::Graph& graph);

}  // namespace convopt::codegen
