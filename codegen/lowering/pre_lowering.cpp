#include "codegen/lowering/pre_lowering.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "codegen/fusion/epilogue_fusion.h"
#include "codegen/lowering/op_lowering.h"

namespace convopt::codegen {

namespace {

// The state the steps share: the plan so far, and when each node's kernels run
// (the walk lowers nodes in graph order; a node computed by another node's
// kernels runs when that node's do).
class Planner {
 public:
  Planner(const ir::Graph& graph, const PlanningInputs& inputs, LoweringPlan& plan)
      : graph(graph), inputs(inputs), plan(plan), fusion(plan.fusion) {
    for (const ir::Node* node : graph.nodes()) order_[node] = order_.size();
  }

  // Whether `value` is stored by the time `at`'s kernels run.
  bool storedBefore(const ir::Value* value, const ir::Node& at) const {
    if (!value || inputs.constantOf(value) || !value->type.hasStaticShape()) return false;
    if (value->isGraphInput()) return true;
    const ir::Node* producer = value->producer();
    auto it = producer ? order_.find(producer) : order_.end();
    return it != order_.end() && runsAt(producer) < order_.at(&at);
  }

  // The channel gathers reading only `value`, when every use of it is one.
  bool gatherFollowers(const ir::Value* value, std::vector<std::pair<const ir::Node*, ChannelGatherMatch>>& followers) {
    if (value->isGraphOutput() || value->uses().empty()) return false;
    for (const ir::Use& use : value->uses()) {
      ChannelGatherMatch match;
      if (use.inputIndex != 0 || fusion.isComputedElsewhere(*use.user) ||
          !matchChannelGather(*use.user, inputs.constantOf, inputs.opset, match))
        return false;
      for (const ChannelGather& gather : match.outputs)
        if (gather.sources != std::vector<const ir::Value*>{value}) return false;
      followers.push_back({use.user, std::move(match)});
    }
    return true;
  }

  const ir::Graph& graph;
  const PlanningInputs& inputs;
  LoweringPlan& plan;
  FusionPlan& fusion;

