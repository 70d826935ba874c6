#include "passes/grouping_rewrite.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "passes/candidate_loop.h"

namespace convopt::passes {
namespace {

struct Plan {
  ConstantConv conv;
  BlockStructure blocks;
  PermutationPlan permutation;
  ConvGeometry before;
  ConvGeometry after;
  double afterSeconds = 0;
};

Status noStructure(const ConstantConv& conv, int64_t blocks) {
  if (conv.group == 1)
    return Status::refuse(blocks > 1
                              ? fmt::format("the weight's zeros separate {} blocks, found in no equal groups", blocks)
                              : "weight has no block-diagonal zero structure (even up to channel permutation)");
  return Status::refuse(fmt::format(
      "weight has no block structure finer than its {} groups (even up to channel permutation)", conv.group));
}

// The conv rewritten to `blocks`, when legal and (unless --force) paying.
Expected<Plan> planStructure(const ConstantConv& conv, const BlockStructure& blocks, const PassOptions& options) {
  Plan plan{conv, blocks, {}, geometryOf(conv, options), {}};
  plan.after = withStructure(plan.before, conv.inChannels(), conv.outChannels, blocks.groups, conv.kernelElements,
                             conv.bias != nullptr);
  Expected<PermutationPlan> permutation =
      planPermutation(conv, blocks.inOrder, blocks.outOrder, plan.before, options.cost());
  if (!permutation) return permutation.status();
  plan.permutation = *permutation;
  double beforeSeconds = options.cost().convSeconds(plan.before);
  plan.afterSeconds = options.cost().convSeconds(plan.after) + plan.permutation.gatherSeconds;
  if (!options.force && !rewritePays(beforeSeconds, plan.afterSeconds, options.minGain))
    return Status::refuse(fmt::format("cost model: {:.3g} us -> {:.3g} us does not gain {:.0f}%", beforeSeconds * 1e6,
                                      plan.afterSeconds * 1e6, options.minGain * 100));
  return plan;
}

// dense-to-depthwise takes a channel-diagonal structure, dense-to-grouped the
// others; of those, the cheapest that is legal and pays, else why each is refused.
Expected<Plan> planGrouping(ir::Node& node, GroupingTarget target, const PassOptions& options) {
  Expected<ConstantConv> conv = matchConstantConv(node);
  if (!conv) return conv.status();
  int64_t cin = conv->inChannels();
  if (conv->group == cin) return Status::refuse("already depthwise (one input channel per group)");
  BlockSearch search = findBlockStructures(*conv);
  if (search.candidates.empty()) return noStructure(*conv, search.blocks);
  std::vector<BlockStructure> taken;
  for (const BlockStructure& blocks : search.candidates)
    if ((blocks.groups == cin) == (target == GroupingTarget::Depthwise)) taken.push_back(blocks);
  if (taken.empty() && target == GroupingTarget::Grouped)
    return Status::refuse("weight is channel-diagonal: left to dense-to-depthwise");
  if (taken.empty())
    return Status::refuse(
        fmt::format("weight is block-diagonal with {} groups, not channel-diagonal ({} input channels)",
                    search.candidates.front().groups, cin));
  std::optional<Plan> best;
  std::vector<std::string> refusals;
  for (const BlockStructure& blocks : taken) {
    Expected<Plan> plan = planStructure(*conv, blocks, options);
    if (!plan)
      refusals.push_back(taken.size() == 1 ? plan.reason()
                                           : fmt::format("{} {} groups: {}", blocks.groups,
                                                         blocks.contiguous ? "contiguous" : "permuted", plan.reason()));
    else if (!best || plan->afterSeconds < best->afterSeconds)
      best = std::move(*plan);
  }
  if (best) return std::move(*best);
  return Status::refuse(fmt::format("{}", fmt::join(refusals, "; ")));
}

std::string describe(const Plan& plan) {
  std::string layout = plan.blocks.contiguous ? "contiguous" : "permuted";
  if (!plan.blocks.contiguous)
    layout += fmt::format(" (input order {}, output order {})",
                          !plan.permutation.permuteInput ? "kept"
                          : plan.permutation.foldInput   ? "folded into producer"
                                                         : "by Gather",
                          !plan.permutation.permuteOutput ? "kept"
                          : plan.permutation.foldOutput   ? "folded into readers"
                                                          : "by Gather");
  std::string from = plan.conv.group > 1 ? fmt::format(" (from {} groups)", plan.conv.group) : "";
  return fmt::format("block-diagonal weight, {} {} blocks of {} in x {} out channels{}", plan.blocks.groups, layout,
                     plan.conv.inChannels() / plan.blocks.groups, plan.conv.outChannels / plan.blocks.groups, from);
}

void applyGrouping(ir::Graph& graph, const Plan& plan, PassContext& context, std::string_view passName) {
  std::vector<float> weight = groupedWeight(plan.conv, plan.blocks);
  double error = groupedReconstructionError(plan.conv, plan.blocks, weight);
  ir::Node& node = *plan.conv.node;
  std::string base = node.name.empty() ? node.output(0)->name() : node.name;
  std::vector<int64_t> dims = plan.conv.weight->dims();
  dims[1] = plan.conv.inChannels() / plan.blocks.groups;
  applyPermutation(graph, plan.conv, plan.blocks.inOrder, plan.blocks.outOrder, plan.permutation, passName);
  if (plan.conv.bias && plan.permutation.permuteOutput) {
    std::span<const float> b = plan.conv.bias->data<float>();
    std::vector<float> bias;
    for (int64_t o : plan.blocks.outOrder) bias.push_back(b[o]);
    node.setInput(2, addFloatInitializer(graph, base + "_B_grouped", {plan.conv.outChannels}, bias));
  }
  node.setInput(1, addFloatInitializer(graph, base + "_W_grouped", dims, weight));
  node.setAttribute(ir::Attribute::makeInt("group", plan.blocks.groups));
  const CostModel& cost = context.options.cost();
  RewriteRecord record{node.label(),
                       describe(plan),
                       figuresOf(cost, {plan.before}),
                       figuresOf(cost, {plan.after}, plan.permutation.gatherSeconds),
                       error,
                       context.scope};
  noteRewrite(node, passName, structuralNote(record, context.options));
  context.recordRewrite(std::move(record));
}

}  // namespace

void runGroupingRewrite(ir::Graph& graph, PassContext& context, GroupingTarget target, std::string_view passName) {
  rewriteCandidates(
      graph, context, isDefaultOp("Conv"), [&](ir::Node& node) { return planGrouping(node, target, context.options); },
      [&](ir::Node&, const Plan& plan) { applyGrouping(graph, plan, context, passName); });
}

}  // namespace convopt::passes
