// Shape rules for If and Loop: their outputs' types from their bodies'. A body
// is inferred on its own with the types it declares, so a symbolic dim of a
// body's output that is also a dim of one of its inputs stands for what the
// node feeds that input.
#include <map>

#include "ir/shape_rules.h"

namespace convopt::ir {
namespace {

// Body input dims by symbol -> what the node feeds there.
using Symbols = std::map<std::string, Dim>;

void bindSymbols(const ValueType& declared, const ValueType& fed, Symbols& symbols) {
  if (!declared.shape || !fed.shape || declared.shape->size() != fed.shape->size()) return;
  for (size_t d = 0; d < declared.shape->size(); ++d)
    if (const Dim& dim = (*declared.shape)[d]; !dim.isStatic() && !dim.param.empty())
      symbols[dim.param] = (*fed.shape)[d];
}

Dim substituted(const Dim& dim, const Symbols& symbols) {
  if (dim.isStatic() || dim.param.empty()) return dim;
  auto it = symbols.find(dim.param);
  return it == symbols.end() ? dim : it->second;
}

// Whether the body passes its condition through unchanged, so only the trip count ends the loop.
bool conditionIsPassedThrough(const Graph& body) {
  if (body.inputs().size() < 2 || body.outputs().empty()) return false;
  const Value* out = body.outputs()[0];
  while (out->producer() && out->producer()->opType == "Identity" && out->producer()->domain.empty())
    out = out->producer()->input(0);
  return out == body.inputs()[1];
}

// If: each output is what both branches give for it, a dim kept where they agree.
std::vector<ValueType> ifRule(const Node& node, const KnownValues&) {
  const Attribute* thenBranch = node.findAttribute("then_branch");
  const Attribute* elseBranch = node.findAttribute("else_branch");
  std::vector<ValueType> outs(node.outputs().size());
  if (!thenBranch || !elseBranch || thenBranch->graphs.empty() || elseBranch->graphs.empty()) return outs;
  const std::vector<Value*>& a = thenBranch->graphs[0]->outputs();
  const std::vector<Value*>& b = elseBranch->graphs[0]->outputs();
  for (size_t i = 0; i < outs.size() && i < a.size() && i < b.size(); ++i) {
    const ValueType &ta = a[i]->type, &tb = b[i]->type;
    if (ta.dtype != tb.dtype || !ta.shape || !tb.shape || ta.shape->size() != tb.shape->size()) continue;
    Shape shape;
    for (size_t d = 0; d < ta.shape->size(); ++d)
      shape.push_back((*ta.shape)[d] == (*tb.shape)[d] ? (*ta.shape)[d] : Dim{});
    outs[i] = makeType(ta.dtype, shape);
  }
  return outs;
}

// Loop (inputs M, cond, carried...; body inputs i, cond, carried...; body
// outputs cond, carried..., scan outputs...): a carried output is the body's
// carried output; a scan output stacks the body's along a new first dim, of M
// trips when M is known and the body cannot stop early.
std::vector<ValueType> loopRule(const Node& node, const KnownValues& known) {
  std::vector<ValueType> outs(node.outputs().size());
  const Attribute* held = node.findAttribute("body");
  if (!held || held->graphs.size() != 1) return outs;
  const Graph& body = *held->graphs[0];
  size_t carried = node.inputs().size() > 2 ? node.inputs().size() - 2 : 0;
  if (body.inputs().size() < 2 + carried || body.outputs().size() != 1 + outs.size()) return outs;
  Symbols symbols;
  for (size_t i = 0; i < carried; ++i)
    if (node.input(2 + i)) bindSymbols(body.inputs()[2 + i]->type, node.input(2 + i)->type, symbols);
  std::optional<std::vector<int64_t>> trips = known.ints(node.input(0));
  bool fixedTrips = trips && trips->size() == 1 && !node.input(1) && conditionIsPassedThrough(body);
  for (size_t i = 0; i < outs.size(); ++i) {
    const ValueType& given = body.outputs()[1 + i]->type;
    if (!given.shape) {
      outs[i] = makeType(given.dtype, std::nullopt);
      continue;
    }
    Shape shape;
    if (i >= carried) shape.push_back(fixedTrips ? staticDim(trips->front()) : Dim{});
    for (const Dim& dim : *given.shape) shape.push_back(substituted(dim, symbols));
    outs[i] = makeType(given.dtype, shape);
  }
  return outs;
}

}  // namespace

void addControlFlowShapeRules(ShapeRuleTable& table) {
  table["If"] = ifRule;
  table["Loop"] = loopRule;
}

}  // namespace convopt::ir
