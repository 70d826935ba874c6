// Rewrites checked alone: what a pass changed, cut out of the model before and
// after it as two small self-contained models over the same boundary values,
// so that `optimize --verify` can check a rewrite on a model the reference
// interpreter cannot run whole (custom-domain ops, unsupported ops, dims too
// dynamic for seeded inputs elsewhere in the graph).
//
// A node is unchanged when the other version has a node of its first output's
// name that nodeDifferences (model_diff.h) finds no difference with. The changed nodes
// of both versions fall into regions, connected through the values they
// produce and read (a replaced node and its replacement share their output's
// name); a region's inputs are the values its nodes read from outside it
// (constants are copied in), its outputs the values it produces that the rest
// of the graph reads. A region with no outputs was dead code.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/shape_inference.h"
#include "passes/equivalence.h"

namespace convopt::passes {

struct RewriteRegion {
  std::string pass;
  std::string scope;               // "" for the main graph, else e.g. "If(y)/then_branch"
  std::vector<std::string> nodes;  // labels of the nodes the pass replaced or changed
  ir::Model before, after;         // the region, runnable alone
  std::string uncheckable;         // why it cannot be run alone (e.g. an input of unknown shape), else empty
  // Dynamic dims of its inputs given a default size ("'x' dim 2 = 64"), for an error that needs them.
  std::vector<std::string> defaultedDims;
};

// The regions where `after` (the model after `pass`) differs from `before`,
// in the main graph and in every body. Dynamic dims of region inputs take their
// size from `shapes` (ir::staticShapesAt of --input-shape), else batch 1 and
// `dynamicDim` for the others.
std::vector<RewriteRegion> changedRegions(const ir::Model& before, const ir::Model& after, const std::string& pass,
                                          const ir::ShapesByName& shapes, int64_t dynamicDim);

// The region's two models on the same seeded inputs (compareModels).
EquivalenceResult compareRegion(const RewriteRegion& region, const EquivalenceOptions& options);

}  // namespace convopt::passes
