#include "passes/channel_permutation.h"

#include <algorithm>
#include <numeric>

namespace convopt::passes {
namespace {

bool isIdentity(const std::vector<int64_t>& order) {
  for (size_t i = 0; i < order.size(); ++i)
    if (order[i] != static_cast<int64_t>(i)) return false;
  return true;
}

bool isPermutableConv(ir::Node& node) {
  Expected<ConstantConv> conv = matchConstantConv(node);
  return conv && conv->group == 1;
}

// Reorders weight dim `axis` (0: output channels, 1: input channels) and, for
// axis 0, the bias: new[j] = old[order[j]].
void reorderConvChannels(ir::Graph& graph, const ConstantConv& conv, int axis, const std::vector<int64_t>& order,
                         std::string_view passName) {
  std::span<const float> w = conv.weight->data<float>();
  const std::vector<int64_t>& dims = conv.weight->dims();
  int64_t inner = conv.kernelElements * (axis == 0 ? dims[1] : 1);
  int64_t outer = axis == 0 ? 1 : dims[0];
  int64_t n = dims[axis];
  std::vector<float> weight(w.size());
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t j = 0; j < n; ++j)
      std::copy_n(w.begin() + (a * n + order[j]) * inner, inner, weight.begin() + (a * n + j) * inner);
  ir::Node& node = *conv.node;
  std::string base = node.name.empty() ? node.output(0)->name() : node.name;
  node.setInput(1, addFloatInitializer(graph, base + "_W_permuted", dims, weight));
  if (axis == 0 && conv.bias) {
    std::span<const float> b = conv.bias->data<float>();
    std::vector<float> bias(b.size());
    for (int64_t j = 0; j < n; ++j) bias[j] = b[order[j]];
    node.setInput(2, addFloatInitializer(graph, base + "_B_permuted", {n}, bias));
  }
  noteRewrite(node, passName,
              axis == 0 ? "output channels reordered for the grouped conv it feeds"
                        : "input channels reordered for the grouped conv that feeds it");
}

ir::Value* indexConstant(ir::Graph& graph, const std::string& base, const std::vector<int64_t>& order) {
  ir::Tensor t = ir::Tensor::fromVector(ir::DType::Int64, {static_cast<int64_t>(order.size())}, order);
  t.name = graph.uniqueName(base);
  return graph.addInitializer(std::move(t));
}

}  // namespace

Expected<PermutationPlan> planPermutation(const ConstantConv& conv, const std::vector<int64_t>& inOrder,
                                          const std::vector<int64_t>& outOrder, const ConvGeometry& geometry) {
  PermutationPlan plan;
  plan.permuteInput = !isIdentity(inOrder);
  plan.permuteOutput = !isIdentity(outOrder);
  ir::Value* x = conv.node->input(0);
  ir::Value* y = conv.node->output(0);
  if (plan.permuteOutput && y->isGraphOutput())
    return Status::refuse("permuted blocks and the output is a graph output");
  if (plan.permuteInput) {
    plan.foldInput = x->producer() && hasSingleUse(x) && isPermutableConv(*x->producer());
    if (!plan.foldInput) {
      plan.gatherSeconds +=
          estimateCopySeconds(geometry.batch * geometry.inPixels * geometry.inChannels * geometry.elementBytes);
    }
  }
  if (plan.permuteOutput) {
    plan.foldOutput = true;
    for (const ir::Use& use : y->uses())
      plan.foldOutput = plan.foldOutput && use.inputIndex == 0 && isPermutableConv(*use.user);
    if (!plan.foldOutput) {
      plan.gatherSeconds +=
          estimateCopySeconds(geometry.batch * geometry.outPixels * geometry.outChannels * geometry.elementBytes);
    }
  }
  return plan;
}

void applyPermutation(ir::Graph& graph, const ConstantConv& conv, const std::vector<int64_t>& inOrder,
                      const std::vector<int64_t>& outOrder, const PermutationPlan& plan, std::string_view passName) {
  ir::Node& node = *conv.node;
  std::string base = node.name.empty() ? node.output(0)->name() : node.name;
  // The plan checked that the neighbours to fold into are permutable Convs.
  if (plan.permuteInput && plan.foldInput) {
    reorderConvChannels(graph, *matchConstantConv(*node.input(0)->producer()), 0, inOrder, passName);
  } else if (plan.permuteInput) {
    ir::Node* gather = graph.createNode("Gather", {node.input(0), indexConstant(graph, base + "_in_order", inOrder)},
                                        {graph.uniqueName(base + "_in_permuted")}, &node);
    gather->setAttribute(ir::Attribute::makeInt("axis", 1));
    node.setInput(0, gather->output(0));
  }
  if (!plan.permuteOutput) return;
  std::vector<int64_t> inverse(outOrder.size());
  for (size_t j = 0; j < outOrder.size(); ++j) inverse[outOrder[j]] = static_cast<int64_t>(j);
  std::vector<ir::Use> uses = node.output(0)->uses();
  if (plan.foldOutput) {
    // Reader column j must now take original channel outOrder[j].
    for (const ir::Use& use : uses) reorderConvChannels(graph, *matchConstantConv(*use.user), 1, outOrder, passName);
    return;
  }
  ir::Node* gather = graph.createNode("Gather", {node.output(0), indexConstant(graph, base + "_out_order", inverse)},
                                      {graph.uniqueName(base + "_out_restored")});
  gather->setAttribute(ir::Attribute::makeInt("axis", 1));
  for (const ir::Use& use : uses) use.user->setInput(use.inputIndex, gather->output(0));
}

}  // namespace convopt::passes
