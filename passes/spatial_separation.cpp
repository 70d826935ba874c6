// spatial-separation: a dense 2-D kh x kw Conv whose weight, laid
// out as the matrix M[(i, h), (o, w)] (C_in*kh x C_out*kw), has rank r becomes
// a kh x 1 Conv into r channels and a 1 x kw Conv out of them.
//   M = sum_j sigma_j a_j b_j^T (SVD), so with
//     V[j, i, h, 0] = sqrt(sigma_j) a_j[(i, h)]       (r x C_in x kh x 1)
//     H[o, j, 0, w] = sqrt(sigma_j) b_j[(o, w)]       (C_out x r x 1 x kw)
//   W[o, i, h, w] = sum_j H[o, j, 0, w] V[j, i, h, 0]   exactly.
//   Before: y = Conv<kh x kw, strides (sh, sw), dilations (dh, dw), pads (t, l, b, r)>(x, W, B)
//   After:  v = Conv<kh x 1, strides (sh, 1), dilations (dh, 1), pads (t, 0, b, 0)>(x, V)
//           y = Conv<1 x kw, strides (1, sw), dilations (1, dw), pads (0, l, 0, r)>(v, H, B)
// v has no bias, so the columns the second Conv pads with zeros are what the
// first would compute over x's zero padding: the rewrite is exact at borders.
// Rank counts singular values above --rank-tolerance times the largest.
//
// Legality (each failing condition is a rejection reason):
//   - a Conv with constant float weight (and bias) and group = 1;
//   - two spatial dims, both kernel dims above 1;
//   - auto_pad NOTSET or VALID (explicit pads);
//   - rank r at most the largest rank whose factors the cost model says drop
//     the estimate by --min-gain (with --force: below min(C_in*kh, C_out*kw),
//     at which any weight factors). A sampled submatrix rules out most convs
//     before the SVD (spatialRankReaches);
//   - the factors rebuild W within kMaxReconstructionError (relative max).
#include <fmt/format.h>

#include "passes/candidate_loop.h"
#include "passes/conv_utils.h"
#include "passes/spatial_factors.h"

