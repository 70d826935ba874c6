#include "passes/rewrite_regions.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "ir/error.h"
#include "passes/conv_utils.h"
#include "passes/model_diff.h"
#include "passes/seeded_dims.h"

namespace convopt::passes {
namespace {

std::string nameOf(const ir::Value* value) { return value ? value->name() : ""; }

// The node of `other` producing the node's first output's name, if it is the same node.
const ir::Node* unchangedIn(const ir::Node& node, const ir::Graph& other) {
  for (const ir::Value* out : node.outputs()) {
    if (!out) continue;
    const ir::Value* there = other.findValue(out->name());
    const ir::Node* producer = there ? there->producer() : nullptr;
    return producer && nodeDifferences(node, *producer).empty() ? producer : nullptr;
  }
  return nullptr;
}

// The changed nodes of one version of a region.
struct Side {
  const ir::Graph* graph;
  std::vector<const ir::Node*> nodes;
};

std::vector<const ir::Value*> readValues(const ir::Node& node) {
  std::vector<const ir::Value*> values(node.inputs().begin(), node.inputs().end());
  values.insert(values.end(), node.implicitInputs().begin(), node.implicitInputs().end());
  return values;
}

bool readOutside(const ir::Value& value, const std::set<const ir::Node*>& region) {
  if (value.isGraphOutput()) return true;
  for (const ir::Use& use : value.uses())
    if (!region.count(use.user)) return true;
  return false;
}

// Concrete dims for a region input: its own, else what `shapes` says, else
// sized for the region's nodes (seeded_dims.h), each so chosen noted in `defaulted`.
std::optional<std::vector<int64_t>> concreteDims(const ir::Value& value, const ir::ShapesByName& shapes,
                                                 int64_t dynamicDim, const std::vector<const ir::Node*>& readers,
                                                 std::vector<std::string>& defaulted) {
  if (value.type.hasStaticShape()) return value.type.staticShape();
  if (auto it = shapes.find(value.name()); it != shapes.end()) return it->second;
  if (!value.type.shape) return std::nullopt;
  return seededDims(value, readers, dynamicDim, defaulted);
}

// That `input` of a region has no known rank, and what would give it one.
std::string noRankReason(const ir::Model& source, const ir::Value& input) {
  const ir::Value* defined = input.definition();  // a capture: the enclosing graph's value
  if (defined && defined != &input) return noRankReason(source, *defined);
  if (const ir::Node* producer = input.producer())
    return fmt::format("input '{}' (computed by {}) has no known rank; declare its shape in the model's value_info",
                       input.name(), producer->label());
  if (source.graph->findValue(input.name()) == &input)
    return fmt::format("input '{}' has no known rank; give its dims with --input-shape", input.name());
  return fmt::format("input '{}' of a subgraph has no known rank; declare its shape in the subgraph's inputs",
                     input.name());
}

struct RegionBuilder {
  const ir::Model& source;
  const ir::ShapesByName& shapes;
  int64_t dynamicDim;
  std::vector<const ir::Node*> readers;  // the nodes of both versions
  std::string uncheckable;
  std::vector<std::string> defaulted;

  // One version of the region as a model reading `inputs` and producing `outputs`.
  ir::Model build(const Side& side, const std::vector<const ir::Value*>& inputs,
                  const std::vector<std::string>& outputs) {
    ir::Model model;
    model.opsets = source.opsets;
    model.irVersion = source.irVersion;
    ir::Graph& g = *model.graph;
    g.name = "region";
    for (const ir::Value* input : inputs) {
      std::optional<std::vector<int64_t>> dims = concreteDims(*input, shapes, dynamicDim, readers, defaulted);
      if (!dims) {
        uncheckable = noRankReason(source, *input);
        dims.emplace();
      }
      g.addInput(input->name(), ir::ValueType::tensor(input->type.dtype, *dims));
    }
    auto constantFor = [&](const ir::Value* value) {  // a constant the region reads (or the pass made)
      const ir::Tensor* constant = constantTensor(value);
      if (!constant) uncheckable = fmt::format("'{}' is neither computed nor a constant there", value->name());
      ir::Tensor copy = constant ? *constant : ir::Tensor();
      copy.name = value->name();
      return g.addInitializer(std::move(copy));
    };
    auto valueFor = [&](const ir::Value* value) -> ir::Value* {
      if (!value) return nullptr;
      if (ir::Value* known = g.findValue(value->name())) return known;
      return constantFor(value);
    };
    for (const ir::Node* node : side.nodes) {
      if (!node->subgraphs().empty()) uncheckable = fmt::format("node {} holds a body", node->label());
      std::vector<ir::Value*> ins;
      for (const ir::Value* in : node->inputs()) ins.push_back(valueFor(in));
      std::vector<std::string> outs;
      for (const ir::Value* out : node->outputs()) outs.push_back(nameOf(out));
      ir::Node* copy = g.createNode(node->opType, ins, outs);
      copy->name = node->name;
      copy->domain = node->domain;
      copy->attributes = node->attributes;
    }
    for (const std::string& name : outputs) {
      ir::Value* value = g.findValue(name);
      if (!value && side.graph->findValue(name)) value = constantFor(side.graph->findValue(name));
      if (!value) {
        uncheckable = fmt::format("'{}' exists on one side of the rewrite only", name);
        continue;
      }
      if (value->type.dtype == ir::DType::Undefined) value->type = side.graph->findValue(name)->type;
      g.markOutput(value);
    }
    g.topologicalSort();
    return model;
  }
};

// Groups the changed nodes of both versions into connected regions (union-find).
std::vector<std::pair<Side, Side>> connectedRegions(const Side& before, const Side& after) {
  std::vector<const ir::Node*> all(before.nodes);
  all.insert(all.end(), after.nodes.begin(), after.nodes.end());
  std::vector<size_t> parent(all.size());
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  // Nodes meeting at a value some changed node produces belong together.
  std::map<std::string, std::vector<size_t>> byValue;
  std::set<std::string> produced;
  for (size_t i = 0; i < all.size(); ++i) {
    for (const ir::Value* out : all[i]->outputs())
      if (out) byValue[out->name()].push_back(i), produced.insert(out->name());
    for (const ir::Value* in : readValues(*all[i]))
      if (in) byValue[in->name()].push_back(i);
  }
  for (const auto& [name, nodes] : byValue)
    if (produced.count(name))
      for (size_t i : nodes) parent[find(i)] = find(nodes[0]);
  std::map<size_t, std::pair<Side, Side>> regions;
  for (size_t i = 0; i < all.size(); ++i) {
    auto [it, fresh] = regions.try_emplace(find(i), Side{before.graph, {}}, Side{after.graph, {}});
    (i < before.nodes.size() ? it->second.first : it->second.second).nodes.push_back(all[i]);
  }
  std::vector<std::pair<Side, Side>> out;
  for (auto& [root, region] : regions) out.push_back(std::move(region));
  return out;
}

struct RegionFinder {
  const ir::Model& beforeModel;
  const std::string& pass;
  const ir::ShapesByName& shapes;
  int64_t dynamicDim;
  std::vector<RewriteRegion> regions;

