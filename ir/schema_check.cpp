#include "ir/schema_check.h"

#include <onnx/defs/schema.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ir/error.h"

namespace convopt::ir {

namespace {

// Domain -> the opset the model imports, and whether libonnx knows that opset
// (beyond it libonnx uses its newest schemas, which a node may legitimately outgrow).
struct Opset {
  int version;
  bool known;
};
using Opsets = std::map<std::string, Opset>;
using Ranks = std::map<std::string, int>;  // value name -> rank, where a type says it

// Window ops and which of their inputs are [N, C, spatial...] tensors of one rank:
// libonnx indexes their dims without checking the rank.
const std::map<std::string, std::vector<int>>& windowOps() {
  static const std::map<std::string, std::vector<int>> ops = {
      {"Conv", {0, 1}},           {"ConvTranspose", {0, 1}}, {"ConvInteger", {0, 1}}, {"QLinearConv", {0, 3}},
      {"DeformConv", {0, 1}},     {"MaxPool", {0}},          {"AveragePool", {0}},    {"LpPool", {0}},
      {"GlobalAveragePool", {0}}, {"GlobalMaxPool", {0}},    {"GlobalLpPool", {0}},   {"MaxUnpool", {0}}};
  return ops;
}

void addRank(Ranks& ranks, const onnx::ValueInfoProto& info) {
  if (info.type().has_tensor_type() && info.type().tensor_type().has_shape())
    ranks[info.name()] = info.type().tensor_type().shape().dim_size();
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

void checkWindowRanks(const onnx::NodeProto& node, const Ranks& ranks) {
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

// Returns false when a node of a newer opset than libonnx knows breaks the
// schema libonnx would apply to it anyway.
bool checkGraph(const onnx::GraphProto& graph, const Opsets& opsets, Ranks ranks) {
  bool safe = true;
  for (const onnx::ValueInfoProto& info : graph.input()) addRank(ranks, info);
  for (const onnx::ValueInfoProto& info : graph.value_info()) addRank(ranks, info);
  for (const onnx::ValueInfoProto& info : graph.output()) addRank(ranks, info);
  for (const onnx::TensorProto& tensor : graph.initializer()) ranks[tensor.name()] = tensor.dims_size();
  for (const onnx::NodeProto& node : graph.node()) {
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    auto opset = opsets.find(domain);
    const onnx::OpSchema* schema =
        opset == opsets.end() ? nullptr : onnx::OpSchemaRegistry::Schema(node.op_type(), opset->second.version, domain);
    if (schema) {
      try {
        schema->Verify(node);
      } catch (const std::exception& e) {
        if (opset->second.known) throwInputError("node {}: {}", label(node), e.what());
        safe = false;
      }
      checkPositiveAttributes(node);
      if (domain.empty()) checkWindowRanks(node, ranks);
    }
    for (const onnx::AttributeProto& attribute : node.attribute()) {
      if (attribute.has_g()) safe &= checkGraph(attribute.g(), opsets, ranks);
      for (const onnx::GraphProto& subgraph : attribute.graphs()) safe &= checkGraph(subgraph, opsets, ranks);
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

// The standard registry, except that window ops check their inputs' ranks before
// libonnx's inference indexes them.
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
          [infer = schema->GetTypeAndShapeInferenceFunction(), inputs = op->second](onnx::InferenceContext& ctx) {
            requireWindowRanks(ctx, inputs);
            infer(ctx);
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
    opsets[domain] = {int(import.version()), import.version() <= range->second.second};
  }
  return checkGraph(model.graph(), opsets, {});
}

}  // namespace convopt::ir
