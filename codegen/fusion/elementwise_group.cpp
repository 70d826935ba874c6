#include "codegen/fusion/elementwise_group.h"

#include <fmt/format.h>

#include <algorithm>

#include "codegen/fusion/epilogue_fusion.h"
#include "codegen/lowering/static_values.h"

namespace convopt::codegen {

namespace {

// Bounds the size of one generated kernel (registers and compile time).
constexpr size_t kMaxGroupNodes = 64;
// How far back a joining node may pull in producers of its other operands.
constexpr int kMaxPullDepth = 4;

std::optional<float> scalarConstant(const ir::Value* value, const ElementwiseContext& context) {
  const ir::Tensor* t = context.constantOf(value);
  if (!t || t->dtype() != ir::DType::Float || t->numel() != 1) return std::nullopt;
  return t->data<float>()[0];
}

// A value's shape as a [N|1, C, 1, 1] per-channel operand of a blocked `out`.
std::optional<OperandKind> channelKind(std::vector<int64_t> dims, const std::vector<int64_t>& out) {
  if (dims.size() > 4) return std::nullopt;
  dims.insert(dims.begin(), 4 - dims.size(), 1);
  if (dims[1] != out[1] || dims[2] != 1 || dims[3] != 1) return std::nullopt;
  if (dims[0] == out[0]) return OperandKind::ImageChannel;
  return dims[0] == 1 ? std::optional(OperandKind::Channel) : std::nullopt;
}

}  // namespace

Expected<std::vector<size_t>> elementwiseDataInputs(const ir::Node& node, const ElementwiseContext& context) {
  const std::string& op = node.opType;
  if (!node.domain.empty() || node.outputs().size() != 1) return Status::refuse("not a single-output ONNX op");
  static const std::set<std::string> binary = {
#define ELEMENTWISE_BINARY(op) #op,
#include "codegen/lowering/lowered_ops.def"
  };
  static const std::set<std::string> unary = {
#define ELEMENTWISE_UNARY(op) #op,
#include "codegen/lowering/lowered_ops.def"
  };
  if (binary.count(op)) {
    if (node.inputs().size() != 2) return Status::refuse("not two operands");
    return std::vector<size_t>{0, 1};
  }
  if (unary.count(op)) {
    if (node.inputs().size() != 1)
      return Status::refuse(fmt::format("{} inputs, where {} takes one", node.inputs().size(), op));
    return std::vector<size_t>{0};
  }
  if (op == "Pow") {
    std::optional<float> exponent = node.inputs().size() == 2 ? scalarConstant(node.input(1), context) : std::nullopt;
    static const std::set<float> exponents = {-1.0f, 0.5f, 1.0f, 2.0f, 3.0f};
    if (!exponent || !exponents.count(*exponent))
      return Status::refuse("exponent is not a constant -1, 0.5, 1, 2 or 3");
    return std::vector<size_t>{0};
  }
  if (op == "BatchNormalization") {
    std::optional<EpilogueStep> affine = batchNormStep(node, context.constantOf);
    const ir::Value* x = node.input(0);
    if (!affine || !x || !x->type.hasStaticShape() || x->type.shape->size() != 4 ||
        affine->scale.size() != size_t(x->type.staticShape()[1]))
      return Status::refuse("not an inference BatchNormalization of a 4-D tensor with constant parameters");
    return std::vector<size_t>{0};
  }
  // The rest are activations.
  if (size_t takes = activationInputs(op); node.inputs().size() > takes)
    return Status::refuse(
        fmt::format("{} inputs, where {} takes {}", node.inputs().size(), op, takes == 1 ? "one" : "at most 3"));
  if (activationStep(node, context.constantOf)) return std::vector<size_t>{0};
  return Status::refuse("activation parameters are not constants the kernels take");
}

std::optional<ElementwiseOperand> classifyOperand(const ir::Value* value, ElementwiseLayout layout,
                                                  const std::vector<int64_t>& dims, const ElementwiseContext& context) {
  if (!isStaticFloat(value)) return std::nullopt;
  const ir::Tensor* constant = context.constantOf(value);
  if (!constant && !context.isComputed(value)) return std::nullopt;
  std::vector<int64_t> shape = value->type.staticShape();
  if (layout == ElementwiseLayout::Plain) {
    if (!broadcastsTo(shape, dims)) return std::nullopt;
    return ElementwiseOperand{OperandKind::Full, shape};
  }
  if (constant && constant->numel() == 1) return ElementwiseOperand{OperandKind::Scalar, {}};
  if (std::optional<OperandKind> kind = channelKind(shape, dims); kind && (constant || shape.size() == 4))
    return ElementwiseOperand{*kind, {}};
  if (!constant && shape == dims) return ElementwiseOperand{OperandKind::Full, {}};
  return std::nullopt;
}

namespace {

class GroupMatcher {
 public:
  GroupMatcher(const ElementwiseContext& context, ElementwiseGroup& group) : c_(context), g_(group) {}

  bool inGroup(const ir::Node* node) const {
    return std::find(g_.nodes.begin(), g_.nodes.end(), node) != g_.nodes.end();
  }
  bool producedInGroup(const ir::Value* value) const { return value && inGroup(value->producer()); }

  bool pending(const ir::Node* node, const std::vector<const ir::Node*>& adds) const {
    return inGroup(node) || std::find(adds.begin(), adds.end(), node) != adds.end();
  }