  void addRegion(const Side& before, const Side& after, const std::string& scope) {
    std::set<const ir::Node*> inBefore(before.nodes.begin(), before.nodes.end()),
        inAfter(after.nodes.begin(), after.nodes.end());
    std::vector<std::string> outputs;
    std::vector<const ir::Value*> inputs;
    std::set<std::string> seen;
    for (const auto& [side, members] : {std::pair{&before, &inBefore}, std::pair{&after, &inAfter}}) {
      std::set<std::string> producedHere;
      for (const ir::Node* node : side->nodes)
        for (const ir::Value* out : node->outputs())
          if (out) {
            producedHere.insert(out->name());
            if (readOutside(*out, *members) && seen.insert(out->name()).second) outputs.push_back(out->name());
          }
      for (const ir::Node* node : side->nodes)
        for (const ir::Value* in : readValues(*node))
          if (in && !producedHere.count(in->name()) && !constantTensor(in) && seen.insert("<in>" + in->name()).second)
            inputs.push_back(in->definition() ? in->definition() : in);
    }
    if (outputs.empty()) return;  // dead code removed
    RewriteRegion region;
    region.pass = pass;
    region.scope = scope;
    for (const ir::Node* node : before.nodes.empty() ? after.nodes : before.nodes)
      region.nodes.push_back(node->label());
    RegionBuilder builder{beforeModel, shapes, dynamicDim, before.nodes, {}, {}};
    builder.readers.insert(builder.readers.end(), after.nodes.begin(), after.nodes.end());
    region.before = builder.build(before, inputs, outputs);
    region.after = builder.build(after, inputs, outputs);
    region.uncheckable = builder.uncheckable;
    std::sort(builder.defaulted.begin(), builder.defaulted.end());
    builder.defaulted.erase(std::unique(builder.defaulted.begin(), builder.defaulted.end()), builder.defaulted.end());
    region.defaultedDims = builder.defaulted;
    regions.push_back(std::move(region));
  }

  void compare(const ir::Graph& before, const ir::Graph& after, const std::string& scope) {
    Side changedBefore{&before, {}}, changedAfter{&after, {}};
    for (const ir::Node* node : before.nodes()) {
      const ir::Node* same = unchangedIn(*node, after);
      if (!same) {
        changedBefore.nodes.push_back(node);
        continue;
      }
      std::vector<ir::Graph*> bodies = node->subgraphs(), otherBodies = same->subgraphs();
      size_t index = 0;
      for (const ir::Attribute& attribute : node->attributes)
        for (size_t k = 0; k < attribute.graphs.size() && index < bodies.size(); ++k, ++index)
          compare(*bodies[index], *otherBodies[index], node->bodyScope(scope, attribute.name));
    }
    for (const ir::Node* node : after.nodes())
      if (!unchangedIn(*node, before)) changedAfter.nodes.push_back(node);
    for (const auto& [b, a] : connectedRegions(changedBefore, changedAfter)) addRegion(b, a, scope);
  }
};

}  // namespace

std::vector<RewriteRegion> changedRegions(const ir::Model& before, const ir::Model& after, const std::string& pass,
                                          const ir::ShapesByName& shapes, int64_t dynamicDim) {
  RegionFinder finder{before, pass, shapes, dynamicDim, {}};
  finder.compare(*before.graph, *after.graph, "");
  return std::move(finder.regions);
}

EquivalenceResult compareRegion(const RewriteRegion& region, const EquivalenceOptions& options) {
  return compareModels(*region.before.graph, *region.after.graph, region.before.defaultOpset(), options);
}

}  // namespace convopt::passes