namespace convopt::passes {
namespace {

constexpr double kMaxReconstructionError = 1e-5;

struct Plan {
  ConstantConv conv;
  SpatialFactors factors;
  ConvGeometry vertical, horizontal;
};

Expected<Plan> planSpatiallySeparable(ir::Node& node, const PassOptions& options) {
  Expected<ConstantConv> conv = matchConstantConv(node);
  if (!conv) return conv.status();
  if (Status fits = spatialFactorsFit(*conv); !fits) return fits;
  ConvGeometry original = geometryOf(*conv, options);
  int64_t paying = spatialPayingRank(*conv, original, options);
  if (paying == 0) {
    auto [vertical, horizontal] = spatialFactorGeometry(*conv, original, 1, options);
    return Status::refuse(fmt::format("cost model: rank 1 factors take {:.3g} us vs {:.3g} us, no {:.0f}% gain",
                                      convsSeconds(options.cost(), {vertical, horizontal}) * 1e6,
                                      options.cost().convSeconds(original) * 1e6, options.minGain * 100));
  }
  int64_t full = spatialFullRank(*conv);
  if (spatialRankReaches(*conv, paying + 1, options.rankTolerance))
    return Status::refuse(paying + 1 == full
                              ? fmt::format("weight is not spatially separable: rank {} (full)", full)
                              : fmt::format("weight is not spatially separable: rank {} or more of {}, where "
                                            "factors stop paying",
                                            paying + 1, full));
  SpatialSvd svd(*conv);
  int64_t rank = svd.rank(options.rankTolerance);
  if (rank > paying)
    return Status::refuse(
        fmt::format("weight has spatial rank {} of {}; factors pay up to rank {}", rank, full, paying));
  Plan plan{*conv, svd.factors(rank), {}, {}};
  if (plan.factors.error > kMaxReconstructionError)
    return Status::refuse(fmt::format("rank {} factors rebuild W with error {:.2g}", rank, plan.factors.error));
  std::tie(plan.vertical, plan.horizontal) = spatialFactorGeometry(*conv, original, rank, options);
  return plan;
}

// The attributes of one factor: the original's along `axis` (0: rows, 1:
// columns), the identity (kernel 1, stride 1, dilation 1, no pads) along the other.
void keepOneAxis(ir::Node& factor, const ir::Node& original, int64_t kernel, size_t axis) {
  std::vector<int64_t> strides = original.getInts("strides", {1, 1});
  std::vector<int64_t> dilations = original.getInts("dilations", {1, 1});
  std::vector<int64_t> pads = original.getInts("pads", {0, 0, 0, 0});
  if (original.getString("auto_pad", "NOTSET") == "VALID") pads = {0, 0, 0, 0};
  size_t other = 1 - axis;
  std::vector<int64_t> kernelShape = {1, 1};
  kernelShape[axis] = kernel;
  strides[other] = 1;
  dilations[other] = 1;
  pads[other] = pads[other + 2] = 0;
  factor.removeAttribute("auto_pad");
  factor.setAttribute(ir::Attribute::makeInts("kernel_shape", kernelShape));
  factor.setAttribute(ir::Attribute::makeInts("strides", strides));
  factor.setAttribute(ir::Attribute::makeInts("dilations", dilations));
  factor.setAttribute(ir::Attribute::makeInts("pads", pads));
}

void applySpatiallySeparable(ir::Graph& graph, const Plan& plan, PassContext& context) {
  const ConstantConv& conv = plan.conv;
  const SpatialFactors& f = plan.factors;
  ir::Node& node = *conv.node;
  std::string base = node.name.empty() ? node.output(0)->name() : node.name;
  const std::vector<int64_t>& w = conv.weight->dims();
  ir::Value* verticalWeight = addFloatInitializer(graph, base + "_W_vertical", {f.rank, w[1], w[2], 1}, f.vertical);
  ir::Node* vertical =
      graph.createNode("Conv", {node.input(0), verticalWeight}, {graph.uniqueName(base + "_vertical")}, &node);
  vertical->name = base + "_vertical";
  vertical->attributes = node.attributes;
  keepOneAxis(*vertical, node, w[2], 0);
  ir::Value* horizontalWeight =
      addFloatInitializer(graph, base + "_W_horizontal", {w[0], f.rank, 1, w[3]}, f.horizontal);
  keepOneAxis(node, node, w[3], 1);
  node.setInput(0, vertical->output(0));
  node.setInput(1, horizontalWeight);
  RewriteRecord record{node.label(),
                       fmt::format("spatially separable rank {} weight, {}x1 then 1x{}", f.rank, w[2], w[3]),
                       figuresOf(context.options.cost(), {geometryOf(conv, context.options)}),
                       figuresOf(context.options.cost(), {plan.vertical, plan.horizontal}),
                       f.error,
                       context.scope};
  std::string note = structuralNote(record, context.options);
  noteRewrite(*vertical, "spatial-separation", note);
  noteRewrite(node, "spatial-separation", note);
  context.recordRewrite(std::move(record));
}

class SpatialSeparationPass final : public Pass {
 public:
  std::string_view name() const override { return "spatial-separation"; }

  void run(ir::Graph& graph, PassContext& context) override {
    rewriteCandidates(
        graph, context, isDefaultOp("Conv"),
        [&](ir::Node& node) { return planSpatiallySeparable(node, context.options); },
        [&](ir::Node&, const Plan& plan) { applySpatiallySeparable(graph, plan, context); });
  }
};

}  // namespace

std::unique_ptr<Pass> createSpatialSeparationPass() { return std::make_unique<SpatialSeparationPass>(); }

}  // namespace convopt::passes
