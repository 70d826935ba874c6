// Shape inference in two layers: libonnx first (it knows every op up to its
// opset, including data propagation through Shape/Gather/Concat chains), then
// the project's rules (shape_rules*.cpp) for every node they cover, which fill
// what ONNX left unknown and validate what passes rely on. Inferred types never
// set Value::hasValueInfo, so export stays lossless.
#include "ir/shape_inference.h"

#include <charconv>

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/schema_check.h"
#include "ir/shape_rules.h"

namespace convopt::ir {
namespace {

std::optional<Shape> shapeFromProto(const onnx::TypeProto_Tensor& tensor) {
  if (!tensor.has_shape()) return std::nullopt;
  Shape shape;
  for (const auto& d : tensor.shape().dim())
    shape.push_back(d.has_dim_value() ? Dim{d.dim_value(), {}} : Dim{-1, d.dim_param()});
  return shape;
}

// Adds what `inferred` knows and `known` does not; never overrides a known
// static dim, and keeps the existing shape when ranks disagree.
// A dim name libonnx makes up for a dim it cannot size ("unk__0"): not the model's.
bool madeUpName(const Dim& dim) { return dim.param.rfind("unk__", 0) == 0; }

void mergeType(Value& value, ValueType inferred) {
  ValueType& known = value.type;
  if (!known.opaqueTypeProto.empty() || value.isGraphInput()) return;
  if (known.dtype == DType::Undefined) known.dtype = inferred.dtype;
  if (!inferred.shape) return;
  // Kept, a made-up name would reach the exported outputs, and a re-import would make up another.
  for (Dim& dim : *inferred.shape)
    if (madeUpName(dim)) dim.param.clear();
  if (!known.shape) {
    known.shape = inferred.shape;
  } else if (known.shape->size() == inferred.shape->size()) {
    for (size_t i = 0; i < known.shape->size(); ++i) {
      Dim& d = (*known.shape)[i];
      const Dim& n = (*inferred.shape)[i];
      if (!d.isStatic() && (n.isStatic() || d.param.empty())) d = n;
    }
  }
  // As the verifier checks declared shapes: a value a rewrite adds (with more channels than the
  // conv it replaces) can overflow where the model's own values did not.
  if (known.hasStaticShape()) checkedElementCount(known.staticShape(), "value '" + value.name() + "'");
}

// The types libonnx inferred in `proto` (the export of `graph`, bodies included) into the IR.
void copyBack(Graph& graph, const onnx::GraphProto& proto) {
  auto merge = [&](const onnx::ValueInfoProto& vi) {
    Value* v = graph.findValue(vi.name());
    if (!v || !vi.type().has_tensor_type()) return;
    const auto& tensor = vi.type().tensor_type();
    mergeType(*v, makeType(static_cast<DType>(tensor.elem_type()), shapeFromProto(tensor)));
  };
  for (const auto& vi : proto.value_info()) merge(vi);
  for (const auto& vi : proto.output()) merge(vi);
  // Export writes nodes, and their graph attributes, in IR order.
  std::vector<Node*> nodes = graph.nodes();
  for (int i = 0; i < proto.node_size() && size_t(i) < nodes.size(); ++i) {
    std::vector<Graph*> bodies = nodes[i]->subgraphs();
    size_t next = 0;
    for (const auto& attribute : proto.node(i).attribute()) {
      if (attribute.has_g() && next < bodies.size()) copyBack(*bodies[next++], attribute.g());
      for (const auto& body : attribute.graphs())
        if (next < bodies.size()) copyBack(*bodies[next++], body);
    }
  }
}

// libonnx's inference on the exported proto, with every type known so far
// exported as value_info so that it continues from what the rules found.
// Node-level failures are not fatal (error_mode 0), and anything it cannot
// handle (an opset newer than it knows, an op it has no schema for) leaves the
// rest to the project's rules.
void inferWithOnnx(Model& model) {
  Graph& graph = *model.graph;
  std::vector<Value*> exposed;
  for (Value* v : graph.values())
    if (!v->hasValueInfo && v->type.dtype != DType::Undefined && v->producer() && !v->isGraphOutput()) {
      v->hasValueInfo = true;
      exposed.push_back(v);
    }
  onnx::ModelProto proto = exportModel(model);
  for (Value* v : exposed) v->hasValueInfo = false;
  if (!checkNodesAgainstSchemas(proto)) return;
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0, /*data_propagation=*/true);
    onnx::shape_inference::InferShapes(proto, &guardedSchemaRegistry(), options);
  } catch (const std::exception&) {
    return;
  }
  copyBack(graph, proto.graph());
}

// How much is known: a measure that grows with every dim or rank learned.
size_t knowledge(const Graph& graph) {
  size_t known = 0;
  for (const Value* v : graph.values()) {
    if (!v->type.shape) continue;
    known += 1;
    for (const Dim& d : *v->type.shape) known += d.isStatic() ? 2 : !d.param.empty();
  }
  return known;
}

// A rule's rank or static dim that contradicts what the model declares for the value
// is the model's error: the engines would size the value one way and compute it another.
void checkDeclared(const Node& node, const Value& value, const ValueType& inferred) {
  if (inferred.dtype != DType::Undefined && value.type.dtype != DType::Undefined && inferred.dtype != value.type.dtype)
    throwInputError("node {}: computes {} for '{}', which the model declares {}", node.label(),
                    dtypeName(inferred.dtype), value.name(), dtypeName(value.type.dtype));
  const std::optional<Shape>& declared = value.type.shape;
  if (!declared || !inferred.shape) return;
  bool conflict = declared->size() != inferred.shape->size();
  for (size_t i = 0; !conflict && i < declared->size(); ++i)
    conflict = (*declared)[i].isStatic() && (*inferred.shape)[i].isStatic() && (*declared)[i] != (*inferred.shape)[i];
  if (conflict)
    throwInputError("node {}: computes {} for '{}', which the model declares {}", node.label(),
                    dimsText(*inferred.shape), value.name(), dimsText(*declared));
}

