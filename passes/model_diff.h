// `convopt inspect --diff A B`: which nodes were removed, added or changed
// between two versions of a model, and how the totals moved. Nodes are matched
// by the name of their first output (passes keep output names stable).
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "ir/model_summary.h"

namespace convopt::passes {

struct NodeChange {
  std::string output;                // first output name: the node's identity
  std::string before;                // "Conv(x, w) <group = 1>"-style one-liners; empty when added
  std::string after;                 // empty when removed
  std::vector<std::string> details;  // for changed nodes: what differs
};

struct ModelDiff {
  std::vector<NodeChange> removed, added, changed;
  ir::ModelSummary before, after;
  int64_t nodesBefore = 0, nodesAfter = 0;
};

// "Conv(x, w[8,8,3,3]) <group = 1>": op, inputs (initializers with their dims), attributes.
std::string nodeOneLine(const ir::Node& node);

// What differs between two nodes that share their first output (which is how
// versions of a node are matched): op, attributes by contents (not bodies),
// inputs (constants by contents, captured ones too), other outputs. Empty when
// the node is unchanged; `inspect --diff` and the per-rewrite check use it.
std::vector<std::string> nodeDifferences(const ir::Node& a, const ir::Node& b);

// Run inferShapes on both first for MAC totals. The diff points into both
// models, which must outlive it.
ModelDiff diffModels(const ir::Model& before, const ir::Model& after);
std::string modelDiffToText(const ModelDiff& diff);
nlohmann::json modelDiffToJson(const ModelDiff& diff);

}  // namespace convopt::passes
