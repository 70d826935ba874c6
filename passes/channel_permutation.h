// Carrying a channel permutation out of a rewritten Conv, for the permuted
// block-diagonal case (see block_structure.h). With the grouped conv reading
// input channels in `inOrder` and producing output channels in `outOrder`:
//   input side:  X' = X[:, inOrder]
//     fold: X comes from a group-1 Conv with constant weight through ops that
//           act on each channel alone (activations, pools, BatchNormalization,
//           depthwise Convs, Add / Sub / Mul / Div / PRelu by per-channel
//           constants), each value on the way read only there: reorder that
//           Conv's output channels (weight rows, bias) and the per-channel
//           constants in between;
//     else: insert X' = Gather<axis=1>(X, inOrder).
//   output side: Y = Y'[:, inverse(outOrder)]
//     fold: every path from Y through such per-channel ops ends in a group-1
//           Conv's data input with constant weight (reorder its input
//           channels, weight dim 1) or in a classifier head, Flatten<axis=1>
//           of [N, C, 1, ...] into Gemms with a constant B (reorder B's
//           features); the per-channel constants on the way are reordered too;
//     else: insert Y = Gather<axis=1>(Y', inverse(outOrder)).
// Y, and every value a fold passes through, must not be a graph output.
#pragma once
#include <vector>

#include "passes/conv_utils.h"

namespace convopt::passes {

struct PermutationPlan {
  bool permuteInput = false;
  bool foldInput = false;  // else a Gather
  bool permuteOutput = false;
  bool foldOutput = false;
  double gatherSeconds = 0;  // cost model estimate of the inserted Gathers
};

Expected<PermutationPlan> planPermutation(const ConstantConv& conv, const std::vector<int64_t>& inOrder,
                                          const std::vector<int64_t>& outOrder, const ConvGeometry& geometry,
                                          const CostModel& cost);
// Applies the plan around the (not yet rewritten) conv; `passName` goes into
// the doc_string of neighbours whose weights were reordered.
void applyPermutation(ir::Graph& graph, const ConstantConv& conv, const std::vector<int64_t>& inOrder,
                      const std::vector<int64_t>& outOrder, const PermutationPlan& plan, std::string_view passName);

}  // namespace convopt::passes
