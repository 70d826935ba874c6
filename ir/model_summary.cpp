#include "ir/model_summary.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ir/error.h"
#include "ir/printer.h"

namespace convopt::ir {
namespace {

constexpr ConvKind kKinds[] = {ConvKind::Dense, ConvKind::Pointwise, ConvKind::Grouped, ConvKind::Depthwise};

// M*N*K for Gemm, prod(output) * K for MatMul; empty when dims are unknown.
std::optional<int64_t> matMulMacs(const Node& node) {
  const Value* a = node.input(0);
  const Value* out = node.output(0);
  if (!a || !out || !a->type.hasStaticShape() || !out->type.hasStaticShape() || a->type.shape->empty())
    return std::nullopt;
  std::vector<int64_t> aDims = a->type.staticShape();
  bool transA = node.opType == "Gemm" && node.getInt("transA", 0) != 0;
  int64_t k = transA ? aDims.front() : aDims.back();
  int64_t macs = k;
  for (int64_t d : out->type.staticShape())
    if (__builtin_mul_overflow(macs, d, &macs))
      throwInputError("node {}: its MAC count overflows 64 bits", node.label());
  return macs;
}

nlohmann::json dimsJson(const std::vector<int64_t>& dims) {
  nlohmann::json out = nlohmann::json::array();
  for (int64_t d : dims) out.push_back(d < 0 ? nlohmann::json(nullptr) : nlohmann::json(d));
  return out;
}

nlohmann::json valueJson(const Value& v) {
  nlohmann::json shape = nullptr;
  if (v.type.shape) {
    shape = nlohmann::json::array();
    for (const Dim& d : *v.type.shape)
      shape.push_back(d.isStatic()      ? nlohmann::json(d.value)
                      : d.param.empty() ? nlohmann::json(nullptr)
                                        : nlohmann::json(d.param));
  }
  return {{"name", v.name()}, {"dtype", dtypeName(v.type.dtype)}, {"shape", shape}};
}

nlohmann::json optionalJson(const std::optional<int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json convJson(const ConvInfo& c) {
  return {{"name", c.node->label()},
          {"scope", c.scope},
          {"kind", convKindName(c.kind)},
          {"in_channels", c.inChannels},
          {"out_channels", c.outChannels},
          {"group", c.group},
          {"kernel_shape", c.kernelShape},
          {"strides", c.strides},
          {"dilations", c.dilations},
          {"pads", c.pads},
          {"output_shape", dimsJson(c.outputSpatial)},
          {"weight_params", c.weightParams},
          {"bias_params", c.biasParams},
          {"macs", optionalJson(c.macs)}};
}

std::string dimsText(const std::vector<int64_t>& dims, const char* separator) {
  std::vector<std::string> parts;
  for (int64_t d : dims) parts.push_back(d < 0 ? "?" : std::to_string(d));
  return fmt::format("{}", fmt::join(parts, separator));
}

// Columns padded to their widest cell; the first column left-aligned, numbers right.
// `textColumns` leading columns are left-aligned.
std::string alignedTable(const std::vector<std::vector<std::string>>& rows, size_t textColumns) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i)
      line += i < textColumns ? fmt::format("{:<{}}  ", row[i], widths[i]) : fmt::format("{:>{}}  ", row[i], widths[i]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string convTable(const ModelSummary& s) {
  // The scope column appears when some conv is inside a subgraph.
  bool scoped = std::any_of(s.convs.begin(), s.convs.end(), [](const ConvInfo& c) { return !c.scope.empty(); });
  std::vector<std::vector<std::string>> rows{{"name", "kind", "C_in", "C_out", "group", "kernel", "strides",
                                              "dilations", "pads", "out HxW", "weights", "bias", "MACs"}};
  for (const ConvInfo& c : s.convs)
    rows.push_back({c.node->label(), std::string(convKindName(c.kind)), std::to_string(c.inChannels),
                    std::to_string(c.outChannels), std::to_string(c.group), dimsText(c.kernelShape, "x"),
                    dimsText(c.strides, ","), dimsText(c.dilations, ","), dimsText(c.pads, ","),
                    c.outputSpatial.empty() ? "?" : dimsText(c.outputSpatial, "x"), std::to_string(c.weightParams),
                    std::to_string(c.biasParams), c.macs ? std::to_string(*c.macs) : "unknown"});
  if (scoped) {
    rows[0].insert(rows[0].begin() + 1, "scope");
    for (size_t i = 1; i < rows.size(); ++i)
      rows[i].insert(rows[i].begin() + 1, s.convs[i - 1].scope.empty() ? "(main)" : s.convs[i - 1].scope);
  }
  return alignedTable(rows, scoped ? 3 : 2);
}

}  // namespace

namespace {

// Ops, parameters and convs of `graph` and its bodies. MACs count the main
// graph's ops only: a body runs once per branch taken or iteration.
void summarizeGraph(const Graph& graph, const std::string& scope, ModelSummary& s) {
  for (const Value* v : graph.initializers()) s.params += v->initializer()->numel();
  for (const Node* n : graph.nodes()) {
    for (const Attribute& a : n->attributes)
      for (const Subgraph& body : a.graphs) summarizeGraph(*body, n->bodyScope(scope, a.name), s);
    s.opHistogram[n->domain.empty() ? n->opType : n->domain + "." + n->opType]++;
    if (const Attribute* value = n->opType == "Constant" ? n->findAttribute("value") : nullptr)
      s.params += value->kind == AttrKind::Tensor ? value->t.numel() : 0;
    if (!n->domain.empty() && n->domain != "ai.onnx") continue;
    std::optional<int64_t> macs;
    if (n->opType == "Conv") {
      s.convs.push_back(analyzeConv(*n));
      s.convs.back().scope = scope;
      s.convCounts[s.convs.back().kind]++;
      macs = s.convs.back().macs;
    } else if (n->opType == "Gemm" || n->opType == "MatMul") {
      macs = matMulMacs(*n);
    } else {
      continue;
    }
    if (scope.empty()) s.macs = s.macs && macs ? std::optional(*s.macs + *macs) : std::nullopt;
  }
}

}  // namespace

ModelSummary summarizeModel(const Model& model) {
  ModelSummary s;
  const Graph& graph = *model.graph;
  s.opsets = model.opsets;
  for (const Value* v : graph.inputs())
    if (!v->isInitializer()) s.inputs.push_back(v);
  s.outputs.assign(graph.outputs().begin(), graph.outputs().end());
  for (ConvKind k : kKinds) s.convCounts[k] = 0;
  s.macs = 0;
  summarizeGraph(graph, "", s);
  return s;
}

nlohmann::json summaryToJson(const ModelSummary& s) {
  nlohmann::json j;
  j["opsets"] = nlohmann::json::array();
  for (const OpsetImport& o : s.opsets) j["opsets"].push_back({{"domain", o.domain}, {"version", o.version}});
  j["inputs"] = nlohmann::json::array();
  for (const Value* v : s.inputs) j["inputs"].push_back(valueJson(*v));
  j["outputs"] = nlohmann::json::array();
  for (const Value* v : s.outputs) j["outputs"].push_back(valueJson(*v));
  j["op_histogram"] = s.opHistogram;
  j["convs"] = nlohmann::json::array();
  for (const ConvInfo& c : s.convs) j["convs"].push_back(convJson(c));
  nlohmann::json totals = {{"params", s.params}, {"macs", optionalJson(s.macs)}};
  for (auto [kind, count] : s.convCounts) totals[std::string(convKindName(kind))] = count;
  j["totals"] = totals;
  return j;
}

std::string summaryToText(const ModelSummary& s) {
  std::string out;
  std::vector<std::string> opsets;
  for (const OpsetImport& o : s.opsets)
    opsets.push_back(fmt::format("{} {}", o.domain.empty() ? "ai.onnx" : o.domain, o.version));
  out += fmt::format("opsets:  {}\n", fmt::join(opsets, ", "));
  for (const Value* v : s.inputs) out += fmt::format("input:   {} {}\n", v->name(), typeText(v->type));
  for (const Value* v : s.outputs) out += fmt::format("output:  {} {}\n", v->name(), typeText(v->type));
  std::vector<std::string> ops;
  for (const auto& [op, count] : s.opHistogram) ops.push_back(fmt::format("{} {}", op, count));
  out += fmt::format("ops:     {}\n", fmt::join(ops, ", "));
  out += fmt::format("params:  {}\n", s.params);
  bool bodies = std::any_of(s.convs.begin(), s.convs.end(), [](const ConvInfo& c) { return !c.scope.empty(); });
  std::string macs = s.macs ? std::to_string(*s.macs) + (bodies ? " (Conv, Gemm, MatMul of the main graph; a body's "
                                                                  "run once per branch taken or iteration)"
                                                                : " (Conv, Gemm, MatMul)")
                            : "unknown (dims are dynamic; fix them with --input-shape NAME=1x3x224x224)";
  out += fmt::format("MACs:    {}\n", macs);
  std::vector<std::string> counts;
  for (auto [kind, count] : s.convCounts) counts.push_back(fmt::format("{} {}", convKindName(kind), count));
  out += fmt::format("convs:   {} ({})\n", s.convs.size(), fmt::join(counts, ", "));
  if (!s.convs.empty()) out += fmt::format("\n{}", convTable(s));
  return out;
}

}  // namespace convopt::ir
