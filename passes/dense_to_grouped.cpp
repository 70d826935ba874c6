// dense-to-grouped: a dense Conv whose weight is block-diagonal becomes a
// grouped Conv, and a grouped Conv whose groups are block-diagonal one of more
// groups (discovery: block_structure.h; rewrite: grouping_rewrite.h).
//
//   Before: y = Conv<group=1>(x, W[8,8,3,3])  with W[o,i] = 0 unless o/4 == i/4
//   After:  y = Conv<group=2>(x, W'[8,4,3,3]) with W'[o,l] = W[o, (o/4)*4 + l]
//   Permuted blocks additionally reorder channels: folded into a neighbouring
//   group-1 Conv's weight, or a Gather<axis=1> (channel_permutation.h).
//
// Legality (each failing condition is a rejection reason):
//   - a Conv with constant float weight (and bias), not depthwise;
//   - the exact zeros of W split the channels into more blocks of equal in/out
//     size than the conv's groups, contiguously or after a permutation; their
//     most g < C_in (g == C_in is dense-to-depthwise's case; when that one is
//     refused, the contiguous structure of fewer groups is still taken); of the
//     structure of the most groups and the contiguous one, the cheaper legal one;
//   - permuted: the output is not a graph output;
//   - the cost model's estimate (incl. inserted Gathers) drops by --min-gain
//     (unless --force).
#include "passes/grouping_rewrite.h"

namespace convopt::passes {
namespace {

class DenseToGroupedPass final : public Pass {
 public:
  std::string_view name() const override { return "dense-to-grouped"; }
  void run(ir::Graph& graph, PassContext& context) override {
    runGroupingRewrite(graph, context, GroupingTarget::Grouped, name());
  }
};

}  // namespace

std::unique_ptr<Pass> createDenseToGroupedPass() { return std::make_unique<DenseToGroupedPass>(); }

}  // namespace convopt::passes
