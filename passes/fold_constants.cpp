// fold-constants: values that do not depend on the graph inputs become initializers.
//
//   Before: w = Constant<value = float[2] {1, 2}>(); y = Mul(x, w)
//   After:  <float[2] w = {1, 2}>  y = Mul(x, w)
//   Before: s = Shape(x) with x: float[1,8,4,4]     After: <int64[4] s = {1, 8, 4, 4}>
//   Before: g = Gather(s, i); u = Unsqueeze(g, a); c = Concat(u, k); y = Reshape(x, c)
//   After:  <int64[2] c = {...}>  y = Reshape(x, c)     (once s is constant, in one sweep)
//
// Legality (each failing condition is a rejection reason):
//   - Constant: the value is a tensor, value_float(s) or value_int(s)
//     (sparse and string values stay);
//   - Shape: the input's shape is fully static (after shape inference);
//   - any other default-domain node whose inputs are all constants: the reference
//     interpreter implements it, it is deterministic (no Random*, Bernoulli,
//     Multinomial), has no subgraph, and its outputs take at most
//     max(PassOptions::maxFoldGrowthBytes, the inputs' bytes), so folding never bloats the model
//     (an Expand of a scalar stays an Expand, int8 weights stay quantized).
// Nodes are visited in topological order, so whole chains fold in one run.
// The folded value keeps its name, so graph outputs and readers are unaffected.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "ir/memory_limit.h"
#include "passes/candidate_loop.h"
#include "passes/conv_utils.h"
#include "runtime/reference/interpreter.h"

