#include "passes/channel_permutation.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <set>

namespace convopt::passes {
namespace {

bool isIdentity(const std::vector<int64_t>& order) {
  for (size_t i = 0; i < order.size(); ++i)
    if (order[i] != static_cast<int64_t>(i)) return false;
  return true;
}

// A group-1 Conv with constant weight whose output (`axis` 0) or input (1)
// channels are the `channels` being permuted: a model whose shapes disagree
// with its weights must not have `channels` indices reordered in other dims.
bool isPermutableConv(ir::Node& node, int axis, int64_t channels) {
  Expected<ConstantConv> conv = matchConstantConv(node);
  return conv && conv->group == 1 && (axis == 0 ? conv->outChannels : conv->inPerGroup) == channels;
}

// Where a constant operand of `node` (on `rank`-D data with `channels`
// channels) holds one value per channel: its axis (BatchNormalization's are
// [C]; others broadcast from the right, every other dim 1); -1 when it is one
// value for all; nullopt otherwise.
std::optional<int64_t> channelAxis(const ir::Node& node, const ir::Tensor& operand, size_t rank, int64_t channels) {
  if (operand.numel() == 1) return -1;
  int64_t axis =
      node.opType == "BatchNormalization" ? (operand.rank() == 1 ? 0 : -1) : operand.rank() - int64_t(rank - 1);
  if (axis < 0 || operand.dims()[size_t(axis)] != channels || operand.numel() != channels) return std::nullopt;
  return axis;
}

// The nodes a permutation passes through to the Convs that absorb it.
struct FoldPath {
  std::vector<ir::Node*> perChannel;  // ops acting on each channel alone, their constants to reorder
  std::vector<ir::Node*> convs;       // group-1 Convs with constant weight
  std::vector<ir::Node*> gemms;       // classifier heads (isHead) reading the channels as features
};

// Dim `axis` of `tensor` reordered: new[.., j, ..] = old[.., order[j], ..].
std::vector<float> reorderedAlong(const ir::Tensor& tensor, size_t axis, const std::vector<int64_t>& order) {
  const std::vector<int64_t>& dims = tensor.dims();
  int64_t outer = std::accumulate(dims.begin(), dims.begin() + std::ptrdiff_t(axis), int64_t(1), std::multiplies<>());
  int64_t inner = std::accumulate(dims.begin() + std::ptrdiff_t(axis) + 1, dims.end(), int64_t(1), std::multiplies<>());
  int64_t n = dims[axis];
  std::span<const float> from = tensor.data<float>();
  std::vector<float> to(from.size());
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t j = 0; j < n; ++j)
      std::copy_n(from.begin() + (a * n + order[size_t(j)]) * inner, inner, to.begin() + (a * n + j) * inner);
  return to;
}

// Flatten<axis=1> of `value` ([N, C, 1, ...]) read only as A of Gemms (not
// transposed) with a constant B of C features: a classifier head, whose B
// absorbs a permutation of the channels.
bool isHead(const ir::Node& flatten, const ir::Value& value, int64_t channels) {
  if (flatten.opType != "Flatten" || !flatten.domain.empty() || flatten.getInt("axis", 1) != 1) return false;
  const std::optional<std::vector<ir::Dim>>& dims = value.type.shape;  // the batch may be dynamic
  if (!dims || dims->size() < 2 || flatten.output(0)->isGraphOutput() ||
      std::any_of(dims->begin() + 2, dims->end(), [](const ir::Dim& d) { return d.value != 1; }))
    return false;
  for (const ir::Use& use : flatten.output(0)->uses()) {
    const ir::Node& gemm = *use.user;
    const ir::Tensor* b = constantTensor(gemm.input(1));
    if (gemm.opType != "Gemm" || !gemm.domain.empty() || use.inputIndex != 0 || gemm.getInt("transA", 0) != 0 || !b ||
        b->dtype() != ir::DType::Float || b->rank() != 2 || b->dims()[gemm.getInt("transB", 0) ? 1 : 0] != channels)
      return false;
  }
  return true;
}

// A depthwise Conv (one input channel per output channel) over `channels`, with constant weight.
bool isDepthwiseConv(ir::Node& node, int64_t channels) {
  Expected<ConstantConv> conv = matchConstantConv(node);
  return conv && conv->inPerGroup == 1 && conv->group == conv->outChannels && conv->outChannels == channels;
}

// Whether `node` acts on each channel of its input `data` alone, every other
// operand a constant of one value per channel (or one for all), or a depthwise
// Conv: a permutation of the data's channels passes through it once those
// operands (that Conv's filters) are reordered the same way.
bool actsPerChannel(ir::Node& node, size_t data, size_t rank, int64_t channels) {
  static const std::set<std::string> unary = {
      "Relu",   "LeakyRelu",         "Sigmoid",      "Tanh", "HardSigmoid", "HardSwish", "Elu",
      "Selu",   "Softplus",          "Neg",          "Abs",  "Clip",        "MaxPool",   "AveragePool",
      "LpPool", "GlobalAveragePool", "GlobalMaxPool"};
  static const std::set<std::string> perChannel = {"Add", "Sub", "Mul", "Div", "PRelu", "BatchNormalization"};
  if (!node.domain.empty() || node.outputs().size() != 1 || !node.input(data)) return false;
  if (node.opType == "Conv") return data == 0 && isDepthwiseConv(node, channels);
  if (!unary.count(node.opType) && !perChannel.count(node.opType)) return false;
  if (data != 0 && (unary.count(node.opType) || node.opType == "BatchNormalization")) return false;
  for (size_t i = 0; i < node.inputs().size(); ++i) {
    if (i == data || !node.input(i)) continue;
    const ir::Tensor* operand = constantTensor(node.input(i));
    if (!operand || operand->dtype() != ir::DType::Float) return false;
    std::optional<int64_t> axis = channelAxis(node, *operand, rank, channels);
    if (!axis || (*axis >= 0 && !perChannel.count(node.opType))) return false;
  }
  return true;
}

size_t dataInput(const ir::Node& node) { return node.input(0) && constantTensor(node.input(0)) ? 1 : 0; }

// From the conv's input up to the Conv producing it, through single-use per-channel ops.
std::optional<FoldPath> pathToProducer(ir::Value* x, size_t rank, int64_t channels) {
  FoldPath path;
  for (ir::Value* value = x;;) {
    ir::Node* producer = value->producer();
    if (!producer || !hasSingleUse(value) || value->isGraphOutput()) return std::nullopt;
    if (isPermutableConv(*producer, 0, channels)) {
      path.convs.push_back(producer);
      return path;
    }
    size_t data = dataInput(*producer);
    if (!actsPerChannel(*producer, data, rank, channels)) return std::nullopt;
    path.perChannel.push_back(producer);
    value = producer->input(data);
  }
}

// From the conv's output down to every Conv reading it, through per-channel ops.
bool collectReaders(const ir::Value* value, size_t rank, int64_t channels, FoldPath& path) {
  for (const ir::Use& use : value->uses()) {
    if (use.inputIndex == 0 && isPermutableConv(*use.user, 1, channels)) {
      path.convs.push_back(use.user);
      continue;
    }
    if (use.inputIndex == 0 && isHead(*use.user, *value, channels)) {
      for (const ir::Use& read : use.user->output(0)->uses()) path.gemms.push_back(read.user);
      continue;
    }
    if (use.inputIndex == ir::Use::kImplicit || !actsPerChannel(*use.user, use.inputIndex, rank, channels) ||
        use.user->output(0)->isGraphOutput() || !collectReaders(use.user->output(0), rank, channels, path))
      return false;
    path.perChannel.push_back(use.user);
  }
  return true;
}

// Reorders weight dim `axis` (0: output channels, 1: input channels) and, for
// axis 0, the bias: new[j] = old[order[j]].
void reorderConvChannels(ir::Graph& graph, const ConstantConv& conv, int axis, const std::vector<int64_t>& order,
                         std::string_view passName) {
  ir::Node& node = *conv.node;
  std::string base = node.name.empty() ? node.output(0)->name() : node.name;
  node.setInput(1, addFloatInitializer(graph, base + "_W_permuted", conv.weight->dims(),
                                       reorderedAlong(*conv.weight, size_t(axis), order)));
  if (axis == 0 && conv.bias)
    node.setInput(
        2, addFloatInitializer(graph, base + "_B_permuted", conv.bias->dims(), reorderedAlong(*conv.bias, 0, order)));
  noteRewrite(node, passName,
              axis == 0 ? "output channels reordered for the grouped conv it feeds"
                        : "input channels reordered for the grouped conv that feeds it");
}

// Reorders the per-channel constants of `node`: new[j] = old[order[j]].
void reorderPerChannelOperands(ir::Graph& graph, ir::Node& node, size_t rank, const std::vector<int64_t>& order,
                               std::string_view passName) {
  if (node.opType == "Conv") return reorderConvChannels(graph, *matchConstantConv(node), 0, order, passName);
  size_t data = dataInput(node);
  for (size_t i = 0; i < node.inputs().size(); ++i) {
    if (i == data || !node.input(i)) continue;
    const ir::Tensor& operand = *constantTensor(node.input(i));
    std::optional<int64_t> axis = channelAxis(node, operand, rank, int64_t(order.size()));
    if (!axis || *axis < 0) continue;
    node.setInput(i, addFloatInitializer(graph, node.input(i)->name() + "_permuted", operand.dims(),
                                         reorderedAlong(operand, size_t(*axis), order)));
  }
  noteRewrite(node, passName, "per-channel operands reordered for the grouped conv beside it");
}

// A head's B takes its features (rows, or columns when transB) in the new channel order.
void reorderHeadFeatures(ir::Graph& graph, ir::Node& gemm, const std::vector<int64_t>& order,
                         std::string_view passName) {
  const ir::Tensor& b = *constantTensor(gemm.input(1));
  gemm.setInput(1, addFloatInitializer(graph, gemm.input(1)->name() + "_permuted", b.dims(),
                                       reorderedAlong(b, gemm.getInt("transB", 0) ? 1 : 0, order)));
  noteRewrite(gemm, passName, "features reordered for the grouped conv that feeds it");
}

ir::Value* indexConstant(ir::Graph& graph, const std::string& base, const std::vector<int64_t>& order) {
  ir::Tensor t = ir::Tensor::fromVector(ir::DType::Int64, {static_cast<int64_t>(order.size())}, order);
  t.name = graph.uniqueName(base);
  return graph.addInitializer(std::move(t));
}

}  // namespace

