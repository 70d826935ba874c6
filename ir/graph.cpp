#include "ir/graph.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include <fmt/format.h>

namespace convopt::ir {

bool ValueType::hasStaticShape() const {
  return shape && std::all_of(shape->begin(), shape->end(), [](const Dim& d) { return d.isStatic(); });
}

std::vector<int64_t> ValueType::staticShape() const {
  std::vector<int64_t> dims;
  for (const Dim& d : shape.value()) dims.push_back(d.value);
  return dims;
}

bool ValueType::admits(const std::vector<int64_t>& dims) const {
  if (!shape) return true;
  if (shape->size() != dims.size()) return false;
  for (size_t i = 0; i < dims.size(); ++i)
    if ((*shape)[i].isStatic() && (*shape)[i].value != dims[i]) return false;
  return true;
}

ValueType ValueType::tensor(DType dtype, const std::vector<int64_t>& dims) {
  ValueType t;
  t.dtype = dtype;
  t.shape.emplace();
  for (int64_t d : dims) t.shape->push_back(Dim{d, {}});
  return t;
}

// ---- Subgraph ----

Subgraph::Subgraph(std::unique_ptr<Graph> graph) : graph_(std::move(graph)) {}
Subgraph::Subgraph(const Subgraph& other) : graph_(other.graph_->clone()) {}
Subgraph& Subgraph::operator=(const Subgraph& other) {
  if (this != &other) graph_ = other.graph_->clone();
  return *this;
}
Subgraph::Subgraph(Subgraph&&) noexcept = default;
Subgraph& Subgraph::operator=(Subgraph&&) noexcept = default;
Subgraph::~Subgraph() = default;

// ---- Node ----

namespace {
void removeUse(Value* value, Node* user, size_t index, std::vector<Use>& uses) {
  auto it =
      std::find_if(uses.begin(), uses.end(), [&](const Use& u) { return u.user == user && u.inputIndex == index; });
  if (it == uses.end()) throw std::logic_error("use list of '" + value->name() + "' is stale");
  uses.erase(it);
}
}  // namespace

void Node::setInput(size_t i, Value* value) {
  if (i >= inputs_.size()) inputs_.resize(i + 1, nullptr);
  if (Value* old = inputs_[i]) removeUse(old, this, i, old->uses_);
  inputs_[i] = value;
  if (value) value->uses_.push_back({this, i});
}

void Node::addInput(Value* value) { setInput(inputs_.size(), value); }

void Node::removeTrailingInputs(size_t keep) {
  for (size_t i = keep; i < inputs_.size(); ++i) setInput(i, nullptr);
  if (inputs_.size() > keep) inputs_.resize(keep);
}

void Node::addImplicitInput(Value* value) {
  if (std::find(implicitInputs_.begin(), implicitInputs_.end(), value) != implicitInputs_.end()) return;
  implicitInputs_.push_back(value);
  value->uses_.push_back({this, Use::kImplicit});
}

const Attribute* Node::findAttribute(std::string_view attrName) const {
  for (const Attribute& a : attributes)
    if (a.name == attrName) return &a;
  return nullptr;
}

int64_t Node::getInt(std::string_view attrName, int64_t fallback) const {
  const Attribute* a = findAttribute(attrName);
  return a && a->kind == AttrKind::Int ? a->i : fallback;
}

float Node::getFloat(std::string_view attrName, float fallback) const {
  const Attribute* a = findAttribute(attrName);
  return a && a->kind == AttrKind::Float ? a->f : fallback;
}

std::string Node::getString(std::string_view attrName, std::string fallback) const {
  const Attribute* a = findAttribute(attrName);
  return a && a->kind == AttrKind::String ? a->s : fallback;
}

std::vector<int64_t> Node::getInts(std::string_view attrName, std::vector<int64_t> fallback) const {
  const Attribute* a = findAttribute(attrName);
  return a && a->kind == AttrKind::Ints ? a->ints : fallback;
}

void Node::setAttribute(Attribute attribute) {
  for (Attribute& a : attributes)
    if (a.name == attribute.name) {
      a = std::move(attribute);
      return;
    }
  attributes.push_back(std::move(attribute));
}

void Node::removeAttribute(std::string_view attrName) {
  std::erase_if(attributes, [&](const Attribute& a) { return a.name == attrName; });
}

std::vector<Graph*> Node::subgraphs() const {
  std::vector<Graph*> bodies;
  for (const Attribute& a : attributes)
    for (const Subgraph& body : a.graphs) bodies.push_back(&*body);
  return bodies;
}

std::string Node::bodyScope(const std::string& scope, const std::string& attribute) const {
  return (scope.empty() ? "" : scope + "/") + label() + "/" + attribute;
}

std::string Node::label() const {
  if (!name.empty()) return name;
  std::string first = outputs_.empty() || !outputs_[0] ? "" : outputs_[0]->name();
  return fmt::format("{}({})", opType, first);
}

const Value* Value::definition() const {
  const Value* v = this;
  while (v && v->isCapture_) v = v->graph_->enclosing() ? v->graph_->enclosing()->findValue(v->name_) : nullptr;
  return v;
}

bool Value::isConstant() const { return initializer_ && (!isGraphInput_ || graph_->initializerInputsAreConstant); }

// ---- Graph ----

std::vector<Node*> Graph::nodes() const {
  std::vector<Node*> out;
  out.reserve(nodes_.size());
  for (const auto& n : nodes_) out.push_back(n.get());
  return out;
}

std::vector<Value*> Graph::values() const {
  std::vector<Value*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v.get());
  return out;
}