 private:
  size_t runsAt(const ir::Node* node) const {
    auto it = fusion.computedBy.find(node);
    return order_.at(it == fusion.computedBy.end() ? node : it->second);
  }
  std::unordered_map<const ir::Node*, size_t> order_;
};

void planKernels(Planner& p, passes::PassStatistics& stats) {
  for (const ir::Node* node : p.graph.nodes()) {
    std::optional<Expected<RootKernel>> root = node->domain.empty() ? planRootKernel(*node, p.inputs) : std::nullopt;
    if (!root) continue;
    ++stats.matched;
    if (!*root) {
      p.plan.refusals[node] = root->reason();
      stats.rejections.push_back({node->label(), root->reason()});
      continue;
    }
    ++stats.rewritten;
    for (const ir::Node* absorbed : (*root)->absorbed) p.fusion.take(*absorbed, *node);
    p.plan.kernels.emplace(node, std::move(**root));
  }
}

void scaleConvInputs(Planner& p, passes::PassStatistics& stats) {
  auto hasKernel = [&p](const ir::Node& conv) { return p.plan.kernels.count(&conv) > 0; };
  p.fusion.scaledInputs = planScaledConvInputs(p.graph, p.inputs.constantOf, hasKernel);
  for (const auto& [conv, scaled] : p.fusion.scaledInputs) p.fusion.take(*scaled.mul, *conv);
  stats.matched = stats.rewritten = int64_t(p.fusion.scaledInputs.size());
}

void placeConcats(Planner& p, passes::PassStatistics& stats) {
  p.fusion.concatPlacements =
      planConcatsInPlace(p.graph, p.inputs.constantOf, p.inputs.opset, p.inputs.target.vectorWidth);
  for (const ir::Node* node : p.graph.nodes()) {
    if (!node->domain.empty() || node->opType != "Concat") continue;
    ++stats.matched;
    auto it = node->inputs().empty() ? p.fusion.concatPlacements.end() : p.fusion.concatPlacements.find(node->input(0));
    if (it != p.fusion.concatPlacements.end() && it->second.whole == node->output(0)) ++stats.rewritten;
  }
}

void fuseEpilogues(Planner& p, passes::PassStatistics& stats) {
  for (const ir::Node* node : p.graph.nodes()) {
    auto root = p.plan.kernels.find(node);
    if (root == p.plan.kernels.end()) continue;
    ++stats.matched;
    EpilogueMatch match = fuseEpilogue(root->second.output, p.inputs.constantOf,
                                       [&](const ir::Value* value) { return p.storedBefore(value, *node); });
    FusedEpilogue& fused = p.fusion.epilogues[node] = std::move(match.fused);
    fused.nodes.insert(fused.nodes.begin(), root->second.absorbed.begin(), root->second.absorbed.end());
    for (const ir::Node* follower : fused.nodes) p.fusion.take(*follower, *node);
    if (fused.epilogue.steps.empty())
      stats.rejections.push_back({node->label(), match.stoppedBecause});
    else
      ++stats.rewritten;
  }
}

// The conv kernel whose (epilogue's) output `value` is, if any.
const ir::Node* producingConv(const Planner& p, const ir::Value* value) {
  const ir::Node* node = value->producer();
  if (!node) return nullptr;
  if (auto by = p.fusion.computedBy.find(node); by != p.fusion.computedBy.end()) node = by->second;
  auto root = p.plan.kernels.find(node);
  if (root == p.plan.kernels.end() || !std::holds_alternative<ConvKernel>(root->second.kernel)) return nullptr;
  return p.fusion.epilogues.at(node).output == value ? node : nullptr;
}

// Why the conv pair cannot be ring-fused on the graph's side; "" if it may.
std::string ringRefusal(const Planner& p, const ir::Node& producer, const ir::Node& consumer) {
  const ir::Value* value = consumer.input(0);
  if (value->isGraphOutput() || value->uses().size() != 1) return "the producer's output has other readers";
  if (p.fusion.scaledInputs.count(&producer)) return "the producer's weights are scaled at run time";
  if (p.fusion.convRings.count(&producer)) return "the producer reads a ring of its own producer";
  for (const ir::Node* conv : {&producer, &consumer})
    if (p.inputs.target.winograd != WinogradUse::Never &&
        !std::get<ConvKernel>(p.plan.kernels.at(conv).kernel).winogradKey.empty())
      return "a Winograd candidate (chosen per layer, --tune measures it alone)";
  if (p.inputs.target.ringFusion == RingFusionUse::Never) return "off (--no-ring-fusion)";
  return "";
}

void fuseConvRings(Planner& p, passes::PassStatistics& stats) {
  for (const ir::Node* consumer : p.graph.nodes()) {
    auto root = p.plan.kernels.find(consumer);
    if (root == p.plan.kernels.end() || !std::holds_alternative<ConvKernel>(root->second.kernel)) continue;
    const ir::Node* producer = producingConv(p, consumer->input(0));
    if (!producer) continue;
    ++stats.matched;
    auto plan = [&]() -> Expected<RingFusionPlan> {
      if (std::string refusal = ringRefusal(p, *producer, *consumer); !refusal.empty()) return Status::refuse(refusal);
      ConvKernel made = std::get<ConvKernel>(p.plan.kernels.at(producer).kernel);
      made.spec.epilogue = p.fusion.epilogues.at(producer).epilogue;
      const ConvKernel& reads = std::get<ConvKernel>(root->second.kernel);
      return planRingFusion(made.spec, made.plan, reads.spec, reads.plan, p.inputs.target);
    };
    Expected<RingFusionPlan> ring = plan();
    if (!ring) {
      stats.rejections.push_back({consumer->label(), ring.reason()});
      continue;
    }
    ++stats.rewritten;
    p.fusion.take(*producer, *consumer);
    p.fusion.convRings.emplace(consumer, ConvRing{producer, std::move(*ring)});
  }
}

bool isElementwise(const ir::Node& node) {
  static const std::set<std::string> ops = {
#define ELEMENTWISE_BINARY(op) #op,
#define ELEMENTWISE_UNARY(op) #op,
#define ELEMENTWISE_ACTIVATION(op) #op,
#define ELEMENTWISE_OTHER(op) #op,
#include "codegen/lowering/lowered_ops.def"
  };
  return node.domain.empty() && ops.count(node.opType);
}

void groupElementwise(Planner& p, passes::PassStatistics& stats) {
  for (const ir::Node* seed : p.graph.nodes()) {
    if (!isElementwise(*seed) || p.fusion.isComputedElsewhere(*seed)) continue;
    ++stats.matched;
    ElementwiseContext context{p.inputs.constantOf,
                               [&](const ir::Value* value) { return p.storedBefore(value, *seed); },
                               [&](const ir::Node* node) { return p.fusion.isComputedElsewhere(*node); }};
    Expected<ElementwiseGroup> group = matchElementwiseGroup(*seed, context);
    if (!group) {
      p.plan.refusals[seed] = group.reason();
      stats.rejections.push_back({seed->label(), group.reason()});
      continue;
    }
    if (group->nodes.size() > 1) ++stats.rewritten;
    for (size_t k = 1; k < group->nodes.size(); ++k) p.fusion.take(*group->nodes[k], *seed);
    p.fusion.elementwiseGroups.emplace(seed, std::move(*group));
  }
}

// One gather of `node` (reading `gather`), composed with the gathers that
// follow it while every use of its output is one: kernels appended to `kernels`
// in the order the walk emits them. `fused` collects the nodes explained as
// fused into the next kernel.
void composeGather(Planner& p, const ChannelGather& gather, const ir::Node& node, const ChannelGatherMatch& match,
                   const std::string& what, const ir::Node& root, std::vector<ComposedGather>& kernels,
                   std::vector<const ir::Node*>& fused) {
  auto explainFused = [&fused](const ir::Node* n) {
    if (std::find(fused.begin(), fused.end(), n) == fused.end()) fused.push_back(n);
  };
  std::vector<std::pair<const ir::Node*, ChannelGatherMatch>> followers;
  bool composed = p.gatherFollowers(gather.output, followers);
  if (composed) explainFused(&node);
  for (const ir::Node* absorbed : match.absorbed) p.fusion.take(*absorbed, root), explainFused(absorbed);
  if (!composed) {
    kernels.push_back({gather, &node, what, std::exchange(fused, {})});
    return;
  }
  for (const auto& [follower, outerMatch] : followers) {
    p.fusion.take(*follower, root);
    for (const ChannelGather& outer : outerMatch.outputs)
      composeGather(p, composeGathers(gather, outer), *follower, outerMatch, what + " > " + outerMatch.what, root,
                    kernels, fused);
  }
}

// The ops whose lowering function lowers a planned gather (lowered_ops.def).
bool mayBeGather(const ir::Node& node) {
  using Handler = Status (*)(LoweringContext&, const ir::Node&);
  static const std::set<std::string> ops = [] {
    std::set<std::string> gathers;
    for (auto [op, handler] : std::initializer_list<std::pair<const char*, Handler>>{
#define LOWERED_OP(op, handler) {#op, &handler},
#include "codegen/lowering/lowered_ops.def"
         })
      if (handler == &lowerChannelGather || handler == &lowerSlice || handler == &lowerSplit ||
          handler == &lowerConcat || handler == &lowerReshape)
        gathers.insert(op);
    return gathers;
  }();
  return node.domain.empty() && ops.count(node.opType);
}

void composeGathers(Planner& p, passes::PassStatistics& stats) {
  for (const ir::Node* node : p.graph.nodes()) {
    if (!mayBeGather(*node) || p.fusion.isComputedElsewhere(*node)) continue;
    auto placement =
        node->inputs().empty() ? p.fusion.concatPlacements.end() : p.fusion.concatPlacements.find(node->input(0));
    if (node->opType == "Concat" && placement != p.fusion.concatPlacements.end() &&
        placement->second.whole == node->output(0))
      continue;
    ++stats.matched;
    ChannelGatherMatch match;
    if (Status status = matchChannelGather(*node, p.inputs.constantOf, p.inputs.opset, match); !status) {
      p.plan.refusals[node] = status.reason();
      stats.rejections.push_back({node->label(), status.reason()});
      continue;
    }
    std::vector<ComposedGather> kernels;
    std::vector<const ir::Node*> fused;
    for (const ChannelGather& gather : match.outputs)
      composeGather(p, gather, *node, match, match.what, *node, kernels, fused);
    ++stats.rewritten;
    p.fusion.gathers.emplace(node, std::move(kernels));
  }
}

std::string labels(const std::vector<const ir::Node*>& nodes) {
  std::string text;
  for (const ir::Node* node : nodes) text += (text.empty() ? "" : ", ") + node->label();
  return text;
}

std::string names(const std::vector<const ir::Value*>& values) {
  std::string text;
  for (const ir::Value* value : values) text += (text.empty() ? "" : ", ") + value->name();
  return text;
}

std::string kernelKind(const RootKernel& root) {
  struct {
    std::string operator()(const ConvKernel& k) { return k.plan.family + " conv"; }
    std::string operator()(const ConvTransposeKernel&) { return "conv transpose"; }
    std::string operator()(const MatMulKernel&) { return "matmul"; }
    std::string operator()(const PoolKernel&) { return "pool"; }
    std::string operator()(const ResizeKernel&) { return "resize"; }
  } kind;
  return std::visit(kind, root.kernel);
}

// What the plan decided for `node`, a line per decision ("" if nothing).
std::string describeNode(const ir::Node& node, const LoweringPlan& plan) {
  const FusionPlan& fusion = plan.fusion;
  std::string text;
  if (auto it = plan.kernels.find(&node); it != plan.kernels.end())
    text += fmt::format("{}: {} kernel\n", node.label(), kernelKind(it->second));
  if (auto it = fusion.scaledInputs.find(&node); it != fusion.scaledInputs.end())
    text += fmt::format("{}: weights scaled per input channel by {}, computing {}\n", node.label(),
                        it->second.scale->name(), it->second.mul->label());
  auto placement = node.inputs().empty() ? fusion.concatPlacements.end() : fusion.concatPlacements.find(node.input(0));
  if (node.opType == "Concat" && placement != fusion.concatPlacements.end() &&
      placement->second.whole == node.output(0))
    text += fmt::format("{}: in place: its inputs' producers write into its buffer\n", node.label());
  if (auto it = fusion.epilogues.find(&node); it != fusion.epilogues.end() && !it->second.nodes.empty())
    text += fmt::format("{}: epilogue {} computing [{}] -> {}{}\n", node.label(), it->second.epilogue.describe(),
                        labels(it->second.nodes), it->second.output->name(),
                        it->second.residuals.empty() ? "" : ", residuals " + names(it->second.residuals));
  if (auto it = fusion.convRings.find(&node); it != fusion.convRings.end())
    text += fmt::format("{}: ring-fused with {}: {} KB not moved, ring of {} row(s)\n", node.label(),
                        it->second.producer->label(), it->second.plan.savedBytes / 1024, it->second.plan.ringRows);
  if (auto it = fusion.elementwiseGroups.find(&node); it != fusion.elementwiseGroups.end())
    text += fmt::format("{}: elementwise kernel [{}] -> {}\n", node.label(), labels(it->second.nodes),
                        names(it->second.outputs));
  if (auto it = fusion.gathers.find(&node); it != fusion.gathers.end())
    for (const ComposedGather& kernel : it->second)
      text += fmt::format("{}: gather kernel ({}) -> {}{}\n", node.label(), kernel.what, kernel.gather.output->name(),
                          kernel.fused.empty() ? "" : " computing [" + labels(kernel.fused) + "]");
  return text;
}

std::string describePlan(const ir::Graph& graph, const LoweringPlan& plan) {
  std::string text;
  for (const ir::Node* node : graph.nodes()) text += describeNode(*node, plan);
  return text;
}

using Step = void (*)(Planner&, passes::PassStatistics&);
const std::pair<const char*, Step> kSteps[] = {
    {"plan-kernels", planKernels},       {"scale-conv-inputs", scaleConvInputs},
    {"concat-in-place", placeConcats},   {"fuse-epilogues", fuseEpilogues},
    {"fuse-conv-rings", fuseConvRings},  {"group-elementwise", groupElementwise},
    {"compose-gathers", composeGathers},
};

}  // namespace

std::optional<Expected<RootKernel>> planRootKernel(const ir::Node& node, const PlanningInputs& inputs) {
  using RootPlanner = Expected<RootKernel> (*)(const ir::Node&, const PlanningInputs&);
  static const std::unordered_map<std::string, RootPlanner> planners = {
#define KERNEL_ROOT(op, planner) {#op, &planner},
#include "codegen/lowering/lowered_ops.def"
  };
  auto it = planners.find(node.opType);
  if (it == planners.end()) return std::nullopt;
  return it->second(node, inputs);
}

LoweringPlan planLowering(const ir::Graph& graph, const PlanningInputs& inputs, const PlanningObserver& afterStep) {
  LoweringPlan plan;
  Planner planner(graph, inputs, plan);
  for (const auto& [name, step] : kSteps) {
    passes::PassStatistics& stats = plan.statistics.emplace_back();
    stats.pass = name;
    auto start = std::chrono::steady_clock::now();
    step(planner, stats);
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (afterStep) afterStep(name, describePlan(graph, plan));
  }
  return plan;
}

std::vector<std::string> preLoweringStepNames() {
  std::vector<std::string> names;
  for (const auto& [name, step] : kSteps) names.push_back(name);
  return names;
}

}  // namespace convopt::codegen
