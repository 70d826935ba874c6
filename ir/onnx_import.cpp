// ONNX protobuf -> IR.
#include <algorithm>
#include <set>
#include <sstream>

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/field_mask_util.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/read_file.h"
#include "ir/tensor_proto.h"

namespace convopt::ir {
namespace {

namespace fs = std::filesystem;

ValueType typeFromProto(const onnx::TypeProto& proto) {
  ValueType type;
  if (proto.value_case() != onnx::TypeProto::kTensorType) {
    type.opaqueTypeProto = proto.SerializeAsString();
    return type;
  }
  const auto& tensor = proto.tensor_type();
  type.dtype = static_cast<DType>(tensor.elem_type());
  if (tensor.has_shape()) {
    type.shape.emplace();
    for (const auto& d : tensor.shape().dim())
      type.shape->push_back(d.has_dim_value() ? Dim{d.dim_value(), {}} : Dim{-1, d.dim_param()});
  }
  return type;
}

Attribute attributeFromProto(const onnx::AttributeProto& p, const fs::path& baseDir) {
  Attribute a;
  a.name = p.name();
  a.docString = p.doc_string();
  using AP = onnx::AttributeProto;
  if (!p.ref_attr_name().empty()) {
    a.kind = AttrKind::Opaque;
    a.opaqueProto = p.SerializeAsString();
    return a;
  }
  switch (p.type()) {
    case AP::FLOAT:
      a.kind = AttrKind::Float;
      a.f = p.f();
      break;
    case AP::INT:
      a.kind = AttrKind::Int;
      a.i = p.i();
      break;
    case AP::STRING:
      a.kind = AttrKind::String;
      a.s = p.s();
      break;
    case AP::TENSOR:
      a.kind = AttrKind::Tensor;
      a.t = tensorFromProto(p.t(), baseDir);
      break;
    case AP::FLOATS:
      a.kind = AttrKind::Floats;
      a.floats.assign(p.floats().begin(), p.floats().end());
      break;
    case AP::INTS:
      a.kind = AttrKind::Ints;
      a.ints.assign(p.ints().begin(), p.ints().end());
      break;
    case AP::STRINGS:
      a.kind = AttrKind::Strings;
      a.strings.assign(p.strings().begin(), p.strings().end());
      break;
    case AP::TENSORS:
      a.kind = AttrKind::Tensors;
      for (const auto& t : p.tensors()) a.tensors.push_back(tensorFromProto(t, baseDir));
      break;
    default:
      a.kind = AttrKind::Opaque;
      a.opaqueProto = p.SerializeAsString();
  }
  return a;
}

// Names visible to a subgraph: those of every enclosing graph.
using Scope = std::set<std::string>;

// The fields of `message` the IR does not model (all but `modelled`, unknown
// ones included), serialized: what a lossless round trip writes back. Copied
// field by field: a copy of the whole message and then a clear copied a graph's
// initializers, twice per load (15% of a warm `convopt run` of a 20 MB model).
std::string residueOf(const google::protobuf::Message& message, const std::set<std::string>& modelled) {
  std::unique_ptr<google::protobuf::Message> residue(message.New());
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  google::protobuf::FieldMask rest;
  for (const google::protobuf::FieldDescriptor* field : fields)
    if (!modelled.count(field->name())) rest.add_paths(field->name());
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(message, rest, {}, residue.get());
  residue->GetReflection()->MutableUnknownFields(residue.get())->MergeFrom(reflection->GetUnknownFields(message));
  return residue->SerializeAsString();
}

std::string graphResidue(const onnx::GraphProto& g) {
  return residueOf(g, {"node", "initializer", "input", "output", "value_info", "name", "doc_string"});
}

class GraphImporter {
 public:
  // `enclosing`: names the graph may read from enclosing graphs (empty for the main graph).
  GraphImporter(Graph& graph, const fs::path& baseDir, const Scope& enclosing)
      : graph_(graph), baseDir_(baseDir), enclosing_(enclosing) {}

