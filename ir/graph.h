// The graph IR: Values (SSA edges, with use lists), Nodes (ops) and the Graph
// that owns both. Use-def chains are kept up to date by every mutator, so a
// pass can replace uses and erase nodes without re-scanning the graph.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ir/attribute.h"
#include "ir/tensor.h"

namespace convopt::ir {

class Node;
class Graph;

// One dimension: a known size, or a symbolic name, or unknown (value -1, no name).
struct Dim {
  int64_t value = -1;
  std::string param;
  bool isStatic() const { return value >= 0; }
  bool operator==(const Dim&) const = default;
};

// Type of a tensor value. `shape` is empty when even the rank is unknown.
// Non-tensor types (sequences, maps, optionals) keep their serialized TypeProto.
struct ValueType {
  DType dtype = DType::Undefined;
  std::optional<std::vector<Dim>> shape;
  std::string opaqueTypeProto;

  bool hasStaticShape() const;
  std::vector<int64_t> staticShape() const;  // requires hasStaticShape()
  // Whether a tensor of these dims fits: same rank (when known), every static dim equal.
  bool admits(const std::vector<int64_t>& dims) const;
  static ValueType tensor(DType dtype, const std::vector<int64_t>& dims);
  bool operator==(const ValueType&) const = default;
};

struct Use {
  static constexpr size_t kImplicit = SIZE_MAX;  // captured by a subgraph
  Node* user;
  size_t inputIndex;
};

class Value {
 public:
  const std::string& name() const { return name_; }
  Node* producer() const { return producer_; }
  const std::vector<Use>& uses() const { return uses_; }
  bool hasUses() const { return !uses_.empty(); }

  const Tensor* initializer() const { return initializer_.get(); }
  Tensor* mutableInitializer() { return initializer_.get(); }
  bool isInitializer() const { return initializer_ != nullptr; }
  bool isGraphInput() const { return isGraphInput_; }
  bool isGraphOutput() const { return isGraphOutput_; }
  // Read by name from an enclosing graph (a subgraph's outer-scope value): it
  // has no producer here, and the node owning the subgraph lists the outer
  // value among its implicit inputs.
  bool isCapture() const { return isCapture_; }
  // The value this one stands for: itself, or for a capture the value of an
  // enclosing graph it reads (through every level of nesting); null if the
  // enclosing graph is not known or lacks it.
  const Value* definition() const;
  // An initializer no caller can replace: not a graph input, or a graph input
  // of a graph whose initializer inputs are constants (IR version < 4).
  bool isConstant() const;

  ValueType type;
  std::string docString;
  bool hasValueInfo = false;  // listed in the model's value_info

 private:
  friend class Graph;
  friend class Node;
  Graph* graph_ = nullptr;
  std::string name_;
  Node* producer_ = nullptr;
  std::vector<Use> uses_;
  std::unique_ptr<Tensor> initializer_;
  bool isGraphInput_ = false;
  bool isGraphOutput_ = false;
  bool isCapture_ = false;
};

class Node {
 public:
  std::string name;
  std::string opType;
  std::string domain;  // "" is the default ONNX domain
  std::string docString;
  std::vector<Attribute> attributes;

