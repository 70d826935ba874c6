// IR -> ONNX protobuf, and the model file (and its external data) written atomically.
#include <onnx/onnx_pb.h>

#include "ir/atomic_file.h"
#include "ir/error.h"
#include "ir/onnx_io.h"
#include "ir/tensor_proto.h"

namespace convopt::ir {
namespace {

namespace fs = std::filesystem;

void typeToProto(const ValueType& type, onnx::TypeProto& proto) {
  if (!type.opaqueTypeProto.empty()) {
    proto.ParseFromString(type.opaqueTypeProto);
    return;
  }
  auto* tensor = proto.mutable_tensor_type();
  tensor->set_elem_type(static_cast<int32_t>(type.dtype));
  if (!type.shape) return;
  auto* shape = tensor->mutable_shape();
  for (const Dim& d : *type.shape) {
    auto* dim = shape->add_dim();
    if (d.isStatic())
      dim->set_dim_value(d.value);
    else if (!d.param.empty())
      dim->set_dim_param(d.param);
  }
}

void valueInfoToProto(const Value& v, onnx::ValueInfoProto& proto) {
  proto.set_name(v.name());
  if (!v.docString.empty()) proto.set_doc_string(v.docString);
  if (v.type.dtype != DType::Undefined || !v.type.opaqueTypeProto.empty()) typeToProto(v.type, *proto.mutable_type());
}

void graphToProto(const Graph& graph, onnx::GraphProto& g);

void attributeToProto(const Attribute& a, onnx::AttributeProto& p) {
  using AP = onnx::AttributeProto;
  if (a.kind == AttrKind::Opaque) {
    p.ParseFromString(a.opaqueProto);
    return;
  }
  p.set_name(a.name);
  if (!a.docString.empty()) p.set_doc_string(a.docString);
  switch (a.kind) {
    case AttrKind::Float:
      p.set_type(AP::FLOAT);
      p.set_f(a.f);
      break;
    case AttrKind::Int:
      p.set_type(AP::INT);
      p.set_i(a.i);
      break;
    case AttrKind::String:
      p.set_type(AP::STRING);
      p.set_s(a.s);
      break;
    case AttrKind::Tensor:
      p.set_type(AP::TENSOR);
      tensorToProto(a.t, *p.mutable_t());
      break;
    case AttrKind::Floats:
      p.set_type(AP::FLOATS);
      for (float f : a.floats) p.add_floats(f);
      break;
    case AttrKind::Ints:
      p.set_type(AP::INTS);
      for (int64_t i : a.ints) p.add_ints(i);
      break;
    case AttrKind::Strings:
      p.set_type(AP::STRINGS);
      for (const auto& s : a.strings) p.add_strings(s);
      break;
    case AttrKind::Tensors:
      p.set_type(AP::TENSORS);
      for (const Tensor& t : a.tensors) tensorToProto(t, *p.add_tensors());
      break;
    case AttrKind::Graph:
      p.set_type(AP::GRAPH);
      graphToProto(*a.graphs.at(0), *p.mutable_g());
      break;
    case AttrKind::Graphs:
      p.set_type(AP::GRAPHS);
      for (const Subgraph& body : a.graphs) graphToProto(*body, *p.add_graphs());
      break;
    case AttrKind::Opaque:
      break;
  }
}

void graphToProto(const Graph& graph, onnx::GraphProto& g) {
  g.ParseFromString(graph.residue);
  g.set_name(graph.name);
  if (!graph.docString.empty()) g.set_doc_string(graph.docString);
  for (const Value* v : graph.inputs()) valueInfoToProto(*v, *g.add_input());
  // IR < 4 requires every initializer to be an input too: those passes added are appended.
  if (graph.initializerInputsAreConstant)
    for (const Value* v : graph.initializers())
      if (!v->isGraphInput()) valueInfoToProto(*v, *g.add_input());
  for (const Value* v : graph.initializers()) tensorToProto(*v->initializer(), *g.add_initializer());
  for (const Node* n : graph.nodes()) {
    auto* np = g.add_node();
    for (const Value* in : n->inputs()) np->add_input(in ? in->name() : std::string());
    for (const Value* out : n->outputs()) np->add_output(out ? out->name() : std::string());
    if (!n->name.empty()) np->set_name(n->name);
    np->set_op_type(n->opType);
    if (!n->domain.empty()) np->set_domain(n->domain);
    if (!n->docString.empty()) np->set_doc_string(n->docString);
    for (const Attribute& a : n->attributes) attributeToProto(a, *np->add_attribute());
  }
  for (const Value* v : graph.outputs()) valueInfoToProto(*v, *g.add_output());
  for (const Value* v : graph.values())
    if (v->hasValueInfo) valueInfoToProto(*v, *g.add_value_info());
}

// Moves large tensors' bytes out of the graph, returning them as the contents
// of the external data file (relative location `location`).
std::string externalize(onnx::GraphProto& g, size_t threshold, const std::string& location) {
  std::string data;
  for (auto& t : *g.mutable_initializer()) {
    if (!t.has_raw_data() || t.raw_data().size() < threshold) continue;
    const std::string& raw = t.raw_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const char* key, const std::string& value) {
      auto* e = t.add_external_data();
      e->set_key(key);
      e->set_value(value);
    };
    add("location", location);
    add("offset", std::to_string(data.size()));
    add("length", std::to_string(raw.size()));
    data += raw;
    t.clear_raw_data();
  }
  return data;
}

}  // namespace

onnx::ModelProto exportModel(const Model& model) {
  onnx::ModelProto proto;
  proto.ParseFromString(model.modelResidue);
  proto.set_ir_version(model.irVersion);
  if (!model.producerName.empty()) proto.set_producer_name(model.producerName);
  if (!model.producerVersion.empty()) proto.set_producer_version(model.producerVersion);
  for (const OpsetImport& o : model.opsets) {
    auto* op = proto.add_opset_import();
    op->set_domain(o.domain);
    op->set_version(o.version);
  }
  for (const auto& [key, value] : model.metadata) {
    auto* kv = proto.add_metadata_props();
    kv->set_key(key);
    kv->set_value(value);
  }
  graphToProto(*model.graph, *proto.mutable_graph());
  return proto;
}

namespace {
std::string serialized(const onnx::ModelProto& proto, const std::string& what) {
  std::string bytes;
  if (!proto.SerializeToString(&bytes))
    throwInputError("{}: writing the model failed (a model over 2 GiB needs external data)", what);
  return bytes;
}
}  // namespace

std::string serializeModel(const Model& model) { return serialized(exportModel(model), "the model"); }

void saveModel(const Model& model, const fs::path& path, const ExportOptions& options) {
  onnx::ModelProto proto = exportModel(model);
  fs::path dataPath = writeTarget(path);  // beside the model, through a link to it
  dataPath += ".data";
  bool external = options.externalDataThreshold > 0;
  std::string data;
  if (external) data = externalize(*proto.mutable_graph(), options.externalDataThreshold, dataPath.filename());
  std::string bytes = serialized(proto, path.string());
  // First: the model never names missing data. None reached the threshold: no file.
  if (external && !data.empty()) writeFileAtomically(dataPath, data);
  writeFileAtomically(path, bytes);
}

}  // namespace convopt::ir