  void run(const onnx::GraphProto& g) {
    graph_.name = g.name();
    graph_.docString = g.doc_string();
    graph_.residue = graphResidue(g);
    for (const auto& vi : g.input()) {
      if (vi.name().empty()) throwInputError("a graph input has no name");
      if (graph_.findValue(vi.name())) throwInputError("graph input '{}' is listed twice", vi.name());
      graph_.addInput(vi.name(), typeFromProto(vi.type()))->docString = vi.doc_string();
    }
    for (const auto& t : g.initializer()) {
      if (t.name().empty()) throwInputError("an initializer has no name");
      Value* existing = graph_.findValue(t.name());
      if (existing && existing->isInitializer()) throwInputError("initializer '{}' is defined twice", t.name());
      graph_.addInitializer(tensorFromProto(t, baseDir_));
    }
    createNodes(g);
    for (const auto& vi : g.output()) {
      Value* v = resolve(vi.name());
      if (!v) throwInputError("graph output '{}' is not produced by any node, input or initializer", vi.name());
      graph_.markOutput(v);
      if (vi.has_type()) v->type = typeFromProto(vi.type());
      v->docString = vi.doc_string();
    }
    for (const auto& vi : g.value_info()) {
      if (vi.name().empty()) throwInputError("a value_info entry has no name");
      Value* v = graph_.findValue(vi.name());
      if (!v) v = graph_.createValue(vi.name());
      v->type = typeFromProto(vi.type());
      v->docString = vi.doc_string();
      v->hasValueInfo = true;
    }
  }

 private:
  // A name this graph defines, or one it captures from an enclosing graph; null if neither.
  Value* resolve(const std::string& name) {
    if (Value* v = graph_.findValue(name)) return v;
    return enclosing_.count(name) ? graph_.addCapture(name) : nullptr;
  }

  void createNodes(const onnx::GraphProto& g) {
    // Outputs first, so that inputs may refer to values defined later in the
    // file (unsorted graphs); the verifier then checks order and cycles.
    std::vector<Node*> nodes;
    for (const auto& np : g.node()) {
      std::set<std::string> outputs;
      for (const auto& out : np.output()) {
        if (!out.empty() && graph_.findValue(out))
          throwInputError("node {}: output '{}' is already defined elsewhere", describe(np), out);
        if (!out.empty() && !outputs.insert(out).second)
          throwInputError("node {}: output '{}' is listed twice", describe(np), out);
      }
      std::vector<std::string> outs(np.output().begin(), np.output().end());
      Node* n = graph_.createNode(np.op_type(), {}, outs);
      n->name = np.name();
      n->domain = np.domain();
      n->docString = np.doc_string();
      nodes.push_back(n);
    }
    Scope visible = enclosing_;
    for (Value* v : graph_.values()) visible.insert(v->name());
    for (int i = 0; i < g.node_size(); ++i) {
      const auto& np = g.node(i);
      for (const auto& in : np.input()) {
        Value* v = in.empty() ? nullptr : resolve(in);
        if (!in.empty() && !v) throwInputError("node {}: input '{}' is not defined", describe(np), in);
        nodes[i]->addInput(v);
      }
      for (const auto& ap : np.attribute()) nodes[i]->attributes.push_back(attribute(np, ap, visible));
      for (Graph* body : nodes[i]->subgraphs())
        for (Value* capture : body->captures()) nodes[i]->addImplicitInput(resolve(capture->name()));
    }
  }

  Attribute attribute(const onnx::NodeProto& np, const onnx::AttributeProto& p, const Scope& visible) {
    bool graphs = p.ref_attr_name().empty() &&
                  (p.type() == onnx::AttributeProto::GRAPH || p.type() == onnx::AttributeProto::GRAPHS);
    if (!graphs) return attributeFromProto(p, baseDir_);
    Attribute a;
    a.name = p.name();
    a.docString = p.doc_string();
    a.kind = p.type() == onnx::AttributeProto::GRAPH ? AttrKind::Graph : AttrKind::Graphs;
    auto add = [&](const onnx::GraphProto& body) {
      auto graph = std::make_unique<Graph>();
      try {
        GraphImporter(*graph, baseDir_, visible).run(body);
      } catch (const InputError& e) {
        throwInputError("node {}: in its {} body: {}", describe(np), p.name(), e.what());
      }
      a.graphs.emplace_back(std::move(graph));
    };
    if (a.kind == AttrKind::Graph) add(p.g());
    for (const auto& body : p.graphs()) add(body);
    return a;
  }

  static std::string describe(const onnx::NodeProto& np) {
    if (!np.name().empty()) return "'" + np.name() + "'";
    return np.op_type() + "(" + (np.output_size() ? np.output(0) : std::string()) + ")";
  }