Value* Graph::findValue(std::string_view valueName) const {
  auto it = valuesByName_.find(std::string(valueName));
  return it == valuesByName_.end() ? nullptr : it->second;
}

namespace {

// Whether a value of `graph` or of a body below it has this name.
bool definedAtOrBelow(const Graph& graph, const std::string& name) {
  if (graph.findValue(name)) return true;
  for (const Node* node : graph.nodes())
    for (const Graph* body : node->subgraphs())
      if (definedAtOrBelow(*body, name)) return true;
  return false;
}

}  // namespace

std::string Graph::uniqueName(std::string_view base) const {
  // ONNX forbids a body to shadow an outer name, so the enclosing graphs and the bodies count too.
  auto taken = [&](const std::string& name) {
    for (const Graph* outer = enclosing_; outer; outer = outer->enclosing_)
      if (outer->findValue(name)) return true;
    return definedAtOrBelow(*this, name);
  };
  std::string candidate(base);
  for (int suffix = 1; taken(candidate); ++suffix) candidate = fmt::format("{}_{}", base, suffix);
  return candidate;
}

Value* Graph::createValue(const std::string& valueName) {
  if (valueName.empty()) throw std::invalid_argument("a value needs a name");
  if (findValue(valueName)) throw std::invalid_argument("value '" + valueName + "' is defined twice");
  auto value = std::make_unique<Value>();
  value->graph_ = this;
  value->name_ = valueName;
  Value* raw = value.get();
  values_.push_back(std::move(value));
  valuesByName_[valueName] = raw;
  return raw;
}

Value* Graph::addInput(const std::string& valueName, ValueType type) {
  Value* v = findValue(valueName);
  if (!v) v = createValue(valueName);
  v->type = std::move(type);
  v->isGraphInput_ = true;
  inputs_.push_back(v);
  return v;
}

void Graph::removeInput(Value* value) {
  std::erase(inputs_, value);
  value->isGraphInput_ = false;
}

Value* Graph::addInitializer(Tensor tensor) {
  Value* v = findValue(tensor.name);
  if (!v) v = createValue(tensor.name);
  setInitializer(v, std::move(tensor));
  return v;
}

void Graph::setInitializer(Value* value, Tensor tensor) {
  tensor.name = value->name();
  value->type.dtype = tensor.dtype();
  value->type.shape.emplace();
  for (int64_t d : tensor.dims()) value->type.shape->push_back(Dim{d, {}});
  if (!value->initializer_) initializers_.push_back(value);
  value->initializer_ = std::make_unique<Tensor>(std::move(tensor));
}

void Graph::adoptSubgraphs() {
  for (const auto& node : nodes_)
    for (Graph* body : node->subgraphs()) {
      body->enclosing_ = this;
      body->adoptSubgraphs();
    }
}

Value* Graph::addCapture(const std::string& valueName) {
  Value* v = createValue(valueName);
  v->isCapture_ = true;
  captures_.push_back(v);
  return v;
}

void Graph::detachFromEnclosing() {
  for (Value* capture : std::vector<Value*>(captures_)) {
    const Value* outer = capture->definition();
    if (!outer) throw std::logic_error("capture '" + capture->name() + "' has no definition to detach from");
    capture->isCapture_ = false;
    if (outer->isConstant()) {
      setInitializer(capture, *outer->initializer());
    } else {
      capture->type = outer->type;
      capture->isGraphInput_ = true;
      inputs_.push_back(capture);
    }
  }
  captures_.clear();
  enclosing_ = nullptr;
}

void Graph::markOutput(Value* value) {
  value->isGraphOutput_ = true;
  outputs_.push_back(value);
}