  // Whether `node` can join, every operand computed in the group, entering as a
  // kernel operand, or computed by an elementwise producer not lowered yet that
  // joins first (x -> Neg -> Exp -> Mul(t, .) pulls in Neg and Exp). Appends
  // the nodes that join, producers first.
  bool collectJoin(const ir::Node& node, std::vector<const ir::Node*>& adds, int depth) const {
    Expected<std::vector<size_t>> inputs = elementwiseDataInputs(node, c_);
    if (!inputs || !isStaticFloat(node.output(0)) || node.output(0)->type.staticShape() != g_.dims) return false;
    if (g_.layout == ElementwiseLayout::Plain && node.opType == "BatchNormalization") return false;
    for (size_t i : *inputs) {
      const ir::Value* value = node.input(i);
      const ir::Node* producer = value ? value->producer() : nullptr;
      if ((producer && pending(producer, adds)) || classifyOperand(value, g_.layout, g_.dims, c_)) continue;
      if (!producer || depth >= kMaxPullDepth || c_.isTaken(producer) || !collectJoin(*producer, adds, depth + 1))
        return false;
    }
    if (!pending(&node, adds)) adds.push_back(&node);
    return true;
  }

  void grow() {
    for (bool changed = true; changed && g_.nodes.size() < kMaxGroupNodes;) {
      changed = false;
      for (size_t n = 0; n < g_.nodes.size() && g_.nodes.size() < kMaxGroupNodes; ++n)
        for (const ir::Use& use : g_.nodes[n]->output(0)->uses()) {
          const ir::Node* user = use.user;
          std::vector<const ir::Node*> adds;
          if (use.inputIndex == ir::Use::kImplicit || inGroup(user) || c_.isTaken(user) || !collectJoin(*user, adds, 0))
            continue;
          g_.nodes.insert(g_.nodes.end(), adds.begin(), adds.end());
          changed = true;
        }
    }
  }

  static bool escapes(const ir::Value* value, const std::function<bool(const ir::Node*)>& member) {
    if (value->isGraphOutput()) return true;
    for (const ir::Use& use : value->uses())
      if (use.inputIndex == ir::Use::kImplicit || !member(use.user)) return true;
    return false;
  }

  // Drops the in-group users (and their dependents) of values that must be stored anyway.
  void prune() {
    auto member = [&](const ir::Node* node) { return inGroup(node); };
    for (bool changed = true; changed;) {
      changed = false;
      for (const ir::Node* node : g_.nodes) {
        const ir::Value* value = node->output(0);
        if (!escapes(value, member)) continue;
        for (const ir::Use& use : value->uses())
          if (use.inputIndex != ir::Use::kImplicit && inGroup(use.user)) removeWithDependents(use.user), changed = true;
        if (changed) break;
      }
    }
  }

  void removeWithDependents(const ir::Node* node) {
    if (!inGroup(node)) return;
    g_.nodes.erase(std::find(g_.nodes.begin(), g_.nodes.end(), node));
    for (const ir::Use& use : node->output(0)->uses()) removeWithDependents(use.user);
  }

  // How every value the group reads from outside enters the kernel.
  void classifyOperands() {
    for (const ir::Node* node : g_.nodes) {
      Expected<std::vector<size_t>> inputs = elementwiseDataInputs(*node, c_);
      for (size_t i : *inputs) {
        const ir::Value* value = node->input(i);
        if (!producedInGroup(value)) g_.operands.emplace(value, *classifyOperand(value, g_.layout, g_.dims, c_));
      }
    }
  }

  void collectOutputs() {
    for (const ir::Node* node : g_.nodes) {
      const ir::Value* value = node->output(0);
      bool usedInside = false;
      for (const ir::Use& use : value->uses()) usedInside |= use.inputIndex != ir::Use::kImplicit && inGroup(use.user);
      if (!usedInside) g_.outputs.push_back(value);
    }
  }

 private:
  const ElementwiseContext& c_;
  ElementwiseGroup& g_;
};

}  // namespace

Expected<ElementwiseGroup> matchElementwiseGroup(const ir::Node& seed, const ElementwiseContext& context) {
  Expected<std::vector<size_t>> inputs = elementwiseDataInputs(seed, context);
  if (!inputs) return inputs.status();
  const ir::Value* out = seed.output(0);
  if (!isStaticFloat(out)) return Status::refuse("output is not a statically shaped float tensor");
  ElementwiseGroup group;
  group.dims = out->type.staticShape();
  // Nothing to compute (and the row split divides by the dims): the reference runs it.
  if (std::find(group.dims.begin(), group.dims.end(), 0) != group.dims.end()) return Status::refuse("empty output");
  auto fits = [&](ElementwiseLayout layout) {
    for (size_t i : *inputs)
      if (!classifyOperand(seed.input(i), layout, group.dims, context)) return false;
    return true;
  };
  if (group.dims.size() == 4 && fits(ElementwiseLayout::Blocked))
    group.layout = ElementwiseLayout::Blocked;
  else if (seed.opType != "BatchNormalization" && fits(ElementwiseLayout::Plain))
    group.layout = ElementwiseLayout::Plain;
  else
    return Status::refuse("operands are not static float tensors broadcasting to the output numpy-style");
  group.nodes = {&seed};
  GroupMatcher matcher(context, group);
  matcher.grow();
  matcher.prune();
  matcher.classifyOperands();
  matcher.collectOutputs();
  return group;
}

}  // namespace convopt::codegen
