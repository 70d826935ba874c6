// dense-to-separable: a dense kxk Conv whose weight is per-channel low-rank
// becomes a depthwise-style Conv and a 1x1 Conv, in either order.
//
// Depthwise first, when every input-channel slice S_i = W[:, i, :] (C_out x K,
// K = kh*kw) has rank <= r:   S_i = U_i Sigma_i V_i^T, so with
//   D[i*r + j, 0, :] = sigma_ij * V_i[:, j]     (C_in*r x 1 x kh x kw)
//   P[o, i*r + j, 0] = U_i[o, j]                (C_out x C_in*r x 1 x 1)
//   W[o, i, :] = sum_j P[o, i*r+j] D[i*r+j]  exactly.
//   Before: y = Conv<k x k, group=1>(x, W, b)
//   After:  t = Conv<k x k, group=C_in>(x, D); y = Conv<1x1>(t, P, b)
// Pointwise first, when every output-channel slice T_o = W[o, :, :] (C_in x K)
// has rank <= r:  P[o*r + j, i] = U_o[i, j], D[o, j, :] = sigma_oj V_o[:, j]:
//   After:  t = Conv<1x1>(x, P); y = Conv<k x k, group=C_out>(t, D, b)
// (the 1x1 Conv has no bias, so zero padding commutes with it). The order with
// the lower estimated time is taken. Rank uses singular values above
// --rank-tolerance (default 1e-6) times the slice's largest.
//
// Legality (each failing condition is a rejection reason):
//   - a Conv with constant float weight (and bias) and group = 1;
//   - a kernel with more than one element;
//   - some order's rank r is below min(slice rows, K) (else any weight factors);
//   - the factors rebuild W within kMaxReconstructionError (relative max);
//   - the cost model's estimate drops by --min-gain (unless --force).
#include <fmt/format.h>

#include <Eigen/SVD>

#include "passes/candidate_loop.h"
#include "passes/conv_utils.h"