Expected<PermutationPlan> planPermutation(const ConstantConv& conv, const std::vector<int64_t>& inOrder,
                                          const std::vector<int64_t>& outOrder, const ConvGeometry& geometry,
                                          const CostModel& cost) {
  PermutationPlan plan;
  plan.permuteInput = !isIdentity(inOrder);
  plan.permuteOutput = !isIdentity(outOrder);
  ir::Value* x = conv.node->input(0);
  ir::Value* y = conv.node->output(0);
  if (plan.permuteOutput && y->isGraphOutput())
    return Status::refuse("permuted blocks and the output is a graph output");
  size_t rank = size_t(conv.weight->rank());
  if (plan.permuteInput) {
    plan.foldInput = pathToProducer(x, rank, conv.inChannels()).has_value();
    if (!plan.foldInput) {
      plan.gatherSeconds +=
          cost.gatherSeconds(geometry.batch * geometry.inPixels * geometry.inChannels * geometry.elementBytes);
    }
  }
  if (plan.permuteOutput) {
    FoldPath readers;
    plan.foldOutput = collectReaders(y, rank, conv.outChannels, readers);
    // A body reads the output by name: a Gather cannot be put between them.
    if (!plan.foldOutput && std::any_of(y->uses().begin(), y->uses().end(),
                                        [](const ir::Use& use) { return use.inputIndex == ir::Use::kImplicit; }))
      return Status::refuse("permuted blocks and the output is read inside a subgraph");
    if (!plan.foldOutput) {
      plan.gatherSeconds +=
          cost.gatherSeconds(geometry.batch * geometry.outPixels * geometry.outChannels * geometry.elementBytes);
    }
  }
  return plan;
}