  Graph& graph() const { return *graph_; }
  // Inputs; an omitted optional input is nullptr.
  const std::vector<Value*>& inputs() const { return inputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  Value* input(size_t i) const { return i < inputs_.size() ? inputs_[i] : nullptr; }
  Value* output(size_t i) const { return outputs_.at(i); }
  // Outer-scope values read by subgraph attributes (If/Loop/Scan bodies).
  const std::vector<Value*>& implicitInputs() const { return implicitInputs_; }
  // The bodies of its graph attributes, in attribute order.
  std::vector<Graph*> subgraphs() const;

  void setInput(size_t i, Value* value);
  void addInput(Value* value);
  void removeTrailingInputs(size_t keep);
  void addImplicitInput(Value* value);

  const Attribute* findAttribute(std::string_view name) const;
  int64_t getInt(std::string_view name, int64_t fallback) const;
  float getFloat(std::string_view name, float fallback) const;
  std::string getString(std::string_view name, std::string fallback) const;
  std::vector<int64_t> getInts(std::string_view name, std::vector<int64_t> fallback) const;
  void setAttribute(Attribute attribute);  // replaces one of the same name
  void removeAttribute(std::string_view name);

  // "name" if the node has one, else "op_type(first output)": for messages.
  std::string label() const;
  // Where the body held by attribute `attribute` lives, below `scope` (the
  // scope of this node's graph, "" for the main graph): "If(y)/then_branch",
  // "If(y)/then_branch/Loop(z)/body". What reports name a body's nodes by.
  std::string bodyScope(const std::string& scope, const std::string& attribute) const;

 private:
  friend class Graph;
  Graph* graph_ = nullptr;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::vector<Value*> implicitInputs_;
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  std::unique_ptr<Graph> clone() const;

  std::string name;
  std::string docString;
  // How an initializer that is also a graph input behaves. IR version < 4
  // required every initializer to be listed as an input, and it is a constant;
  // from IR 4 on, such an initializer is a default a fed input overrides.
  // Import sets this from the model's ir_version (as onnxruntime reads it).
  bool initializerInputsAreConstant = false;
  // The graph whose node owns this subgraph; null for a main graph. Kept by
  // import and clone (a copied attribute's body keeps its enclosing graph).
  const Graph* enclosing() const { return enclosing_; }
  // Makes this graph the enclosing graph of its nodes' bodies, at every depth.
  void adoptSubgraphs();
  // Serialized GraphProto holding only the fields the IR does not model
  // (sparse initializers, quantization annotations): merged back on export.
  std::string residue;

  // Nodes in program order (topological once verified or sorted).
  std::vector<Node*> nodes() const;
  size_t numNodes() const { return nodes_.size(); }
  const std::vector<Value*>& inputs() const { return inputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  const std::vector<Value*>& initializers() const { return initializers_; }
  const std::vector<Value*>& captures() const { return captures_; }
  // Every value the graph owns, in creation order.
  std::vector<Value*> values() const;

  Value* findValue(std::string_view name) const;
  // A name no value of this graph, its enclosing graphs or its bodies has yet, derived from `base`.
  std::string uniqueName(std::string_view base) const;

  // Creates a value with exactly this name; throws if the name is taken.
  Value* createValue(const std::string& name);
  Value* addInput(const std::string& name, ValueType type);
  // The value stays (with its uses); it is no longer a graph input.
  void removeInput(Value* value);
  Value* addInitializer(Tensor tensor);  // tensor.name names the value
  // A value this (sub)graph reads from an enclosing scope by name.
  Value* addCapture(const std::string& name);
  // Makes a copy of a body a graph of its own (compiled alone): each capture
  // becomes an initializer where it reads a constant, else a graph input of
  // its definition's type; the graph then has no enclosing graph.
  void detachFromEnclosing();
  void markOutput(Value* value);
  void setOutputs(std::vector<Value*> outputs);
  // Gives the value a new name no other value of the graph has.
  void renameValue(Value* value, const std::string& newName);
  // Makes the value a constant/not a constant (keeping its name and uses).
  void setInitializer(Value* value, Tensor tensor);

  // Appends a node (or inserts it before `before`). Output values are created
  // with the given names, which must be new.
  Node* createNode(std::string opType, const std::vector<Value*>& inputs, const std::vector<std::string>& outputNames,
                   Node* before = nullptr);

  // Every use of `from` (node inputs, implicit inputs, graph outputs) now reads
  // `to`; subgraphs that captured `from` by name capture `to` instead.
  void replaceAllUsesWith(Value* from, Value* to);
  // Erases the captures of the node's bodies that nothing reads any more, and
  // the implicit inputs of the node that no body captures then.
  void pruneCaptures(Node* node);
  // Removes a node whose outputs have no uses (graph outputs count as uses).
  void eraseNode(Node* node);
  // Removes a value that has no producer, no uses and is not a graph input/output.
  void eraseValue(Value* value);

  // Orders nodes so every input is defined before use. Returns false (order
  // unchanged) if the graph has a cycle; `cycleNode` then names a node on it.
  bool topologicalSort(Node** cycleNode = nullptr);

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::unordered_map<std::string, Value*> valuesByName_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::vector<Value*> initializers_;
  std::vector<Value*> captures_;
  const Graph* enclosing_ = nullptr;
};

// A whole model: the main graph plus what ONNX keeps around it.
struct OpsetImport {
  std::string domain;
  int64_t version = 0;
  bool operator==(const OpsetImport&) const = default;
};

struct Model {
  std::unique_ptr<Graph> graph = std::make_unique<Graph>();
  std::vector<OpsetImport> opsets;
  int64_t irVersion = 0;
  std::string producerName;
  std::string producerVersion;
  std::vector<std::pair<std::string, std::string>> metadata;
  // Serialized ModelProto holding only the fields the IR does not model
  // (functions, training info, ...): merged back on export.
  std::string modelResidue;
  // The files import read external data from (not exported): what a command
  // writing files must not replace, as it must not replace the model.
  std::vector<std::filesystem::path> externalDataFiles;

  // An independent copy (graph, bodies and all).
  Model clone() const;
  // One of its bodies as a model of its own, compiled alone: a copy of `body`
  // detached from its enclosing graphs (Graph::detachFromEnclosing), with this
  // model's opsets and IR version.
  Model bodyAsModel(const Graph& body) const;
  // Version of the default ("" / "ai.onnx") domain; 0 if not imported. A domain
  // imported twice means its last version, as to libonnx and onnxruntime.
  int64_t defaultOpset() const;
};

}  // namespace convopt::ir
