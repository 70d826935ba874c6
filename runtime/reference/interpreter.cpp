// Graph execution: binds inputs and initializers, runs the nodes in order
// through the kernel registry and frees each intermediate after its last use.
#include "runtime/reference/interpreter.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/ranges.h>

#include "ir/error.h"
#include "ir/memory_limit.h"
#include "ir/printer.h"
#include "runtime/reference/kernel.h"

namespace convopt::runtime {

using reference::KernelContext;
using reference::kernelRegistry;

bool referenceSupports(const std::string& domain, const std::string& opType) {
  return kernelRegistry().find(domain, opType) != nullptr;
}

std::vector<ir::Tensor> runNodeReference(const ir::Node& node, std::span<const ir::Tensor* const> inputs, int64_t opset,
                                         std::span<const ir::Tensor* const> implicitInputs,
                                         const BodyRunner* bodyRunner) {
  const reference::Kernel* kernel = kernelRegistry().find(node.domain, node.opType);
  if (!kernel)
    throwInputError("node '{}': op {}{}{} is not supported by the reference interpreter", node.label(), node.domain,
                    node.domain.empty() ? "" : "::", node.opType);
  for (const ir::Tensor* in : inputs)
    if (in && ir::elementSize(in->dtype()) == 0)
      throwInputError("node '{}' ({}): element type {} is not supported by the reference interpreter", node.label(),
                      node.opType, ir::dtypeName(in->dtype()));
  if (implicitInputs.size() != node.implicitInputs().size())
    throwInputError("node '{}' ({}): its subgraphs read {} outer values, {} given", node.label(), node.opType,
                    node.implicitInputs().size(), implicitInputs.size());
  std::vector<ir::Tensor> outputs = (*kernel)(KernelContext(node, inputs, opset, implicitInputs, bodyRunner));
  size_t wanted = node.outputs().size();  // trailing omitted optional outputs are not wanted
  while (wanted > 0 && !node.outputs()[wanted - 1]) --wanted;
  if (outputs.size() < wanted)
    throwInputError("node '{}' ({}) asks for {} outputs; the reference interpreter computes {}", node.label(),
                    node.opType, wanted, outputs.size());
  return outputs;
}

std::vector<ir::Tensor> runNodeReference(const ir::Node& node, std::span<const ir::Tensor* const> inputs) {
  return runNodeReference(node, inputs, kReferenceDefaultOpset);
}

namespace {

// Whether `tensor` has the element type and every static dim `value` declares.
bool fitsDeclared(const ir::Value& value, const ir::Tensor& tensor) {
  if (value.type.dtype != ir::DType::Undefined && value.type.dtype != tensor.dtype()) return false;
  return value.type.admits(tensor.dims());
}

std::string tensorTypeText(const ir::Tensor& tensor) {
  return fmt::format("{} [{}]", ir::dtypeName(tensor.dtype()), fmt::join(tensor.dims(), ","));
}

void checkInput(const ir::Value& value, const ir::Tensor& tensor) {
  if (!fitsDeclared(value, tensor))
    throwInputError("input '{}' is {}, the graph expects {}", value.name(), tensorTypeText(tensor),
                    ir::typeText(value.type));
}

// A value whose size is known only at run time (a Resize reading its scales
// from an input) against what the model declares for it: the JIT engine sizes
// its buffer by the declaration, so both engines refuse the contradiction.
void checkComputed(const ir::Node& node, const ir::Value& value, const ir::Tensor& tensor) {
  if (!fitsDeclared(value, tensor))
    throwInputError("node {}: computes {} for '{}', which the model declares {}", node.label(), tensorTypeText(tensor),
                    value.name(), ir::typeText(value.type));
}

}  // namespace

namespace {

using Bindings = BodyBindings;

const ir::Tensor* lookup(const Bindings& available, const ir::Node& node, const ir::Value* value) {
  auto it = available.find(value);
  if (it == available.end())
    throwInputError("node '{}' reads '{}' before it is computed (graph not in topological order?)", node.label(),
                    value->name());
  return it->second;
}

// Runs the nodes of `graph` in order, `available` holding its inputs and
// captures; initializers not bound there are bound to their tensors. Frees each
// intermediate after its last use; returns the graph's outputs in order.
std::vector<ir::Tensor> runNodes(const ir::Graph& graph, Bindings available, int64_t opset,
                                 const BodyRunner* bodyRunner = nullptr, const ValueObserver* observer = nullptr) {
  std::unordered_map<const ir::Value*, ir::Tensor> computed;
  std::unordered_map<const ir::Value*, size_t> pendingUses;
  for (const ir::Value* init : graph.initializers()) available.emplace(init, init->initializer());
  if (observer)
    for (const auto& [value, tensor] : available) (*observer)(*value, *tensor);
  for (const ir::Value* v : graph.values()) pendingUses[v] = v->uses().size() + (v->isGraphOutput() ? 1 : 0);
  auto release = [&](const ir::Value* v) {
    if (v && --pendingUses[v] == 0 && computed.count(v)) {
      available.erase(v);
      computed.erase(v);
    }
  };
  for (const ir::Node* node : graph.nodes()) {
    std::vector<const ir::Tensor*> args, captured;
    for (const ir::Value* in : node->inputs()) args.push_back(in ? lookup(available, *node, in) : nullptr);
    for (const ir::Value* in : node->implicitInputs()) captured.push_back(lookup(available, *node, in));
    std::vector<ir::Tensor> results = runNodeReference(*node, args, opset, captured, bodyRunner);
    for (size_t i = 0; i < node->outputs().size() && i < results.size(); ++i) {
      const ir::Value* out = node->outputs()[i];
      if (!out) continue;  // omitted optional output
      checkComputed(*node, *out, results[i]);
      if (observer) (*observer)(*out, results[i]);
      available[out] = &(computed[out] = std::move(results[i]));
    }
    for (const ir::Value* in : node->inputs()) release(in);
    for (const ir::Value* in : node->implicitInputs()) release(in);
  }
  std::vector<ir::Tensor> outputs;
  for (const ir::Value* out : graph.outputs()) {
    auto it = available.find(out);
    if (it == available.end()) throwInputError("graph output '{}' is never computed", out->name());
    outputs.push_back(*it->second);
  }
  return outputs;
}

}  // namespace

TensorMap runReference(const ir::Graph& graph, const TensorMap& inputs, int64_t opset, const ValueObserver* observer) {
  Bindings available;
  for (const ir::Value* input : graph.inputs()) {
    auto it = inputs.find(input->name());
    if (it == inputs.end()) {
      if (!input->isInitializer()) throwInputError("no tensor given for graph input '{}'", input->name());
      continue;
    }
    checkInput(*input, it->second);
    available[input] = &it->second;
  }
  for (const auto& [name, tensor] : inputs) {
    const ir::Value* v = graph.findValue(name);
    if (!v || !v->isGraphInput()) throwInputError("'{}' is not an input of the graph", name);
    if (v->isConstant())
      throwInputError("'{}' is a constant (an initializer listed as an input in an IR version < 4 model), not an input",
                      name);
  }
  ir::checkDeclaredSizes(graph);
  BodyRunner observedBodies;  // the bodies run like the graph, observed
  if (observer)
    observedBodies = [&](const ir::Graph& body, const BodyBindings& bound) {
      return runNodes(body, bound, opset, &observedBodies, observer);
    };
  std::vector<ir::Tensor> results =
      runNodes(graph, std::move(available), opset, observer ? &observedBodies : nullptr, observer);
  TensorMap outputs;
  for (size_t i = 0; i < results.size(); ++i) outputs[graph.outputs()[i]->name()] = std::move(results[i]);
  return outputs;
}

namespace reference {

std::vector<Tensor> KernelContext::runBody(const ir::Graph& body, std::span<const Tensor* const> inputs) const {
  if (inputs.size() != body.inputs().size())
    fail("its body '{}' takes {} inputs; {} given", body.name, body.inputs().size(), inputs.size());
  Bindings bound;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ir::Value& input = *body.inputs()[i];
    if (input.type.dtype != DType::Undefined && inputs[i]->dtype() != input.type.dtype)
      fail("body input '{}' is {}, given {}", input.name(), ir::dtypeName(input.type.dtype),
           ir::dtypeName(inputs[i]->dtype()));
    bound[&input] = inputs[i];
  }
  for (const ir::Value* capture : body.captures()) {
    const auto& outer = node.implicitInputs();
    auto it =
        std::find_if(outer.begin(), outer.end(), [&](const ir::Value* v) { return v->name() == capture->name(); });
    if (it == outer.end() || size_t(it - outer.begin()) >= implicitInputs_.size())
      fail("its body reads '{}', which the node does not capture", capture->name());
    bound[capture] = implicitInputs_[it - outer.begin()];
  }
  if (bodyRunner_ && *bodyRunner_) return (*bodyRunner_)(body, bound);
  return runNodes(body, std::move(bound), opset);
}

}  // namespace reference

TensorMap runReference(const ir::Graph& graph, const TensorMap& inputs) {
  return runReference(graph, inputs, kReferenceDefaultOpset);
}

TensorMap runReference(const ir::Model& model, const TensorMap& inputs) {
  int64_t opset = model.defaultOpset();
  return runReference(*model.graph, inputs, opset > 0 ? opset : kReferenceDefaultOpset);
}

}  // namespace convopt::runtime