void Graph::setOutputs(std::vector<Value*> outputs) {
  for (Value* v : outputs_) v->isGraphOutput_ = false;
  outputs_ = std::move(outputs);
  for (Value* v : outputs_) v->isGraphOutput_ = true;
}

Node* Graph::createNode(std::string opType, const std::vector<Value*>& inputs,
                        const std::vector<std::string>& outputNames, Node* before) {
  auto node = std::make_unique<Node>();
  node->graph_ = this;
  node->opType = std::move(opType);
  for (Value* in : inputs) node->addInput(in);
  for (const std::string& outName : outputNames) {
    Value* out = outName.empty() ? nullptr : createValue(outName);
    if (out) out->producer_ = node.get();
    node->outputs_.push_back(out);
  }
  Node* raw = node.get();
  auto pos = nodes_.end();
  if (before) pos = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& n) { return n.get() == before; });
  nodes_.insert(pos, std::move(node));
  return raw;
}

namespace {

// The subgraphs of `node` read `to` where they read `from`, by name, as deep as they capture it.
void renameCaptures(const Node& node, const std::string& from, const std::string& to) {
  for (Graph* body : node.subgraphs()) {
    Value* capture = body->findValue(from);
    if (!capture || !capture->isCapture()) continue;
    if (Value* taken = body->findValue(to); taken && !taken->isCapture())
      throw std::logic_error("value '" + to + "' is shadowed inside a subgraph of " + node.label());
    if (Value* existing = body->findValue(to)) {
      body->replaceAllUsesWith(capture, existing);
      body->eraseValue(capture);
      continue;
    }
    body->renameValue(capture, to);
    for (const Use& use : capture->uses())
      if (use.inputIndex == Use::kImplicit) renameCaptures(*use.user, from, to);
  }
}

}  // namespace

void Graph::renameValue(Value* value, const std::string& newName) {
  if (findValue(newName)) throw std::logic_error("renaming '" + value->name_ + "' to the taken name '" + newName + "'");
  valuesByName_.erase(value->name_);
  value->name_ = newName;
  valuesByName_[newName] = value;
}

void Graph::replaceAllUsesWith(Value* from, Value* to) {
  std::vector<Use> uses = from->uses_;
  for (const Use& use : uses) {
    if (use.inputIndex == Use::kImplicit) {
      auto& implicit = use.user->implicitInputs_;
      if (std::find(implicit.begin(), implicit.end(), to) == implicit.end()) {
        std::replace(implicit.begin(), implicit.end(), from, to);
        to->uses_.push_back(use);
      } else {
        std::erase(implicit, from);
      }
      removeUse(from, use.user, use.inputIndex, from->uses_);
      if (from->name_ != to->name_) renameCaptures(*use.user, from->name_, to->name_);
    } else {
      use.user->setInput(use.inputIndex, to);
    }
  }
  if (from->isGraphOutput_) {
    std::replace(outputs_.begin(), outputs_.end(), from, to);
    from->isGraphOutput_ = false;
    to->isGraphOutput_ = true;
  }
}

void Graph::pruneCaptures(Node* node) {
  std::unordered_set<std::string> captured;
  for (Graph* body : node->subgraphs()) {
    for (Value* capture : std::vector<Value*>(body->captures_))
      if (!capture->hasUses() && !capture->isGraphOutput_) body->eraseValue(capture);
    for (const Value* capture : body->captures_) captured.insert(capture->name_);
  }
  for (Value* v : std::vector<Value*>(node->implicitInputs_))
    if (!captured.count(v->name_)) {
      std::erase(node->implicitInputs_, v);
      removeUse(v, node, Use::kImplicit, v->uses_);
    }
}

void Graph::eraseNode(Node* node) {
  for (Value* out : node->outputs_)
    if (out && (out->hasUses() || out->isGraphOutput_))
      throw std::logic_error("erasing node " + node->label() + " whose output '" + out->name() + "' is still used");
  node->removeTrailingInputs(0);
  for (Value* v : node->implicitInputs_) removeUse(v, node, Use::kImplicit, v->uses_);
  node->implicitInputs_.clear();
  for (Value* out : node->outputs_)
    if (out) {
      out->producer_ = nullptr;
      eraseValue(out);
    }
  std::erase_if(nodes_, [&](const auto& n) { return n.get() == node; });
}

void Graph::eraseValue(Value* value) {
  if (value->producer_ || value->hasUses() || value->isGraphInput_ || value->isGraphOutput_)
    throw std::logic_error("erasing value '" + value->name() + "' that is still defined or used");
  std::erase(initializers_, value);
  std::erase(captures_, value);
  valuesByName_.erase(value->name_);
  std::erase_if(values_, [&](const auto& v) { return v.get() == value; });
}

