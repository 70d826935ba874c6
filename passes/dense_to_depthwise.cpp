// dense-to-depthwise: a dense or grouped Conv whose weight is channel-diagonal
// (a depthwise conv stored densely, depth multiplier m = C_out / C_in) becomes
// a depthwise Conv (discovery: block_structure.h; rewrite: grouping_rewrite.h).
//
//   Before: y = Conv<group=1>(x, W[2C,C,3,3])  with W[o,i] = 0 unless i == o/2
//   After:  y = Conv<group=C>(x, W'[2C,1,3,3]) with W'[o,0] = W[o, o/2]
//   Permuted diagonals additionally reorder channels (channel_permutation.h).
//
// Legality (each failing condition is a rejection reason):
//   - a Conv with constant float weight (and bias), not yet depthwise;
//   - the exact zeros of W split the channels into g = C_in blocks (one input
//     channel and m output channels each), contiguously or after a permutation;
//   - permuted: the output is not a graph output;
//   - the cost model's estimate drops by --min-gain (unless --force).
#include "passes/grouping_rewrite.h"

namespace convopt::passes {
namespace {

class DenseToDepthwisePass final : public Pass {
 public:
  std::string_view name() const override { return "dense-to-depthwise"; }
  void run(ir::Graph& graph, PassContext& context) override {
    runGroupingRewrite(graph, context, GroupingTarget::Depthwise, name());
  }
};

}  // namespace

std::unique_ptr<Pass> createDenseToDepthwisePass() { return std::make_unique<DenseToDepthwisePass>(); }

}  // namespace convopt::passes
