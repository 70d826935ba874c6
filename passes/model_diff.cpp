#include "passes/model_diff.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "passes/conv_utils.h"

namespace convopt::passes {
namespace {

std::string attributeText(const ir::Attribute& a) {
  switch (a.kind) {
    case ir::AttrKind::Int:
      return fmt::format("{} = {}", a.name, a.i);
    case ir::AttrKind::Float:
      return fmt::format("{} = {}", a.name, a.f);
    case ir::AttrKind::String:
      return fmt::format("{} = \"{}\"", a.name, a.s);
    case ir::AttrKind::Ints:
      return fmt::format("{} = [{}]", a.name, fmt::join(a.ints, ", "));
    default:
      return a.name;
  }
}

std::string inputText(const ir::Value* v) {
  if (!v) return "";
  if (!v->initializer()) return v->name();
  return fmt::format("{}[{}]", v->name(), fmt::join(v->initializer()->dims(), ","));
}

std::map<std::string, const ir::Node*> byFirstOutput(const ir::Graph& g) {
  std::map<std::string, const ir::Node*> nodes;
  for (const ir::Node* n : g.nodes())
    if (!n->outputs().empty() && n->output(0)) nodes[n->output(0)->name()] = n;
  return nodes;
}

// Same kind and contents; bodies are compared on their own (nodeDifferences does not descend).
bool sameAttribute(const ir::Attribute& a, const ir::Attribute& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ir::AttrKind::Graph:
    case ir::AttrKind::Graphs:
      return true;
    case ir::AttrKind::Tensor:
      return a.t.sameContents(b.t);
    case ir::AttrKind::Tensors:
      return a.tensors.size() == b.tensors.size() &&
             std::equal(a.tensors.begin(), a.tensors.end(), b.tensors.begin(),
                        [](const ir::Tensor& x, const ir::Tensor& y) { return x.sameContents(y); });
    case ir::AttrKind::Opaque:
      return a.opaqueProto == b.opaqueProto;
    default:
      return a.f == b.f && a.i == b.i && a.s == b.s && a.floats == b.floats && a.ints == b.ints &&
             a.strings == b.strings;
  }
}

std::string nameOf(const ir::Value* v) { return v ? v->name() : ""; }

}  // namespace

std::string nodeOneLine(const ir::Node& n) {
  std::vector<std::string> inputs, attrs;
  for (const ir::Value* v : n.inputs()) inputs.push_back(inputText(v));
  for (const ir::Attribute& a : n.attributes) attrs.push_back(attributeText(a));
  return fmt::format("{}({}){}", n.opType, fmt::join(inputs, ", "),
                     attrs.empty() ? "" : fmt::format(" <{}>", fmt::join(attrs, ", ")));
}

std::vector<std::string> nodeDifferences(const ir::Node& a, const ir::Node& b) {
  std::vector<std::string> details;
  if (a.opType != b.opType || a.domain != b.domain) details.push_back(fmt::format("op {} -> {}", a.opType, b.opType));
  std::map<std::string, const ir::Attribute*> attrsA, attrsB;
  for (const ir::Attribute& x : a.attributes) attrsA[x.name] = &x;
  for (const ir::Attribute& x : b.attributes) attrsB[x.name] = &x;
  for (const auto& [name, x] : attrsA)
    if (!attrsB.count(name) || !sameAttribute(*x, *attrsB[name]))
      details.push_back(
          fmt::format("{} -> {}", attributeText(*x), attrsB.count(name) ? attributeText(*attrsB[name]) : "(absent)"));
  for (const auto& [name, x] : attrsB)
    if (!attrsA.count(name)) details.push_back(fmt::format("(absent) -> {}", attributeText(*x)));
  size_t inputs = std::max(a.inputs().size(), b.inputs().size());
  for (size_t i = 0; i < inputs; ++i) {
    const ir::Value *va = a.input(i), *vb = b.input(i);
    const ir::Tensor *ca = constantTensor(va), *cb = constantTensor(vb);  // through captures too
    bool same = inputText(va) == inputText(vb) && (ca == nullptr) == (cb == nullptr) && (!ca || ca->sameContents(*cb));
    if (!same) details.push_back(fmt::format("input {}: {} -> {}", i, inputText(va), inputText(vb)));
  }
  size_t outputs = std::max(a.outputs().size(), b.outputs().size());
  for (size_t i = 1; i < outputs; ++i)
    if (nameOf(i < a.outputs().size() ? a.output(i) : nullptr) !=
        nameOf(i < b.outputs().size() ? b.output(i) : nullptr))
      details.push_back(fmt::format("output {} differs", i));
  return details;
}

