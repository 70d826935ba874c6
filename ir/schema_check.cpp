#include "ir/schema_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <onnx/defs/data_type_utils.h>
#include <onnx/defs/schema.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/error.h"
#include "ir/int_math.h"

namespace convopt::ir {

namespace {

// Domain -> the opset the model imports, and whether libonnx knows that opset
// (beyond it libonnx uses its newest schemas, which a node may legitimately outgrow).
struct Opset {
  int version;
  bool known;  // libonnx has the schemas of this version
  int last;    // the newest version libonnx knows
};
using Opsets = std::map<std::string, Opset>;
// What the model's types say of a value, by name, where they say it.
struct Known {
  std::map<std::string, int> ranks;
  std::map<std::string, int32_t> elementTypes;  // onnx::TensorProto::DataType
};

// Window ops and which of their inputs are [N, C, spatial...] tensors of one rank:
// libonnx indexes their dims without checking the rank.
const std::map<std::string, std::vector<int>>& windowOps() {
  static const std::map<std::string, std::vector<int>> ops = {
      {"Conv", {0, 1}},           {"ConvTranspose", {0, 1}}, {"ConvInteger", {0, 1}}, {"QLinearConv", {0, 3}},
      {"DeformConv", {0, 1}},     {"MaxPool", {0}},          {"AveragePool", {0}},    {"LpPool", {0}},
      {"GlobalAveragePool", {0}}, {"GlobalMaxPool", {0}},    {"GlobalLpPool", {0}},   {"MaxUnpool", {0}}};
  return ops;
}

// Only the types libonnx can name: a newer one is left to the project's rules.
// A declaration that says less than the outer scope did (a body input reusing
// an outer name) forgets what the outer one said.
void addElementType(Known& known, const std::string& name, int32_t type) {
  if (type != onnx::TensorProto::UNDEFINED && onnx::TensorProto::DataType_IsValid(type))
    known.elementTypes[name] = type;
  else
    known.elementTypes.erase(name);
}

void addKnown(Known& known, const onnx::ValueInfoProto& info) {
  bool tensor = info.type().has_tensor_type();
  if (tensor && info.type().tensor_type().has_shape())
    known.ranks[info.name()] = info.type().tensor_type().shape().dim_size();
  else
    known.ranks.erase(info.name());
  addElementType(known, info.name(), tensor ? info.type().tensor_type().elem_type() : onnx::TensorProto::UNDEFINED);
}

std::string label(const onnx::NodeProto& node) {
  return node.name().empty() ? node.op_type() + "(" + (node.output_size() ? node.output(0) : "") + ")"
                             : "'" + node.name() + "'";
}

// Window attributes libonnx divides by or sizes loops with.
void checkPositiveAttributes(const onnx::NodeProto& node) {
  static const std::set<std::string> positive = {"strides", "dilations", "kernel_shape", "group"};
  for (const onnx::AttributeProto& attribute : node.attribute()) {
    if (!positive.count(attribute.name())) continue;
    if (attribute.type() == onnx::AttributeProto::INT && attribute.i() < 1)
      throwInputError("node {}: {} is {}, not positive", label(node), attribute.name(), attribute.i());
    for (int64_t value : attribute.ints())
      if (value < 1) throwInputError("node {}: {} has {}, not positive", label(node), attribute.name(), value);
  }
}

// Each input's element type against the schema's type constraint, and inputs
// sharing a homogeneous constraint (Gemm's A, B and C: T) of one type, as
// onnxruntime checks them when it loads a model: kernels and libonnx's
// inference read an input as the type its constraint binds (a bool Gemm bias
// read as float, float Pad pads read as int64). Returns the problem, or "".
std::string inputTypeProblem(const onnx::NodeProto& node, const onnx::OpSchema& schema, const Known& known) {
  const std::vector<onnx::OpSchema::FormalParameter>& formals = schema.inputs();
  std::map<std::string, std::pair<std::string, onnx::DataType>> bound;  // constraint -> first input, its type
  for (int i = 0; i < node.input_size() && !formals.empty(); ++i) {
    const onnx::OpSchema::FormalParameter& formal = formals[std::min<size_t>(size_t(i), formals.size() - 1)];
    bool variadic = size_t(i) + 1 >= formals.size() && formal.GetOption() == onnx::OpSchema::Variadic;
    if (size_t(i) >= formals.size() && !variadic) return "";  // too many inputs: Verify's case
    auto element = known.elementTypes.find(node.input(i));
    if (node.input(i).empty() || element == known.elementTypes.end()) continue;
    onnx::TypeProto type;
    type.mutable_tensor_type()->set_elem_type(element->second);
    onnx::DataType actual = onnx::Utils::DataTypeUtils::ToType(type);
    if (!formal.GetTypes().count(actual)) {
      std::vector<std::string> allowed;
      for (onnx::DataType t : formal.GetTypes()) allowed.push_back(*t);
      std::sort(allowed.begin(), allowed.end());
      return fmt::format("input '{}' is {}, which {} does not take as {} ({})", node.input(i), *actual, node.op_type(),
                         formal.GetTypeStr(), fmt::join(allowed, ", "));
    }
    if (variadic && !formal.GetIsHomogeneous()) continue;
    auto [first, fresh] = bound.try_emplace(formal.GetTypeStr(), node.input(i), actual);
    if (!fresh && first->second.second != actual)
      return fmt::format("inputs '{}' and '{}' are {} and {}, where {} takes one type {} for both", first->second.first,
                         node.input(i), *first->second.second, *actual, node.op_type(), formal.GetTypeStr());
  }
  return "";
}

// What the node's schema rejects: its structure (Verify), then its input types.
std::string schemaProblem(const onnx::NodeProto& node, const onnx::OpSchema& schema, const Known& known) {
  try {
    schema.Verify(node);
  } catch (const std::exception& e) {
    return e.what();
  }
  return inputTypeProblem(node, schema, known);
}

void checkWindowRanks(const onnx::NodeProto& node, const Known& known) {
  const std::map<std::string, int>& ranks = known.ranks;
  auto op = windowOps().find(node.op_type());
  if (op == windowOps().end()) return;
  int first = -1;
  for (int index : op->second) {
    auto rank = index < node.input_size() ? ranks.find(node.input(index)) : ranks.end();
    if (rank == ranks.end()) continue;
    if (rank->second < 3 || (first >= 0 && rank->second != first))
      throwInputError("node {}: input '{}' has rank {}; {} takes [N, C, spatial...] tensors of one rank >= 3",
                      label(node), node.input(index), rank->second, node.op_type());
    first = rank->second;
  }
}

// The first opset of `domain` after `version`, up to `last`, that defines `op`;
// 0 if none does, or if the op existed before that as an experimental op,
// which libonnx no longer lists and onnxruntime still runs at opset 1 on
// (its onnx_deprecated_operators.cc).
int firstOpsetDefining(const std::string& op, const std::string& domain, int version, int last) {
  static const std::set<std::string> formerlyExperimental = {"Affine",
                                                             "Crop",
                                                             "DynamicSlice",
                                                             "GivenTensorFill",
                                                             "GRUUnit",
                                                             "ImageScaler",
                                                             "MeanVarianceNormalization",
                                                             "ParametricSoftplus",
                                                             "Scale",
                                                             "ScaledTanh",
                                                             "ThresholdedRelu"};
  if (domain.empty() && formerlyExperimental.count(op)) return 0;
  for (int later = version + 1; later <= last; ++later)
    if (const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(op, later, domain)) return schema->SinceVersion();
  return 0;
}

// Returns false when a node of a newer opset than libonnx knows breaks the
// schema libonnx would apply to it anyway.
bool checkGraph(const onnx::GraphProto& graph, const Opsets& opsets, Known known) {
  bool safe = true;
  for (const onnx::ValueInfoProto& info : graph.input()) addKnown(known, info);
  for (const onnx::ValueInfoProto& info : graph.value_info()) addKnown(known, info);
  for (const onnx::ValueInfoProto& info : graph.output()) addKnown(known, info);
  for (const onnx::TensorProto& tensor : graph.initializer()) {
    known.ranks[tensor.name()] = tensor.dims_size();
    addElementType(known, tensor.name(), tensor.data_type());
  }
  for (const onnx::NodeProto& node : graph.node()) {
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    auto opset = opsets.find(domain);
    const onnx::OpSchema* schema =
        opset == opsets.end() ? nullptr : onnx::OpSchemaRegistry::Schema(node.op_type(), opset->second.version, domain);
    if (schema) {
      if (std::string problem = schemaProblem(node, *schema, known); !problem.empty()) {
        if (opset->second.known) throwInputError("node {}: {}", label(node), problem);
        safe = false;
      }
      checkPositiveAttributes(node);
      if (domain.empty()) checkWindowRanks(node, known);
    } else if (opset != opsets.end() && opset->second.known) {  // as onnxruntime, which finds no kernel for it
      if (int since = firstOpsetDefining(node.op_type(), domain, opset->second.version, opset->second.last))
        throwInputError("node {}: {} is not in opset {} of {}: it came in opset {}", label(node), node.op_type(),
                        opset->second.version, domain.empty() ? "the default domain" : "'" + domain + "'", since);
    }
    for (const onnx::AttributeProto& attribute : node.attribute()) {
      if (attribute.has_g()) safe &= checkGraph(attribute.g(), opsets, known);
      for (const onnx::GraphProto& subgraph : attribute.graphs()) safe &= checkGraph(subgraph, opsets, known);
    }
  }
  return safe;
}

// The rank condition of checkWindowRanks on the types libonnx has at hand when it
// reaches the node, which include ranks it inferred earlier in the same pass.
void requireWindowRanks(onnx::InferenceContext& ctx, const std::vector<int>& inputs) {
  int first = -1;
  for (int index : inputs) {
    const onnx::TypeProto* type = size_t(index) < ctx.getNumInputs() ? ctx.getInputType(index) : nullptr;
    if (!type || !type->has_tensor_type() || !type->tensor_type().has_shape()) continue;
    int rank = type->tensor_type().shape().dim_size();
    if (rank < 3 || (first >= 0 && rank != first))
      fail_shape_inference("input ", index, " has rank ", rank, "; expected one rank >= 3 for data and weights");
    first = rank;
  }
}

// libonnx before ONNX 1.16 (onnx/onnx#5741) keeps a pool's last ceil_mode window
// that starts in the end padding; its result is recounted (windowCount), as the
// project's rule, the reference interpreter and onnxruntime count, so the two agree.
void dropWindowsStartingInPadding(onnx::InferenceContext& ctx) {
  const onnx::AttributeProto* ceil = ctx.getAttribute("ceil_mode");
  const onnx::AttributeProto* autoPad = ctx.getAttribute("auto_pad");
  if (!ceil || ceil->i() == 0 || (autoPad && autoPad->s() != "NOTSET" && autoPad->s() != "VALID")) return;
  const onnx::TypeProto* in = ctx.getNumInputs() > 0 ? ctx.getInputType(0) : nullptr;
  onnx::TypeProto* out = ctx.getNumOutputs() > 0 ? ctx.getOutputType(0) : nullptr;
  if (!in || !out || !in->tensor_type().has_shape() || !out->tensor_type().has_shape()) return;
  const onnx::TensorShapeProto& inShape = in->tensor_type().shape();
  onnx::TensorShapeProto* outShape = out->mutable_tensor_type()->mutable_shape();
  int spatial = inShape.dim_size() - 2;
  // An attribute of `size` values (the default's when absent), else none: libonnx has failed the node.
  auto ints = [&](const char* name, int size, int64_t fallback) -> std::optional<std::vector<int64_t>> {
    const onnx::AttributeProto* attribute = ctx.getAttribute(name);
    if (!attribute) return std::vector<int64_t>(size, fallback);
    if (attribute->ints_size() != size) return std::nullopt;
    return std::vector<int64_t>(attribute->ints().begin(), attribute->ints().end());
  };
  bool valid = autoPad && autoPad->s() == "VALID";
  auto kernel = ints("kernel_shape", spatial, 0), strides = ints("strides", spatial, 1),
       dilations = ints("dilations", spatial, 1), pads = ints("pads", 2 * spatial, 0);
  if (!kernel || !strides || !dilations || !pads) return;
  for (int i = 0; i < spatial && i + 2 < outShape->dim_size(); ++i) {
    const onnx::TensorShapeProto::Dimension& x = inShape.dim(i + 2);
    onnx::TensorShapeProto::Dimension* y = outShape->mutable_dim(i + 2);
    if (!x.has_dim_value() || !y->has_dim_value()) continue;
    using Wide = __int128;  // holds any attributes' arithmetic here; the rules refuse the absurd ones later
    Wide begin = valid ? 0 : (*pads)[i], end = valid ? 0 : (*pads)[i + spatial];
    Wide room = Wide(x.dim_value()) + begin + end - (Wide((*kernel)[i]) - 1) * (*dilations)[i] - 1;
    if (room < 0 || (*strides)[i] < 1) continue;
    Wide count = windowCount<Wide>(x.dim_value(), begin, room, (*strides)[i], true);
    if (count < (Wide(1) << 62)) y->set_dim_value(int64_t(count));
  }
}

// The standard registry, except that window ops check their inputs' ranks before
// libonnx's inference indexes them, and pools drop a window as above.
class GuardedSchemaRegistry final : public onnx::ISchemaRegistry {
 public:
  const onnx::OpSchema* GetSchema(const std::string& key, const int maxInclusiveVersion,
                                  const std::string& domain) const override {
    const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(key, maxInclusiveVersion, domain);
    auto op = windowOps().find(key);
    if (!schema || !domain.empty() || op == windowOps().end() || !schema->has_type_and_shape_inference_function())
      return schema;
    std::lock_guard<std::mutex> lock(mutex_);
    std::unique_ptr<onnx::OpSchema>& guarded = guarded_[schema];
    if (!guarded) {
      guarded = std::make_unique<onnx::OpSchema>(*schema);
      guarded->TypeAndShapeInferenceFunction(
          [infer = schema->GetTypeAndShapeInferenceFunction(), inputs = op->second,
           pool = key == "MaxPool" || key == "AveragePool" || key == "LpPool"](onnx::InferenceContext& ctx) {
            requireWindowRanks(ctx, inputs);
            infer(ctx);
            if (pool) dropWindowsStartingInPadding(ctx);
          });
    }
    return guarded.get();
  }

 private:
  mutable std::mutex mutex_;
  mutable std::map<const onnx::OpSchema*, std::unique_ptr<onnx::OpSchema>> guarded_;
};

}  // namespace

const onnx::ISchemaRegistry& guardedSchemaRegistry() {
  static const GuardedSchemaRegistry registry;
  return registry;
}

bool checkNodesAgainstSchemas(const onnx::ModelProto& model) {
  const auto& known = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  Opsets opsets;
  for (const onnx::OperatorSetIdProto& import : model.opset_import()) {
    std::string domain = import.domain() == "ai.onnx" ? "" : import.domain();
    auto range = known.find(domain);
    if (range == known.end() || import.version() < 1 || import.version() > INT32_MAX) continue;
    opsets[domain] = {int(import.version()), import.version() <= range->second.second, range->second.second};
  }
  return checkGraph(model.graph(), opsets, {});
}

}  // namespace convopt::ir