namespace convopt::passes {
namespace {

constexpr double kMaxReconstructionError = 1e-5;

enum class Order { DepthwiseFirst, PointwiseFirst };

struct Factorization {
  Order order = Order::DepthwiseFirst;
  int64_t rank = 0;
  std::vector<float> first;   // weight of the conv that reads x
  std::vector<float> second;  // weight of the conv that produces y
  double error = 0;
  ConvGeometry firstGeometry;
  ConvGeometry secondGeometry;
  double seconds = 0;
};

// Slice s of the weight as a (rows x K) matrix: DepthwiseFirst slices input
// channels (rows = C_out), PointwiseFirst output channels (rows = C_in).
Eigen::MatrixXd slice(const ConstantConv& conv, Order order, int64_t s) {
  std::span<const float> w = conv.weight->data<float>();
  int64_t cin = conv.inPerGroup, k = conv.kernelElements;
  int64_t rows = order == Order::DepthwiseFirst ? conv.outChannels : cin;
  Eigen::MatrixXd m(rows, k);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t o = order == Order::DepthwiseFirst ? r : s, i = order == Order::DepthwiseFirst ? s : r;
    for (int64_t e = 0; e < k; ++e) m(r, e) = w[(o * cin + i) * k + e];
  }
  return m;
}

// Factors W in the given order; rank 0 when not low-rank.
Factorization factorize(const ConstantConv& conv, Order order, double tolerance) {
  Factorization f;
  f.order = order;
  int64_t cin = conv.inPerGroup, cout = conv.outChannels, k = conv.kernelElements;
  int64_t slices = order == Order::DepthwiseFirst ? cin : cout, rows = order == Order::DepthwiseFirst ? cout : cin;
  std::vector<Eigen::JacobiSVD<Eigen::MatrixXd>> svds;
  for (int64_t s = 0; s < slices; ++s) {
    svds.emplace_back(slice(conv, order, s), Eigen::ComputeThinU | Eigen::ComputeThinV);
    f.rank = std::max(f.rank, numericalRank(svds.back().singularValues(), tolerance));
  }
  if (f.rank == 0 || f.rank >= std::min(rows, k)) return f;
  int64_t r = f.rank;
  // pointwise: [C_out, C_in*r] (depthwise first) or [C_out*r, C_in]; kernel: [slices*r, K]
  std::vector<float> pointwise(static_cast<size_t>(rows * slices * r)), kernel(static_cast<size_t>(slices * r * k));
  for (int64_t s = 0; s < slices; ++s) {
    const auto& svd = svds[s];
    for (int64_t j = 0; j < r; ++j) {
      for (int64_t e = 0; e < k; ++e)
        kernel[(s * r + j) * k + e] = float(svd.singularValues()(j) * svd.matrixV()(e, j));
      for (int64_t row = 0; row < rows; ++row) {
        size_t at = order == Order::DepthwiseFirst ? row * slices * r + s * r + j : (s * r + j) * rows + row;
        pointwise[at] = float(svd.matrixU()(row, j));
      }
    }
  }
  std::span<const float> w = conv.weight->data<float>();
  std::vector<double> rebuilt(w.size(), 0.0);
  for (int64_t o = 0; o < cout; ++o)
    for (int64_t i = 0; i < cin; ++i)
      for (int64_t j = 0; j < r; ++j) {
        int64_t s = order == Order::DepthwiseFirst ? i : o;
        double p =
            order == Order::DepthwiseFirst ? pointwise[o * cin * r + i * r + j] : pointwise[(o * r + j) * cin + i];
        for (int64_t e = 0; e < k; ++e) rebuilt[(o * cin + i) * k + e] += p * kernel[(s * r + j) * k + e];
      }
  f.error = relativeMaxError(std::vector<double>(w.begin(), w.end()), rebuilt);
  f.first = order == Order::DepthwiseFirst ? std::move(kernel) : std::move(pointwise);
  f.second = order == Order::DepthwiseFirst ? std::move(pointwise) : std::move(kernel);
  return f;
}

void estimate(const ConstantConv& conv, const ConvGeometry& original, const CostModel& cost, Factorization& f) {
  int64_t cin = conv.inPerGroup, cout = conv.outChannels, r = f.rank;
  bool bias = conv.bias != nullptr;
  if (f.order == Order::DepthwiseFirst) {
    f.firstGeometry = withStructure(original, cin, cin * r, cin, conv.kernelElements, false);
    f.secondGeometry = withStructure(original, cin * r, cout, 1, 1, bias);
    f.secondGeometry.inPixels = original.outPixels;
  } else {
    f.firstGeometry = withStructure(original, cin, cout * r, 1, 1, false);
    f.firstGeometry.outPixels = original.inPixels;
    f.secondGeometry = withStructure(original, cout * r, cout, cout, conv.kernelElements, bias);
  }
  f.seconds = cost.convSeconds(f.firstGeometry) + cost.convSeconds(f.secondGeometry);
}

// The faster exact factorization, or why none applies.
Expected<Factorization> bestFactorization(const ConstantConv& conv, const PassOptions& options) {
  ConvGeometry original = geometryOf(conv, options);
  Factorization best;
  std::vector<std::string> notLowRank;
  for (Order order : {Order::DepthwiseFirst, Order::PointwiseFirst}) {
    Factorization f = factorize(conv, order, options.rankTolerance);
    std::string name = order == Order::DepthwiseFirst ? "input-channel" : "output-channel";
    if (f.first.empty()) {
      notLowRank.push_back(fmt::format("{} slices have rank {} (full)", name, f.rank));
      continue;
    }
    if (f.error > kMaxReconstructionError) {
      notLowRank.push_back(fmt::format("{} factors rebuild W with error {:.2g}", name, f.error));
      continue;
    }
    estimate(conv, original, options.cost(), f);
    if (best.first.empty() || f.seconds < best.seconds) best = std::move(f);
  }
  if (best.first.empty())
    return Status::refuse(fmt::format("weight is not per-channel low-rank: {}", fmt::join(notLowRank, "; ")));
  double before = options.cost().convSeconds(original);
  if (!options.force && !rewritePays(before, best.seconds, options.minGain))
    return Status::refuse(fmt::format("cost model: rank {} factors take {:.3g} us vs {:.3g} us, no {:.0f}% gain",
                                      best.rank, best.seconds * 1e6, before * 1e6, options.minGain * 100));
  return best;
}

struct Plan {
  ConstantConv conv;
  Factorization factors;
};

Expected<Plan> planSeparable(ir::Node& node, const PassOptions& options) {
  Expected<ConstantConv> conv = matchConstantConv(node);
  if (!conv) return conv.status();
  if (conv->group != 1) return Status::refuse("already grouped (group > 1)");
  if (conv->kernelElements == 1) return Status::refuse("1x1 kernel: nothing to separate");
  Expected<Factorization> factors = bestFactorization(*conv, options);
  if (!factors) return factors.status();
  return Plan{*conv, std::move(*factors)};
}

std::vector<int64_t> ones(size_t n) { return std::vector<int64_t>(n, 1); }

// Turns `node` into a 1x1 group-1 Conv (spatial attributes reset).
void makePointwise(ir::Node& node, size_t spatialRank) {
  node.removeAttribute("auto_pad");
  node.setAttribute(ir::Attribute::makeInts("kernel_shape", ones(spatialRank)));
  node.setAttribute(ir::Attribute::makeInts("strides", ones(spatialRank)));
  node.setAttribute(ir::Attribute::makeInts("dilations", ones(spatialRank)));
  node.setAttribute(ir::Attribute::makeInts("pads", std::vector<int64_t>(2 * spatialRank, 0)));
  node.setAttribute(ir::Attribute::makeInt("group", 1));
}

void applySeparable(ir::Graph& graph, const Plan& plan, PassContext& context) {
  const ConstantConv& conv = plan.conv;
  const Factorization& f = plan.factors;
  ir::Node& node = *conv.node;
  std::string base = node.name.empty() ? node.output(0)->name() : node.name;
  std::vector<int64_t> wdims = conv.weight->dims();
  size_t spatialRank = wdims.size() - 2;
  std::vector<int64_t> kernelDims(wdims.begin() + 2, wdims.end());
  int64_t cin = conv.inPerGroup, cout = conv.outChannels, r = f.rank;
  bool dwFirst = f.order == Order::DepthwiseFirst;
  std::vector<int64_t> firstDims = dwFirst ? std::vector<int64_t>{cin * r, 1} : std::vector<int64_t>{cout * r, cin};
  std::vector<int64_t> secondDims = dwFirst ? std::vector<int64_t>{cout, cin * r} : std::vector<int64_t>{cout, r};
  for (size_t d = 0; d < spatialRank; ++d) {
    firstDims.push_back(dwFirst ? kernelDims[d] : 1);
    secondDims.push_back(dwFirst ? 1 : kernelDims[d]);
  }
  ir::Value* firstWeight =
      addFloatInitializer(graph, base + (dwFirst ? "_W_depthwise" : "_W_pointwise"), firstDims, f.first);
  ir::Node* first = graph.createNode("Conv", {node.input(0), firstWeight},
                                     {graph.uniqueName(base + (dwFirst ? "_depthwise" : "_pointwise"))}, &node);
  first->name = base + (dwFirst ? "_depthwise" : "_pointwise");
  first->attributes = node.attributes;
  if (dwFirst)
    first->setAttribute(ir::Attribute::makeInt("group", cin));
  else
    makePointwise(*first, spatialRank);
  ir::Value* secondWeight =
      addFloatInitializer(graph, base + (dwFirst ? "_W_pointwise" : "_W_depthwise"), secondDims, f.second);
  node.setInput(0, first->output(0));
  node.setInput(1, secondWeight);
  if (dwFirst)
    makePointwise(node, spatialRank);
  else
    node.setAttribute(ir::Attribute::makeInt("group", cout));
  RewriteRecord record{node.label(),
                       fmt::format("per-{}-channel rank {} weight, {} first", dwFirst ? "input" : "output", r,
                                   dwFirst ? "depthwise" : "pointwise"),
                       figuresOf(context.options.cost(), {geometryOf(conv, context.options)}),
                       figuresOf(context.options.cost(), {f.firstGeometry, f.secondGeometry}),
                       f.error,
                       context.scope};
  std::string note = structuralNote(record, context.options);
  noteRewrite(*first, "dense-to-separable", note);
  noteRewrite(node, "dense-to-separable", note);
  context.recordRewrite(std::move(record));
}

class DenseToSeparablePass final : public Pass {
 public:
  std::string_view name() const override { return "dense-to-separable"; }

  void run(ir::Graph& graph, PassContext& context) override {
    rewriteCandidates(
        graph, context, isDefaultOp("Conv"), [&](ir::Node& node) { return planSeparable(node, context.options); },
        [&](ir::Node&, const Plan& plan) { applySeparable(graph, plan, context); });
  }
};

}  // namespace

std::unique_ptr<Pass> createDenseToSeparablePass() { return std::make_unique<DenseToSeparablePass>(); }

}  // namespace convopt::passes
