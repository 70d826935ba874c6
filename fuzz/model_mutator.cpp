#include "fuzz/model_mutator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t maxSize);

namespace convopt::fuzz {
namespace {

using Rng = std::mt19937_64;

size_t pick(Rng& rng, size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
bool coin(Rng& rng) { return pick(rng, 2) == 0; }
template <class T, size_t N>
T pickOf(Rng& rng, const std::array<T, N>& values) {
  return values[pick(rng, N)];
}
template <class Field>
auto* pickFrom(Rng& rng, Field* field) {
  return field->empty() ? nullptr : field->Mutable(int(pick(rng, size_t(field->size()))));
}

constexpr std::array<int64_t, 14> kEdgeInts = {
    -2, -1, 0, 0, 1, 1, 2, 2, 3, 4, 7, 1 << 20, int64_t(1) << 40, std::numeric_limits<int64_t>::max()};
constexpr std::array<int64_t, 10> kDims = {0, 1, 1, 2, 3, 4, 5, 8, 16, int64_t(1) << 31};
constexpr std::array<float, 8> kSpecialFloats = {0.0f,
                                                 -0.0f,
                                                 1e30f,
                                                 1e-40f,
                                                 -1.0f,
                                                 std::numeric_limits<float>::infinity(),
                                                 -std::numeric_limits<float>::infinity(),
                                                 std::numeric_limits<float>::quiet_NaN()};
constexpr std::array<const char*, 10> kStrings = {"SAME_UPPER", "SAME_LOWER", "VALID",  "NOTSET",   "",
                                                  "DCR",        "nearest",    "linear", "constant", "reflect"};
constexpr std::array<const char*, 31> kOpTypes = {"Conv",
                                                  "ConvTranspose",
                                                  "Relu",
                                                  "Add",
                                                  "Mul",
                                                  "BatchNormalization",
                                                  "Split",
                                                  "Concat",
                                                  "Identity",
                                                  "Pad",
                                                  "Transpose",
                                                  "Reshape",
                                                  "MaxPool",
                                                  "AveragePool",
                                                  "GlobalAveragePool",
                                                  "Gemm",
                                                  "MatMul",
                                                  "Sigmoid",
                                                  "Clip",
                                                  "Resize",
                                                  "Flatten",
                                                  "Slice",
                                                  "Gather",
                                                  "Shape",
                                                  "Unsqueeze",
                                                  "ReduceMean",
                                                  "Softmax",
                                                  "HardSwish",
                                                  "If",
                                                  "Loop",
                                                  "Unknown"};
constexpr std::array<const char*, 12> kAttributeNames = {"group",     "axis",         "strides",  "pads",
                                                         "dilations", "kernel_shape", "auto_pad", "epsilon",
                                                         "perm",      "axes",         "keepdims", "transB"};
constexpr std::array<const char*, 8> kLocations = {"weights.bin", "",  "../outside.bin", "/etc/passwd",
                                                   "/dev/zero",   ".", "a/../../b",      "model.onnx"};
constexpr std::array<int, 11> kElemTypes = {0, 1, 1, 2, 3, 6, 7, 9, 10, 11, 99};

void collectGraphs(onnx::GraphProto* graph, std::vector<onnx::GraphProto*>& graphs) {
  graphs.push_back(graph);
  for (onnx::NodeProto& node : *graph->mutable_node())
    for (onnx::AttributeProto& attribute : *node.mutable_attribute()) {
      if (attribute.has_g()) collectGraphs(attribute.mutable_g(), graphs);
      for (onnx::GraphProto& sub : *attribute.mutable_graphs()) collectGraphs(&sub, graphs);
    }
}

// Every name a node of `graph` could read: inputs, initializers, node outputs.
std::vector<std::string> valueNames(const onnx::GraphProto& graph) {
  std::vector<std::string> names;
  for (const auto& in : graph.input()) names.push_back(in.name());
  for (const auto& t : graph.initializer()) names.push_back(t.name());
  for (const auto& node : graph.node()) names.insert(names.end(), node.output().begin(), node.output().end());
  return names;
}

size_t elementBytes(int dataType) {
  switch (dataType) {
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::UINT64:
      return 8;
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::UINT32:
      return 4;
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16:
      return 2;
    default:
      return 1;
  }
}

// The tensor's floats, moved into raw_data (so edits are byte-exact); empty
// when it is not a float tensor.
float* rawFloats(onnx::TensorProto& tensor, size_t& count) {
  count = 0;
  if (tensor.data_type() != onnx::TensorProto::FLOAT) return nullptr;
  if (tensor.float_data_size() > 0) {
    tensor.set_raw_data(tensor.float_data().data(), size_t(tensor.float_data_size()) * sizeof(float));
    tensor.clear_float_data();
  }
  count = tensor.raw_data().size() / sizeof(float);
  return count ? reinterpret_cast<float*>(tensor.mutable_raw_data()->data()) : nullptr;
}

// Gives the tensor `count` elements of data (zero-filled), whichever field it uses.
void resizeData(onnx::TensorProto& tensor, int64_t count) {
  if (tensor.float_data_size() > 0)
    tensor.mutable_float_data()->Resize(int(count), 0.0f);
  else if (tensor.int64_data_size() > 0)
    tensor.mutable_int64_data()->Resize(int(count), 0);
  else if (tensor.int32_data_size() > 0)
    tensor.mutable_int32_data()->Resize(int(count), 0);
  else
    tensor.mutable_raw_data()->resize(size_t(count) * elementBytes(tensor.data_type()));
}

// A weight [O, I, spatial...] given one of the structures the passes rewrite:
// block-diagonal, block-diagonal after a permutation, diagonal, rank 1 per input channel.
bool giveStructure(onnx::TensorProto& weight, Rng& rng) {
  size_t count = 0;
  float* w = rawFloats(weight, count);
  if (!w || weight.dims_size() < 3) return false;
  int64_t outputs = weight.dims(0), inputs = weight.dims(1);
  if (outputs <= 0 || inputs <= 0 || count % size_t(outputs * inputs) != 0) return false;
  size_t spatial = count / size_t(outputs * inputs);
  int64_t groups = int64_t(1) << pick(rng, 4);
  size_t kind = pick(rng, 4);
  for (int64_t o = 0; o < outputs; ++o)
    for (int64_t i = 0; i < inputs; ++i)
      for (size_t s = 0; s < spatial; ++s) {
        float& x = w[(size_t(o * inputs + i)) * spatial + s];
        if (kind == 0) x = (o * groups / outputs == i * groups / inputs) ? x : 0.0f;
        if (kind == 1) x = (o % groups == i % groups) ? x : 0.0f;
        if (kind == 2) x = o == i ? x : 0.0f;
        if (kind == 3) x = w[size_t(i) * spatial + s] * w[size_t(o * inputs + i) * spatial];
      }
  return true;
}

bool mutateInitializerData(onnx::GraphProto& graph, Rng& rng) {
  onnx::TensorProto* tensor = pickFrom(rng, graph.mutable_initializer());
  if (!tensor) return false;
  size_t count = 0;
  switch (pick(rng, 3)) {
    case 0:
      return giveStructure(*tensor, rng);
    case 1:
      if (float* w = rawFloats(*tensor, count)) w[pick(rng, count)] = pickOf(rng, kSpecialFloats);
      return count > 0;
    default: {
      std::string& raw = *tensor->mutable_raw_data();
      if (raw.empty()) return false;
      raw.resize(LLVMFuzzerMutate(reinterpret_cast<uint8_t*>(raw.data()), raw.size(), raw.size()));
      return true;
    }
  }
}

bool mutateInitializerShape(onnx::GraphProto& graph, Rng& rng) {
  onnx::TensorProto* tensor = pickFrom(rng, graph.mutable_initializer());
  if (!tensor) return false;
  if (tensor->dims_size() == 0 || pick(rng, 4) == 0) {
    tensor->add_dims(1);
  } else {
    int64_t& dim = *pickFrom(rng, tensor->mutable_dims());
    dim = pick(rng, 3) == 0 && dim < (1 << 16) ? dim * 2 : std::min<int64_t>(pickOf(rng, kDims), 64);
  }
  constexpr int64_t kMaxCount = 1 << 16;  // resize the data only up to this many elements
  int64_t count = 1;
  for (int64_t d : tensor->dims()) count = d < 0 || d > kMaxCount || count > kMaxCount ? kMaxCount + 1 : count * d;
  if (coin(rng) && count <= kMaxCount) resizeData(*tensor, count);
  return true;
}

onnx::TensorShapeProto* pickShape(onnx::GraphProto& graph, Rng& rng) {
  std::vector<onnx::ValueInfoProto*> infos;
  for (auto* list : {graph.mutable_input(), graph.mutable_output(), graph.mutable_value_info()})
    for (onnx::ValueInfoProto& info : *list) infos.push_back(&info);
  if (infos.empty()) return nullptr;
  onnx::TypeProto* type = infos[pick(rng, infos.size())]->mutable_type();
  if (coin(rng)) type->mutable_tensor_type()->set_elem_type(pickOf(rng, kElemTypes));
  return type->mutable_tensor_type()->mutable_shape();
}

bool mutateDim(onnx::GraphProto& graph, Rng& rng) {
  onnx::TensorShapeProto* shape = pickShape(graph, rng);
  if (!shape) return false;
  if (shape->dim_size() == 0 || pick(rng, 5) == 0) {
    shape->add_dim()->set_dim_value(pickOf(rng, kDims));
    return true;
  }
  onnx::TensorShapeProto::Dimension* dim = pickFrom(rng, shape->mutable_dim());
  switch (pick(rng, 4)) {
    case 0:
      dim->set_dim_param("N");
      break;
    case 1:
      dim->Clear();
      break;
    case 2:
      shape->mutable_dim()->RemoveLast();
      break;
    default:
      dim->set_dim_value(pickOf(rng, kDims));
  }
  return true;
}

void setRandomValue(onnx::AttributeProto& attribute, Rng& rng) {
  switch (attribute.type()) {
    case onnx::AttributeProto::INT:
      attribute.set_i(pickOf(rng, kEdgeInts));
      break;
    case onnx::AttributeProto::FLOAT:
      attribute.set_f(pickOf(rng, kSpecialFloats));
      break;
    case onnx::AttributeProto::STRING:
      attribute.set_s(pickOf(rng, kStrings));
      break;
    case onnx::AttributeProto::INTS:
      if (attribute.ints_size() == 0 || pick(rng, 4) == 0)
        attribute.add_ints(pickOf(rng, kEdgeInts));
      else if (pick(rng, 4) == 0)
        attribute.mutable_ints()->RemoveLast();
      else
        *pickFrom(rng, attribute.mutable_ints()) = pickOf(rng, kEdgeInts);
      break;
    default:
      attribute.set_type(onnx::AttributeProto::INT), attribute.set_i(pickOf(rng, kEdgeInts));
  }
}

bool mutateAttribute(onnx::GraphProto& graph, Rng& rng) {
  onnx::NodeProto* node = pickFrom(rng, graph.mutable_node());
  if (!node) return false;
  auto* attributes = node->mutable_attribute();
  if (attributes->empty() || pick(rng, 4) == 0) {
    onnx::AttributeProto* added = node->add_attribute();
    added->set_name(pickOf(rng, kAttributeNames));
    added->set_type(pickOf(rng, std::array{onnx::AttributeProto::INT, onnx::AttributeProto::INTS,
                                           onnx::AttributeProto::FLOAT, onnx::AttributeProto::STRING}));
    setRandomValue(*added, rng);
    return true;
  }
  int index = int(pick(rng, size_t(attributes->size())));
  if (pick(rng, 6) == 0)
    attributes->DeleteSubrange(index, 1);
  else
    setRandomValue(*attributes->Mutable(index), rng);
  return true;
}

bool rewireInput(onnx::GraphProto& graph, Rng& rng) {
  onnx::NodeProto* node = pickFrom(rng, graph.mutable_node());
  if (!node) return false;
  std::vector<std::string> names = valueNames(graph);
  names.push_back("");
  names.push_back("defined_nowhere");
  const std::string& name = names[pick(rng, names.size())];
  if (node->input_size() == 0 || pick(rng, 5) == 0)
    node->add_input(name);
  else if (pick(rng, 5) == 0)
    node->mutable_input()->RemoveLast();
  else
    *pickFrom(rng, node->mutable_input()) = name;
  return true;
}

bool mutateNodes(onnx::GraphProto& graph, Rng& rng) {
  if (graph.node_size() == 0) return false;
  int index = int(pick(rng, size_t(graph.node_size())));
  onnx::NodeProto& node = *graph.mutable_node(index);
  switch (pick(rng, 4)) {
    case 0:
      node.set_op_type(pickOf(rng, kOpTypes));
      break;
    case 1:
      node.set_domain(coin(rng) ? "com.example" : "");
      break;
    case 2:
      graph.mutable_node()->DeleteSubrange(index, 1);
      break;
    default: {
      onnx::NodeProto copy = node;
      for (std::string& output : *copy.mutable_output()) output += "_copy";
      copy.set_name(copy.name() + "_copy");
      *graph.add_node() = std::move(copy);
    }
  }
  return true;
}

// node -> If(cond) { then: node } else { node }: the node moves into both
// branches (reading outer-scope values), its outputs become the If's.
onnx::GraphProto branchOf(const onnx::NodeProto& node, const std::string& suffix) {
  onnx::GraphProto branch;
  branch.set_name(node.name() + suffix);
  onnx::NodeProto* inner = branch.add_node();
  *inner = node;
  for (std::string& output : *inner->mutable_output()) {
    output += suffix;
    onnx::ValueInfoProto* out = branch.add_output();
    out->set_name(output);
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  return branch;
}

bool wrapInIf(onnx::GraphProto& graph, Rng& rng) {
  onnx::NodeProto* node = pickFrom(rng, graph.mutable_node());
  if (!node) return false;
  std::string condition = node->name() + "_cond" + std::to_string(graph.initializer_size());
  onnx::TensorProto* flag = graph.add_initializer();
  flag->set_name(condition);
  flag->set_data_type(onnx::TensorProto::BOOL);
  flag->add_int32_data(int(coin(rng)));
  onnx::NodeProto wrapper;
  wrapper.set_op_type("If");
  wrapper.set_name(node->name() + "_if");
  wrapper.add_input(condition);
  *wrapper.mutable_output() = node->output();
  for (const char* branch : {"then_branch", "else_branch"}) {
    onnx::AttributeProto* attribute = wrapper.add_attribute();
    attribute->set_name(branch);
    attribute->set_type(onnx::AttributeProto::GRAPH);
    *attribute->mutable_g() = branchOf(*node, std::string("_") + branch);
  }
  *node = std::move(wrapper);
  return true;
}

bool mutateExternalData(onnx::GraphProto& graph, Rng& rng) {
  onnx::TensorProto* tensor = pickFrom(rng, graph.mutable_initializer());
  if (!tensor) return false;
  tensor->set_data_location(onnx::TensorProto::EXTERNAL);
  if (coin(rng)) tensor->clear_raw_data();
  tensor->clear_external_data();
  for (const char* key : {"location", "offset", "length"}) {
    if (pick(rng, 4) == 0) continue;
    onnx::StringStringEntryProto* entry = tensor->add_external_data();
    entry->set_key(key);
    entry->set_value(key == std::string("location") ? pickOf(rng, kLocations) : std::to_string(pickOf(rng, kEdgeInts)));
  }
  return true;
}

bool mutateModelFields(onnx::ModelProto& model, Rng& rng) {
  constexpr std::array<int64_t, 12> versions = {-1, 1, 7, 9, 11, 12, 13, 14, 17, 18, 21, 100};
  if (pick(rng, 4) == 0) {
    model.set_ir_version(pickOf(rng, std::array<int64_t, 6>{0, 3, 4, 8, 10, 100}));
    return true;
  }
  onnx::OperatorSetIdProto* opset = pickFrom(rng, model.mutable_opset_import());
  if (!opset || pick(rng, 4) == 0) {
    opset = model.add_opset_import();
    opset->set_domain(coin(rng) ? "com.example" : "");
  }
  opset->set_version(pickOf(rng, versions));
  return true;
}

}  // namespace

void mutateModel(onnx::ModelProto& model, Rng& rng) {
  std::vector<onnx::GraphProto*> graphs;
  collectGraphs(model.mutable_graph(), graphs);
  using GraphMutation = bool (*)(onnx::GraphProto&, Rng&);
  constexpr std::array<GraphMutation, 9> mutations = {mutateInitializerData,
                                                      mutateInitializerData,
                                                      mutateInitializerShape,
                                                      mutateDim,
                                                      mutateAttribute,
                                                      rewireInput,
                                                      mutateNodes,
                                                      wrapInIf,
                                                      mutateExternalData};
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (pick(rng, 12) == 0 && mutateModelFields(model, rng)) return;
    onnx::GraphProto& graph = *graphs[pick(rng, graphs.size())];
    // Wrapping and external data break a model outright more often than not: rarer.
    size_t which = pick(rng, mutations.size());
    if (which >= 7 && pick(rng, 3) != 0) continue;
    if (mutations[which](graph, rng)) return;
  }
}

size_t mutateSerializedModel(uint8_t* data, size_t size, size_t maxSize, unsigned seed) {
  Rng rng(seed);
  onnx::ModelProto model;
  if (pick(rng, 16) == 0 || !model.ParseFromArray(data, int(size)) || !model.has_graph())
    return LLVMFuzzerMutate(data, size, maxSize);
  for (size_t steps = 1 + pick(rng, 3); steps > 0; --steps) mutateModel(model, rng);
  std::string bytes;
  if (!model.SerializeToString(&bytes) || bytes.size() > maxSize) return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, bytes.data(), bytes.size());
  return bytes.size();
}

}  // namespace convopt::fuzz