void applyPermutation(ir::Graph& graph, const ConstantConv& conv, const std::vector<int64_t>& inOrder,
                      const std::vector<int64_t>& outOrder, const PermutationPlan& plan, std::string_view passName) {
  ir::Node& node = *conv.node;
  std::string base = node.name.empty() ? node.output(0)->name() : node.name;
  size_t rank = size_t(conv.weight->rank());
  // The plan checked that the paths to fold along exist.
  if (plan.permuteInput && plan.foldInput) {
    FoldPath path = *pathToProducer(node.input(0), rank, conv.inChannels());
    for (ir::Node* perChannel : path.perChannel) reorderPerChannelOperands(graph, *perChannel, rank, inOrder, passName);
    reorderConvChannels(graph, *matchConstantConv(*path.convs.front()), 0, inOrder, passName);
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
    // Channel j now holds original channel outOrder[j]: so must every per-channel operand and reader column.
    FoldPath path;
    collectReaders(node.output(0), rank, conv.outChannels, path);
    for (ir::Node* perChannel : path.perChannel)
      reorderPerChannelOperands(graph, *perChannel, rank, outOrder, passName);
    for (ir::Node* reader : path.convs) reorderConvChannels(graph, *matchConstantConv(*reader), 1, outOrder, passName);
    for (ir::Node* head : path.gemms) reorderHeadFeatures(graph, *head, outOrder, passName);
    return;
  }
  ir::Node* gather = graph.createNode("Gather", {node.output(0), indexConstant(graph, base + "_out_order", inverse)},
                                      {graph.uniqueName(base + "_out_restored")});
  gather->setAttribute(ir::Attribute::makeInt("axis", 1));
  for (const ir::Use& use : uses) use.user->setInput(use.inputIndex, gather->output(0));
}

}  // namespace convopt::passes