// The rules on the graph, then on each body with its captures typed as the values they read.
void inferWithRules(Graph& graph) {
  KnownValues known;
  for (Node* node : graph.nodes()) {
    // Bodies first: an If's rule reads what its branches compute.
    for (Graph* body : node->subgraphs()) {
      for (Value* capture : body->captures())
        if (const Value* outer = capture->definition()) capture->type = outer->type;
      inferWithRules(*body);
    }
    if (ShapeRule rule = findShapeRule(*node)) {
      std::vector<ValueType> types = rule(*node, known);
      for (size_t i = 0; i < types.size() && i < node->outputs().size(); ++i)
        if (Value* out = node->output(i)) {
          checkDeclared(*node, *out, types[i]);
          mergeType(*out, types[i]);
        }
    }
    propagateKnownValues(*node, known);
  }
}

std::vector<int64_t> parseDims(std::string_view text, std::string_view spec) {
  std::vector<int64_t> dims;
  while (true) {
    size_t x = text.find('x');
    std::string_view part = text.substr(0, x);
    int64_t d = -1;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), d);
    if (ec != std::errc() || end != part.data() + part.size() || d < 0)
      throwInputError("--input-shape '{}': expected NAME=DxDx... with non-negative integers", spec);
    dims.push_back(d);
    if (x == std::string_view::npos) return dims;
    text.remove_prefix(x + 1);
  }
}

}  // namespace

void applyInputShape(Model& model, std::string_view spec) {
  size_t eq = spec.rfind('=');
  if (eq == std::string_view::npos || eq == 0)
    throwInputError("--input-shape '{}': expected NAME=DxDx... (e.g. x=1x3x224x224)", spec);
  std::string name(spec.substr(0, eq));
  std::vector<int64_t> dims = parseDims(spec.substr(eq + 1), spec);
  Value* input = model.graph->findValue(name);
  if (!input || !input->isGraphInput() || input->isInitializer())
    throwInputError("--input-shape: the model has no graph input '{}'", name);
  ValueType& type = input->type;
  if (type.shape && type.shape->size() != dims.size())
    throwInputError("--input-shape: input '{}' has rank {}, not {}", name, type.shape->size(), dims.size());
  for (size_t i = 0; type.shape && i < dims.size(); ++i)
    if ((*type.shape)[i].isStatic() && (*type.shape)[i].value != dims[i])
      throwInputError(
          "--input-shape: input '{}' has dim {} fixed to {} (by the model, or an --input-shape before), "
          "not {}",
          name, i, (*type.shape)[i].value, dims[i]);
  type = ValueType::tensor(type.dtype, dims);
}

void inferShapes(Model& model, ShapeEngines engines) {
  Graph& graph = *model.graph;
  Node* onCycle = nullptr;
  if (!graph.topologicalSort(&onCycle))
    throwInputError("node {}: is part of a cycle (the graph is not a DAG)", onCycle->label());
  if (engines == ShapeEngines::RulesOnly) {
    inferWithRules(graph);
    return;
  }
  // Each engine can unblock the other (ONNX cannot follow opset-9 shape
  // arithmetic, the rules do not cover every op), so alternate while it helps.
  // The rules go first: libonnx indexes dims it has not checked, and the ranks
  // they find let checkNodesAgainstSchemas refuse such nodes before it runs.
  inferWithRules(graph);
  constexpr int kMaxRounds = 4;
  size_t before = knowledge(graph);
  for (int round = 0; round < kMaxRounds; ++round) {
    inferWithOnnx(model);
    inferWithRules(graph);
    size_t after = knowledge(graph);
    if (after == before) break;
    before = after;
  }
}

namespace {
void collectStaticShapes(const Graph& graph, ShapesByName& shapes) {
  for (const Value* value : graph.values())
    if (value->type.hasStaticShape()) shapes[value->name()] = value->type.staticShape();
  for (const Node* node : graph.nodes())
    for (const Graph* body : node->subgraphs()) collectStaticShapes(*body, shapes);
}
}  // namespace

ShapesByName staticShapesAt(const Model& model, const std::vector<std::string>& inputShapes) {
  Model copy = model.clone();
  for (const std::string& spec : inputShapes) applyInputShape(copy, spec);
  inferShapes(copy);
  ShapesByName shapes;
  collectStaticShapes(*copy.graph, shapes);
  return shapes;
}

void checkShapes(const Model& model) {
  Model copy = model.clone();
  inferShapes(copy);
}

std::map<std::string, std::vector<int64_t>> fixInputShapes(Model& model, const std::vector<std::string>& specs) {
  for (const std::string& spec : specs) applyInputShape(model, spec);
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const Value* input : model.graph->inputs()) {
    if (input->isInitializer()) continue;
    if (!input->type.hasStaticShape())
      throwInputError("input '{}' has dynamic dims: give them with --input-shape {}=D0xD1x... (input_shapes in Python)",
                      input->name(), input->name());
    shapes[input->name()] = input->type.staticShape();
  }
  return shapes;
}

}  // namespace convopt::ir
