// Approximate structure: a dense conv weight projected onto the nearest weight
// an exact rewrite turns into a cheaper form. Approximate rewrites
// (approximate_rewrites.h) replace a weight by its projection; the exact
// passes then rewrite the projected weight as they rewrite any structured one.
//   low rank r:  every input-channel slice S_i = W[:, i, :] (C_out x K) by its
//                rank-r truncated SVD (Eckart-Young: the nearest in Frobenius
//                norm) -> dense-to-separable: depthwise (multiplier r) + 1x1
//   g blocks:    the weights outside g contiguous diagonal blocks set to zero
//                -> dense-to-grouped: a grouped conv
//   spatial rank r: W as M[(i, h), (o, w)] by its rank-r truncated SVD
//                (spatial_factors.h) -> spatial-separation: a kh x 1
//                conv into r channels, then a 1 x kw conv
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "passes/conv_utils.h"

namespace convopt::passes {

struct WeightProjection {
  std::string method;     // "low-rank", "block-diagonal" or "spatial-rank"
  int64_t parameter = 0;  // rank, or number of groups
  std::vector<float> weight;
  double weightError = 0;           // max |W - W'| / max |W|
  std::vector<ConvGeometry> after;  // the convs the exact rewrite makes of it
};

// Every projection of a group-1 conv: ranks 1 .. min(C_out, K) - 1 for a kxk
// kernel, group counts 2, 4, 8, ... dividing both channel counts, spatial
// ranks 1, 2, 4, ... below full (powers of two: vector widths from 16 on).
// `geometry` is the conv's own (geometryOf).
std::vector<WeightProjection> weightProjections(const ConstantConv& conv, const ConvGeometry& geometry,
                                                const PassOptions& options);

}  // namespace convopt::passes
