// The loop of every pass that matches candidates one by one (all but dce):
//   for each node the pass started with, in order, that `isCandidate` accepts:
//     match(node)   mutates nothing; returns Expected<Plan>, or Status when
//                   nothing passes from the match to the rewrite;
//     refused  ->   context.reject(node, reason): what `--explain` prints;
//     else     ->   context.matched(); apply(node[, plan]); context.rewritten().
// `apply` may erase the node. Nodes a rewrite adds are not visited.
#pragma once
#include <string_view>
#include <type_traits>

#include "ir/status.h"
#include "passes/pass.h"

namespace convopt::passes {

template <typename CandidateFn, typename MatchFn, typename ApplyFn>
void rewriteCandidates(ir::Graph& graph, PassContext& context, CandidateFn isCandidate, MatchFn match, ApplyFn apply) {
  for (ir::Node* node : graph.nodes()) {
    if (!isCandidate(*node)) continue;
    auto plan = match(*node);
    if (!plan) {
      context.reject(*node, plan.reason());
      continue;
    }
    context.matched();
    if constexpr (std::is_same_v<decltype(plan), Status>)
      apply(*node);
    else
      apply(*node, *plan);
    context.rewritten();
  }
}

// The candidate test of passes that look at one default-domain op type.
inline auto isDefaultOp(std::string_view opType) {
  return [opType](const ir::Node& node) { return node.opType == opType && node.domain.empty(); };
}

}  // namespace convopt::passes
