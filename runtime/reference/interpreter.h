// The reference interpreter: plain loops over plain indexing, the oracle every
// rewrite and every generated kernel is checked against.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"

namespace convopt::runtime {

using TensorMap = std::map<std::string, ir::Tensor>;

// Opset assumed by the overloads that get no opset: the newest this
// interpreter implements. Ops whose semantics changed across opsets (Softmax's
// axis, ...) need the real one: prefer the Model or explicit-opset overloads.
inline constexpr int64_t kReferenceDefaultOpset = 21;

// Runs the whole graph. `inputs` holds a tensor per graph input that is not an
// initializer; an initializer that is also a graph input may be overridden
// from IR version 4 on, and is a constant below (feeding it is an InputError);
// returns every graph output by name. Throws InputError naming the node for
// unsupported ops or mismatched shapes, naming the input for missing or
// mistyped inputs.
TensorMap runReference(const ir::Graph& graph, const TensorMap& inputs);
// Called with each value a run binds (inputs, captures, initializers) or computes, in the
// graph and in every run of its bodies: how a caller sees a body's values.
using ValueObserver = std::function<void(const ir::Value& value, const ir::Tensor& tensor)>;
TensorMap runReference(const ir::Graph& graph, const TensorMap& inputs, int64_t opset,
                       const ValueObserver* observer = nullptr);
// Uses the model's default-domain opset.
TensorMap runReference(const ir::Model& model, const TensorMap& inputs);

// A body's inputs and captures bound to tensors, by the body's values.
using BodyBindings = std::unordered_map<const ir::Value*, const ir::Tensor*>;
// Runs a body on its bindings and returns its outputs in order: how control
// flow (If, Loop, Scan) runs its bodies. The reference runs them node by node;
// the JIT engine passes one that runs them compiled (codegen/engine/body_engines.h).
using BodyRunner = std::function<std::vector<ir::Tensor>(const ir::Graph& body, const BodyBindings& bound)>;

// Runs one node on the given input tensors (nullptr for omitted optional
// inputs) and, for a node with subgraphs, the tensors of its implicit inputs
// (node.implicitInputs(), in order), its bodies run by `bodyRunner` when given;
// returns its outputs in order. Used by engines to fall back per node.
std::vector<ir::Tensor> runNodeReference(const ir::Node& node, std::span<const ir::Tensor* const> inputs);
std::vector<ir::Tensor> runNodeReference(const ir::Node& node, std::span<const ir::Tensor* const> inputs, int64_t opset,
                                         std::span<const ir::Tensor* const> implicitInputs = {},
                                         const BodyRunner* bodyRunner = nullptr);

// True if the interpreter implements this op (default domain).
bool referenceSupports(const std::string& domain, const std::string& opType);

}  // namespace convopt::runtime
