#include "passes/grouping_rewrite.h"

#include <fmt/format.h>

#include "passes/candidate_loop.h"

namespace convopt::passes {
namespace {

struct Plan {
  ConstantConv conv;
  BlockStructure blocks;
  PermutationPlan permutation;
  ConvGeometry before;
  ConvGeometry after;
};

Expected<Plan> planGrouping(ir::Node& node, GroupingTarget target, const PassOptions& options) {
  Expected<ConstantConv> conv = matchConstantConv(node);
  if (!conv) return conv.status();
  if (conv->group != 1) return Status::refuse("already grouped (group > 1)");
  Plan plan;
  plan.conv = *conv;
  plan.blocks = findBlockStructure(plan.conv);
  int64_t g = plan.blocks.groups, cin = plan.conv.inChannels();
  if (g == 1 && plan.blocks.blocks > 1)
    return Status::refuse(
        fmt::format("the weight's zeros separate {} blocks, found in no equal groups", plan.blocks.blocks));
  if (g == 1) return Status::refuse("weight has no block-diagonal zero structure (even up to channel permutation)");
  if (target == GroupingTarget::Depthwise && g != cin)
    return Status::refuse(
        fmt::format("weight is block-diagonal with {} groups, not channel-diagonal ({} input channels)", g, cin));
  if (target == GroupingTarget::Grouped && g == cin)
    return Status::refuse("weight is channel-diagonal: left to dense-to-depthwise");
  plan.before = geometryOf(plan.conv, options);
  plan.after =
      withStructure(plan.before, cin, plan.conv.outChannels, g, plan.conv.kernelElements, plan.conv.bias != nullptr);
  Expected<PermutationPlan> permutation =
      planPermutation(plan.conv, plan.blocks.inOrder, plan.blocks.outOrder, plan.before, options.cost());
  if (!permutation) return permutation.status();
  plan.permutation = *permutation;
  double beforeSeconds = options.cost().convSeconds(plan.before);
  double afterSeconds = options.cost().convSeconds(plan.after) + plan.permutation.gatherSeconds;
  if (!options.force && !rewritePays(beforeSeconds, afterSeconds, options.minGain))
    return Status::refuse(fmt::format("cost model: {:.3g} us -> {:.3g} us does not gain {:.0f}%", beforeSeconds * 1e6,
                                      afterSeconds * 1e6, options.minGain * 100));
  return plan;
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
  return fmt::format("block-diagonal weight, {} {} blocks of {} in x {} out channels", plan.blocks.groups, layout,
                     plan.conv.inChannels() / plan.blocks.groups, plan.conv.outChannels / plan.blocks.groups);
}

void applyGrouping(ir::Graph& graph, const Plan& plan, PassContext& context, std::string_view passName) {
  std::vector<float> weight = groupedWeight(plan.conv, plan.blocks);
  double error = groupedReconstructionError(plan.conv, plan.blocks, weight);
  ir::Node& node = *plan.conv.node;
  std::string base = node.name.empty() ? node.output(0)->name() : node.name;
  std::vector<int64_t> dims = plan.conv.weight->dims();
  dims[1] /= plan.blocks.groups;
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
