#include "passes/approx/weight_projection.h"

#include <Eigen/SVD>

#include <algorithm>
#include <cmath>

#include "passes/spatial_factors.h"

namespace convopt::passes {
namespace {

double relativeError(std::span<const float> original, const std::vector<float>& projected) {
  std::vector<double> a(original.begin(), original.end()), b(projected.begin(), projected.end());
  return relativeMaxError(a, b);
}

// Per input channel i, the C_out x K slice and its SVD.
std::vector<Eigen::JacobiSVD<Eigen::MatrixXd>> sliceSvds(const ConstantConv& conv) {
  std::span<const float> w = conv.weight->data<float>();
  int64_t cin = conv.inPerGroup, cout = conv.outChannels, k = conv.kernelElements;
  std::vector<Eigen::JacobiSVD<Eigen::MatrixXd>> svds;
  for (int64_t i = 0; i < cin; ++i) {
    Eigen::MatrixXd slice(cout, k);
    for (int64_t o = 0; o < cout; ++o)
      for (int64_t e = 0; e < k; ++e) slice(o, e) = w[(o * cin + i) * k + e];
    svds.emplace_back(slice, Eigen::ComputeThinU | Eigen::ComputeThinV);
  }
  return svds;
}

WeightProjection lowRank(const ConstantConv& conv, const ConvGeometry& g,
                         const std::vector<Eigen::JacobiSVD<Eigen::MatrixXd>>& svds, int64_t rank) {
  int64_t cin = conv.inPerGroup, cout = conv.outChannels, k = conv.kernelElements;
  WeightProjection p{"low-rank", rank, std::vector<float>(conv.weight->data<float>().size()), 0, {}};
  for (int64_t i = 0; i < cin; ++i) {
    const auto& svd = svds[size_t(i)];
    Eigen::MatrixXd truncated = svd.matrixU().leftCols(rank) * svd.singularValues().head(rank).asDiagonal() *
                                svd.matrixV().leftCols(rank).transpose();
    for (int64_t o = 0; o < cout; ++o)
      for (int64_t e = 0; e < k; ++e) p.weight[size_t((o * cin + i) * k + e)] = float(truncated(o, e));
  }
  p.weightError = relativeError(conv.weight->data<float>(), p.weight);
  ConvGeometry depthwise = withStructure(g, cin, cin * rank, cin, k, false);
  ConvGeometry pointwise = withStructure(g, cin * rank, cout, 1, 1, g.hasBias);
  pointwise.inPixels = g.outPixels;
  p.after = {depthwise, pointwise};
  return p;
}

WeightProjection blocks(const ConstantConv& conv, const ConvGeometry& g, int64_t groups) {
  int64_t cin = conv.inPerGroup, cout = conv.outChannels, k = conv.kernelElements;
  std::span<const float> w = conv.weight->data<float>();
  WeightProjection p{"block-diagonal", groups, std::vector<float>(w.begin(), w.end()), 0, {}};
  for (int64_t o = 0; o < cout; ++o)
    for (int64_t i = 0; i < cin; ++i)
      if (o / (cout / groups) != i / (cin / groups)) std::fill_n(p.weight.begin() + (o * cin + i) * k, k, 0.0f);
  p.weightError = relativeError(w, p.weight);
  p.after = {withStructure(g, cin, cout, groups, k, g.hasBias)};
  return p;
}

void addSpatialRanks(const ConstantConv& conv, const ConvGeometry& g, const PassOptions& options,
                     std::vector<WeightProjection>& projections) {
  if (!spatialFactorsFit(conv)) return;
  int64_t paying = spatialPayingRank(conv, g, options);  // higher ranks save no time
  if (paying == 0) return;
  SpatialSvd svd(conv);
  for (int64_t rank = 1; rank <= paying; rank *= 2) {
    WeightProjection p{"spatial-rank", rank, svd.truncated(rank), 0, {}};
    p.weightError = relativeError(conv.weight->data<float>(), p.weight);
    auto [vertical, horizontal] = spatialFactorGeometry(conv, g, rank, options);
    p.after = {vertical, horizontal};
    projections.push_back(std::move(p));
  }
}

}  // namespace

std::vector<WeightProjection> weightProjections(const ConstantConv& conv, const ConvGeometry& geometry,
                                                const PassOptions& options) {
  std::vector<WeightProjection> projections;
  if (conv.group != 1) return projections;
  int64_t cin = conv.inPerGroup, cout = conv.outChannels, k = conv.kernelElements;
  if (k > 1) {
    auto svds = sliceSvds(conv);
    for (int64_t rank = 1; rank < std::min(cout, k); ++rank) projections.push_back(lowRank(conv, geometry, svds, rank));
  }
  for (int64_t groups = 2; groups <= std::min(cin, cout); groups *= 2)
    if (cin % groups == 0 && cout % groups == 0) projections.push_back(blocks(conv, geometry, groups));
  addSpatialRanks(conv, geometry, options, projections);
  return projections;
}

}  // namespace convopt::passes
