// The rewrite dense-to-grouped and dense-to-depthwise share: a Conv whose
// weight is block-diagonal in more groups than it has (block_structure.h)
// becomes a Conv of those groups,
// channel permutations carried out by channel_permutation.h, when the cost
// model says it pays. The two passes differ only in which group counts they take.
#pragma once
#include <string_view>

#include "passes/block_structure.h"
#include "passes/channel_permutation.h"
#include "passes/pass.h"

namespace convopt::passes {

enum class GroupingTarget { Grouped, Depthwise };

// Matches, rewrites or rejects (with a reason) every Conv of the graph.
void runGroupingRewrite(ir::Graph& graph, PassContext& context, GroupingTarget target, std::string_view passName);

}  // namespace convopt::passes