namespace {

// "pointwise 1 -> 0, grouped 0 -> 1": every kind present on either side.
std::string countsText(const ir::ModelSummary& before, const ir::ModelSummary& after) {
  std::map<ir::ConvKind, std::pair<int64_t, int64_t>> counts;
  for (const auto& [kind, count] : before.convCounts) counts[kind].first = count;
  for (const auto& [kind, count] : after.convCounts) counts[kind].second = count;
  std::vector<std::string> items;
  for (const auto& [kind, c] : counts)
    if (c.first || c.second) items.push_back(fmt::format("{} {} -> {}", ir::convKindName(kind), c.first, c.second));
  return items.empty() ? "none" : fmt::format("{}", fmt::join(items, ", "));
}

std::string macsText(const ir::ModelSummary& s) { return s.macs ? std::to_string(*s.macs) : "unknown"; }

}  // namespace

ModelDiff diffModels(const ir::Model& before, const ir::Model& after) {
  ModelDiff diff;
  diff.before = ir::summarizeModel(before);
  diff.after = ir::summarizeModel(after);
  diff.nodesBefore = static_cast<int64_t>(before.graph->numNodes());
  diff.nodesAfter = static_cast<int64_t>(after.graph->numNodes());
  auto a = byFirstOutput(*before.graph), b = byFirstOutput(*after.graph);
  for (const auto& [output, node] : a) {
    auto it = b.find(output);
    if (it == b.end()) {
      diff.removed.push_back({output, nodeOneLine(*node), "", {}});
    } else if (auto details = nodeDifferences(*node, *it->second); !details.empty()) {
      diff.changed.push_back({output, nodeOneLine(*node), nodeOneLine(*it->second), details});
    }
  }
  for (const auto& [output, node] : b)
    if (!a.count(output)) diff.added.push_back({output, "", nodeOneLine(*node), {}});
  return diff;
}

std::string modelDiffToText(const ModelDiff& diff) {
  std::string out = fmt::format("nodes:  {} -> {} (removed {}, added {}, changed {})\n", diff.nodesBefore,
                                diff.nodesAfter, diff.removed.size(), diff.added.size(), diff.changed.size());
  out += fmt::format("params: {} -> {}\n", diff.before.params, diff.after.params);
  out += fmt::format("MACs:   {} -> {}\n", macsText(diff.before), macsText(diff.after));
  out += fmt::format("convs:  {}\n", countsText(diff.before, diff.after));
  for (const NodeChange& c : diff.removed) out += fmt::format("- {} = {}\n", c.output, c.before);
  for (const NodeChange& c : diff.added) out += fmt::format("+ {} = {}\n", c.output, c.after);
  for (const NodeChange& c : diff.changed) {
    out += fmt::format("~ {} = {}\n", c.output, c.after);
    for (const std::string& d : c.details) out += fmt::format("    {}\n", d);
  }
  return out;
}

nlohmann::json modelDiffToJson(const ModelDiff& diff) {
  auto changes = [](const std::vector<NodeChange>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const NodeChange& c : list)
      out.push_back({{"output", c.output}, {"before", c.before}, {"after", c.after}, {"details", c.details}});
    return out;
  };
  auto totals = [](const ir::ModelSummary& s, int64_t nodes) {
    nlohmann::json t = {{"nodes", nodes}, {"params", s.params}, {"macs", s.macs ? nlohmann::json(*s.macs) : nullptr}};
    for (const auto& [kind, count] : s.convCounts) t[std::string(ir::convKindName(kind))] = count;
    return t;
  };
  return {
      {"removed", changes(diff.removed)},
      {"added", changes(diff.added)},
      {"changed", changes(diff.changed)},
      {"totals", {{"before", totals(diff.before, diff.nodesBefore)}, {"after", totals(diff.after, diff.nodesAfter)}}}};
}

}  // namespace convopt::passes