  Graph& graph_;
  const fs::path& baseDir_;
  const Scope& enclosing_;
};

}  // namespace

namespace {

bool usesDefaultDomain(const Graph& graph) {
  for (const Node* node : graph.nodes()) {
    if (node->domain.empty() || node->domain == "ai.onnx") return true;
    for (const Graph* body : node->subgraphs())
      if (usesDefaultDomain(*body)) return true;
  }
  return false;
}

// ONNX ops mean what their opset says: without a positive version of the default
// domain they mean nothing, and the engines would each guess differently.
void checkDefaultOpset(const Model& model) {
  int64_t version = model.defaultOpset();
  if (version > 0 || !usesDefaultDomain(*model.graph)) return;
  if (version == 0) throwInputError("the model uses ONNX ops but its opset_import has no version of the ONNX domain");
  throwInputError("opset_import: version {} of the ONNX domain is not an opset (they start at 1)", version);
}

}  // namespace

// The external data locations of the graph's tensors, its bodies' included, under `baseDir`.
static void collectExternalData(const onnx::GraphProto& graph, const fs::path& baseDir, std::vector<fs::path>& files) {
  auto add = [&](const onnx::TensorProto& tensor) {
    if (tensor.data_location() != onnx::TensorProto::EXTERNAL) return;
    for (const auto& entry : tensor.external_data())
      if (entry.key() == "location" && std::find(files.begin(), files.end(), baseDir / entry.value()) == files.end())
        files.push_back(baseDir / entry.value());
  };
  for (const onnx::TensorProto& tensor : graph.initializer()) add(tensor);
  for (const onnx::NodeProto& node : graph.node())
    for (const onnx::AttributeProto& attribute : node.attribute()) {
      if (attribute.has_t()) add(attribute.t());
      for (const onnx::TensorProto& tensor : attribute.tensors()) add(tensor);
      if (attribute.has_g()) collectExternalData(attribute.g(), baseDir, files);
      for (const onnx::GraphProto& body : attribute.graphs()) collectExternalData(body, baseDir, files);
    }
}

Model importModel(const onnx::ModelProto& proto, const fs::path& baseDir) {
  if (!proto.has_graph()) throwInputError("the model has no graph");
  // Which IR version a model follows decides what its initializers are; without
  // one libonnx's inference dereferenced null (the ONNX checker refuses it too).
  if (proto.ir_version() < 1)
    throwInputError("ir_version is {}: the model must say which ONNX IR version it follows (1 or later)",
                    proto.ir_version());
  Model model;
  model.irVersion = proto.ir_version();
  model.producerName = proto.producer_name();
  model.producerVersion = proto.producer_version();
  for (const auto& o : proto.opset_import()) model.opsets.push_back({o.domain(), o.version()});
  for (const auto& kv : proto.metadata_props()) model.metadata.emplace_back(kv.key(), kv.value());
  // IR versions 1-3 list every initializer as a graph input, as a constant.
  model.graph->initializerInputsAreConstant = model.irVersion >= 1 && model.irVersion < 4;
  GraphImporter(*model.graph, baseDir, Scope{}).run(proto.graph());
  collectExternalData(proto.graph(), baseDir, model.externalDataFiles);
  model.graph->adoptSubgraphs();
  checkDefaultOpset(model);

  model.modelResidue =
      residueOf(proto, {"graph", "opset_import", "metadata_props", "ir_version", "producer_name", "producer_version"});
  return model;
}

namespace {

// True when `bytes` would parse as a model but for protobuf's nesting limit
// (which guards the parser's stack): worth its own message.
bool parsesNestedDeeper(const std::string& bytes) {
  google::protobuf::io::ArrayInputStream raw(bytes.data(), int(bytes.size()));
  google::protobuf::io::CodedInputStream in(&raw);
  in.SetRecursionLimit(1000);
  onnx::ModelProto proto;
  return proto.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

}  // namespace

Model loadModel(const fs::path& path) {
  std::string bytes = readFile(path);
  if (bytes.empty()) throwInputError("{}: the file is empty", path.string());
  if (path.extension() == ".onnxtxt") {
    try {
      return parseModelText(bytes);
    } catch (const InputError& e) {
      throw InputError(path.string() + ": " + e.what());
    }
  }
  return parseModelBytes(bytes, path.parent_path(), path.string());
}

Model parseModelBytes(const std::string& bytes, const fs::path& baseDir, const std::string& source) {
  onnx::ModelProto proto;
  if (!proto.ParseFromString(bytes)) {
    if (parsesNestedDeeper(bytes))
      throwInputError(
          "{}: the model nests subgraphs deeper than protobuf's limit of {} messages allows; convopt "
          "refuses it",
          source, google::protobuf::io::CodedInputStream::GetDefaultRecursionLimit());
    throwInputError("{}: not an ONNX model (the protobuf does not parse; truncated or another format)", source);
  }
  if (!proto.has_graph()) throwInputError("{}: not an ONNX model, or a model without a graph", source);
  try {
    return importModel(proto, baseDir);
  } catch (const InputError& e) {
    throw InputError(source + ": " + e.what());
  }
}

Model parseModelText(const std::string& text) {
  onnx::ModelProto proto;
  auto status = onnx::OnnxParser::Parse(proto, text.c_str());
  if (!status.IsOK()) throwInputError("ONNX text does not parse: {}", status.ErrorMessage());
  return importModel(proto, fs::current_path());
}

}  // namespace convopt::ir
