// The pass interface. A pass looks at every candidate node, decides with a
// match step that mutates nothing, and either rewrites it or records why not
// (passes/candidate_loop.h).
// What it did is kept in PassStatistics: the pass manager prints it, `--explain`
// prints every rejection, and `convopt optimize` turns the rewrites into its
// summary table and JSON report.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "ir/shape_inference.h"
#include "passes/cost_model.h"

namespace convopt::passes {

// Settings every pass may consult.
struct PassOptions {
  // What structural rewrites are costed with: the model of the runtime the
  // optimized model is headed for (`optimize --for`, `--cost-table`).
  std::shared_ptr<const CostModel> costModel = builtinCostModel("convopt");
  // A structural rewrite applies only when the cost model's estimated time drops
  // by at least this fraction of the original (default 0.05 = 5%: a measured
  // model's error on a rewrite's gain is smaller than that, docs/PASSES.md).
  double minGain = 0.05;
  // Apply structural rewrites even when the cost model says they do not pay.
  bool force = false;
  // Relative tolerance for numerical rank (singular values below
  // tolerance * largest singular value count as zero).
  double rankTolerance = 1e-6;
  // fold-constants leaves a node whose outputs would take more bytes than this
  // and than its inputs (an Expand of a scalar stays an Expand): an optimized
  // model must not grow. The engines, which hold constants in memory anyway
  // and need constant weights, allow far more (codegen/engine/constant_folding.cpp).
  size_t maxFoldGrowthBytes = 16384;
  // Input dims ("NAME=1x3x224x224") the cost model assumes where the model's
  // own are dynamic (`optimize --input-shape` without --freeze-shapes): the
  // model keeps its dynamic dims, so no pass may fold them into constants.
  std::vector<std::string> costingInputShapes;
  // What those input dims make of every value's shape (ir::staticShapesAt),
  // filled by the pass manager before each pass.
  ir::ShapesByName costingShapes;

  const CostModel& cost() const { return *costModel; }
};

// A candidate the pass looked at and left alone.
struct Rejection {
  std::string node;  // Node::label()
  std::string reason;
};

// Weight and compute size of one convolution (a rewrite records before/after).
struct ConvFigures {
  std::string kind;  // ir::convKindName: dense, pointwise, grouped, depthwise (joined when several)
  int64_t params = 0;
  int64_t macs = 0;    // per inference, 0 when the output shape is unknown
  double seconds = 0;  // cost model estimate
};

// One structural rewrite (a conv, or a set of convs, replaced by others).
struct RewriteRecord {
  std::string node;
  std::string description;  // e.g. "block-diagonal weight (4 groups)"
  ConvFigures before;
  ConvFigures after;
  double reconstructionError = 0;  // max |W - W'| / max |W|
  std::string scope;               // "" in the main graph, else the body's, e.g. "If(y)/then_branch"
};

struct PassStatistics {
  std::string pass;
  int64_t matched = 0;
  int64_t rewritten = 0;
  std::vector<Rejection> rejections;
  std::vector<RewriteRecord> rewrites;
  double seconds = 0;
};

// What a pass sees while it runs.
class PassContext {
 public:
  PassContext(ir::Model& model, const PassOptions& options, PassStatistics& stats)
      : model(model), options(options), stats(stats) {}

  void reject(const ir::Node& node, std::string reason) {
    stats.rejections.push_back({node.label(), std::move(reason)});
  }
  void matched() { ++stats.matched; }
  void rewritten() { ++stats.rewritten; }
  void recordRewrite(RewriteRecord record) { stats.rewrites.push_back(std::move(record)); }

  ir::Model& model;
  const PassOptions& options;
  PassStatistics& stats;
  std::string scope;  // of the graph the pass is running on (set by the pass manager)
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual std::string_view name() const = 0;
  virtual void run(ir::Graph& graph, PassContext& context) = 0;
};

}  // namespace convopt::passes