namespace convopt::passes {
namespace {

Expected<ir::Tensor> constantValue(const ir::Node& node) {
  if (node.attributes.size() != 1) return Status::refuse("Constant without exactly one value attribute");
  const ir::Attribute& a = node.attributes[0];
  if (a.name == "value" && a.kind == ir::AttrKind::Tensor) return a.t;
  if (a.name == "value_float") return ir::Tensor::fromVector(ir::DType::Float, {}, std::vector<float>{a.f});
  if (a.name == "value_floats")
    return ir::Tensor::fromVector(ir::DType::Float, {static_cast<int64_t>(a.floats.size())}, a.floats);
  if (a.name == "value_int") return ir::Tensor::scalarInt64(a.i);
  if (a.name == "value_ints")
    return ir::Tensor::fromVector(ir::DType::Int64, {static_cast<int64_t>(a.ints.size())}, a.ints);
  return Status::refuse("Constant value '" + a.name + "' is not folded (sparse or string)");
}

Expected<ir::Tensor> shapeValue(const ir::Node& node) {
  const ir::Value* in = node.input(0);
  if (!in || !in->type.hasStaticShape()) return Status::refuse("input shape is not static");
  std::vector<int64_t> dims = in->type.staticShape();
  auto rank = static_cast<int64_t>(dims.size());
  auto clampAxis = [&](int64_t axis) { return std::clamp(axis < 0 ? axis + rank : axis, int64_t{0}, rank); };
  int64_t start = clampAxis(node.getInt("start", 0)), end = clampAxis(node.getInt("end", rank));
  std::vector<int64_t> kept(dims.begin() + start, dims.begin() + std::max(start, end));
  return ir::Tensor::fromVector(ir::DType::Int64, {static_cast<int64_t>(kept.size())}, kept);
}

bool hasConstantInputs(const ir::Node& node) {
  bool any = false;
  for (const ir::Value* in : node.inputs()) {
    if (in && !constantTensor(in)) return false;
    any = any || in;
  }
  return any && node.implicitInputs().empty();
}

bool isCandidate(const ir::Node& node) {
  return node.domain.empty() && (node.opType == "Constant" || node.opType == "Shape" || hasConstantInputs(node));
}

Expected<std::vector<ir::Tensor>> evaluated(const ir::Node& node, int64_t opset, size_t maxGrowthBytes) {
  static const std::set<std::string> nondeterministic = {"RandomNormal",      "RandomNormalLike", "RandomUniform",
                                                         "RandomUniformLike", "Bernoulli",        "Multinomial"};
  if (nondeterministic.count(node.opType)) return Status::refuse("op is not deterministic");
  if (!node.subgraphs().empty()) return Status::refuse("op has a subgraph attribute");
  for (const ir::Attribute& a : node.attributes)
    if (a.kind == ir::AttrKind::Opaque) return Status::refuse("op has an attribute the IR keeps serialized");
  if (!runtime::referenceSupports(node.domain, node.opType))
    return Status::refuse("the reference interpreter does not implement it");
  std::vector<const ir::Tensor*> inputs;
  size_t inputBytes = 0;
  for (const ir::Value* in : node.inputs()) {
    inputs.push_back(in ? constantTensor(in) : nullptr);  // a capture's is the outer constant
    if (in) inputBytes += inputs.back()->byteSize();
  }
  // Judged by the inferred sizes first: ConstantOfShape([1e12]) must not be evaluated to find out,
  // so an output whose size inference could not tell is not evaluated either.
  size_t limit = std::max(maxGrowthBytes, inputBytes);
  for (const ir::Value* out : node.outputs()) {
    if (out && !out->type.hasStaticShape()) return Status::refuse("its output's size is not known before evaluating");
    if (out && ir::staticByteSize(out->type) > limit)
      return Status::refuse(fmt::format("output of {} bytes would grow the model", ir::staticByteSize(out->type)));
  }
  std::vector<ir::Tensor> outputs = runtime::runNodeReference(node, inputs, opset);
  for (const ir::Tensor& t : outputs)
    if (t.byteSize() > limit)
      return Status::refuse(fmt::format("output of {} bytes would grow the model", t.byteSize()));
  return outputs;
}

Expected<std::vector<ir::Tensor>> evaluatedOrRead(const ir::Node& node, int64_t opset, size_t maxGrowthBytes) {
  if (node.opType != "Constant" && node.opType != "Shape") return evaluated(node, opset, maxGrowthBytes);
  Expected<ir::Tensor> value = node.opType == "Constant" ? constantValue(node) : shapeValue(node);
  if (!value) return value.status();
  std::vector<ir::Tensor> values;
  values.push_back(std::move(*value));
  return values;
}

// The values of the node's outputs, or why they are not folded.
Expected<std::vector<ir::Tensor>> foldedValues(const ir::Node& node, int64_t opset, size_t maxGrowthBytes) {
  Expected<std::vector<ir::Tensor>> values = evaluatedOrRead(node, opset, maxGrowthBytes);
  if (values && values->size() != node.outputs().size())  // a node with more outputs than its op has
    return Status::refuse(fmt::format("{} outputs, {} values", node.outputs().size(), values->size()));
  return values;
}

// Makes the node's outputs initializers under the same names (omitted outputs
// stay omitted): readers move to placeholders while the node is erased.
void replaceWithConstants(ir::Graph& graph, ir::Node* node, std::vector<ir::Tensor> tensors) {
  std::vector<std::pair<ir::Value*, std::string>> placeholders;
  for (ir::Value* out : node->outputs()) {
    if (!out) {
      placeholders.emplace_back(nullptr, "");
      continue;
    }
    ir::Value* placeholder = graph.createValue(graph.uniqueName(out->name() + "_folding"));
    graph.replaceAllUsesWith(out, placeholder);
    placeholders.emplace_back(placeholder, out->name());
  }
  graph.eraseNode(node);
  for (size_t i = 0; i < placeholders.size(); ++i) {
    auto [placeholder, name] = placeholders[i];
    if (!placeholder) continue;
    tensors[i].name = name;
    graph.replaceAllUsesWith(placeholder, graph.addInitializer(std::move(tensors[i])));
    graph.eraseValue(placeholder);
  }
}

class FoldConstantsPass final : public Pass {
 public:
  std::string_view name() const override { return "fold-constants"; }

  void run(ir::Graph& graph, PassContext& context) override {
    rewriteCandidates(
        graph, context, isCandidate,
        [&](ir::Node& node) {
          return foldedValues(node, context.model.defaultOpset(), context.options.maxFoldGrowthBytes);
        },
        [&](ir::Node& node, std::vector<ir::Tensor>& values) {
          replaceWithConstants(graph, &node, std::move(values));
        });
  }
};

}  // namespace

std::unique_ptr<Pass> createFoldConstantsPass() { return std::make_unique<FoldConstantsPass>(); }

}  // namespace convopt::passes
