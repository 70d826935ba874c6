// Carrying a channel permutation out of a rewritten Conv, for the permuted
// block-diagonal case (see block_structure.h). With the grouped conv reading
// input channels in `inOrder` and producing output channels in `outOrder`:
//   input side:  X' = X[:, inOrder]
//     fold: X's producer is a group-1 Conv with constant weight read only here:
//           reorder its output channels (weight rows, bias);
//     else: insert X' = Gather<axis=1>(X, inOrder).
//   output side: Y = Y'[:, inverse(outOrder)]
//     fold: every reader of Y is a group-1 Conv's data input with constant
//           weight: reorder their input channels (weight dim 1);
//     else: insert Y = Gather<axis=1>(Y', inverse(outOrder)).
// Y must not be a graph output (the rewrite could not keep its name).
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
                                          const std::vector<int64_t>& outOrder, const ConvGeometry& geometry);
// Applies the plan around the (not yet rewritten) conv; `passName` goes into
// the doc_string of neighbours whose weights were reordered.
void applyPermutation(ir::Graph& graph, const ConstantConv& conv, const std::vector<int64_t>& inOrder,
                      const std::vector<int64_t>& outOrder, const PermutationPlan& plan, std::string_view passName);

}  // namespace convopt::passes