bool Graph::topologicalSort(Node** cycleNode) {
  // Kahn's algorithm, stable: among ready nodes, the earlier one in the current order first.
  std::unordered_map<const Node*, size_t> pending;
  std::unordered_map<const Node*, size_t> position;
  for (size_t i = 0; i < nodes_.size(); ++i) position[nodes_[i].get()] = i;
  auto countProducers = [&](const Node* n) {
    size_t count = 0;
    auto visit = [&](const Value* v) {
      if (v && v->producer_) ++count;  // a node reading its own output never gets ready: a cycle
    };
    for (const Value* v : n->inputs_) visit(v);
    for (const Value* v : n->implicitInputs_) visit(v);
    return count;
  };
  std::vector<size_t> ready;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    pending[nodes_[i].get()] = countProducers(nodes_[i].get());
    if (pending[nodes_[i].get()] == 0) ready.push_back(i);
  }
  std::vector<size_t> order;
  auto byPosition = [](size_t a, size_t b) { return a > b; };  // min-heap on position
  std::make_heap(ready.begin(), ready.end(), byPosition);
  while (!ready.empty()) {
    std::pop_heap(ready.begin(), ready.end(), byPosition);
    size_t i = ready.back();
    ready.pop_back();
    order.push_back(i);
    for (const Value* out : nodes_[i]->outputs_) {
      if (!out) continue;
      for (const Use& use : out->uses_) {
        if (--pending[use.user] == 0) {
          ready.push_back(position[use.user]);
          std::push_heap(ready.begin(), ready.end(), byPosition);
        }
      }
    }
  }
  if (order.size() != nodes_.size()) {
    if (cycleNode)
      for (const auto& n : nodes_)
        if (pending[n.get()] > 0) {
          *cycleNode = n.get();
          break;
        }
    return false;
  }
  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(nodes_.size());
  for (size_t i : order) sorted.push_back(std::move(nodes_[i]));
  nodes_ = std::move(sorted);
  return true;
}

std::unique_ptr<Graph> Graph::clone() const {
  auto copy = std::make_unique<Graph>();
  copy->name = name;
  copy->docString = docString;
  copy->initializerInputsAreConstant = initializerInputsAreConstant;
  copy->residue = residue;
  copy->enclosing_ = enclosing_;
  for (const auto& v : values_) {
    Value* c = v->isCapture_ ? copy->addCapture(v->name_) : copy->createValue(v->name_);
    c->type = v->type;
    c->docString = v->docString;
    c->hasValueInfo = v->hasValueInfo;
    if (v->initializer_) copy->setInitializer(c, *v->initializer_);
  }
  copy->initializers_.clear();
  for (const Value* v : initializers_) copy->initializers_.push_back(copy->findValue(v->name_));
  for (const Value* v : inputs_) copy->addInput(v->name_, v->type);
  auto map = [&](const Value* v) { return v ? copy->findValue(v->name_) : nullptr; };
  for (const auto& n : nodes_) {
    auto node = std::make_unique<Node>();
    node->graph_ = copy.get();
    node->name = n->name;
    node->opType = n->opType;
    node->domain = n->domain;
    node->docString = n->docString;
    node->attributes = n->attributes;
    for (const Value* in : n->inputs_) node->addInput(map(in));
    for (const Value* in : n->implicitInputs_) node->addImplicitInput(map(in));
    for (const Value* out : n->outputs_) {
      Value* c = map(out);
      if (c) c->producer_ = node.get();
      node->outputs_.push_back(c);
    }
    copy->nodes_.push_back(std::move(node));
  }
  for (const Value* v : outputs_) copy->markOutput(map(v));
  copy->adoptSubgraphs();
  return copy;
}

Model Model::clone() const {
  Model copy;
  copy.graph = graph->clone();
  copy.opsets = opsets;
  copy.irVersion = irVersion;
  copy.producerName = producerName;
  copy.producerVersion = producerVersion;
  copy.metadata = metadata;
  copy.modelResidue = modelResidue;
  copy.externalDataFiles = externalDataFiles;
  return copy;
}

Model Model::bodyAsModel(const Graph& body) const {
  Model alone;
  alone.graph = body.clone();
  alone.graph->detachFromEnclosing();
  alone.opsets = opsets;
  alone.irVersion = irVersion;
  return alone;
}

int64_t Model::defaultOpset() const {
  int64_t version = 0;
  for (const OpsetImport& o : opsets)
    if (o.domain.empty() || o.domain == "ai.onnx") version = o.version;
  return version;
}

}  // namespace convopt::ir
