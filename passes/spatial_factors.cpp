#include "passes/spatial_factors.h"

#include <fmt/format.h>

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace convopt::passes {

Status spatialFactorsFit(const ConstantConv& conv) {
  if (conv.group != 1) return Status::refuse("already grouped (group > 1)");
  const std::vector<int64_t>& dims = conv.weight->dims();
  if (dims.size() != 4) return Status::refuse(fmt::format("{}-D conv: only 2-D kernels separate", dims.size() - 2));
  if (dims[2] == 1 || dims[3] == 1)
    return Status::refuse(fmt::format("{}x{} kernel: already one-dimensional", dims[2], dims[3]));
  std::string autoPad = conv.node->getString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID")
    return Status::refuse(fmt::format("auto_pad {}: pads depend on the input size", autoPad));
  return Status::success();
}

int64_t spatialFullRank(const ConstantConv& conv) {
  const std::vector<int64_t>& d = conv.weight->dims();
  return std::min(d[1] * d[2], d[0] * d[3]);
}

namespace {

// Where M's element (row (i, h), column (o, w)) lies in W (C_out x C_in x kh x kw).
int64_t weightIndex(int64_t cin, int64_t kh, int64_t kw, int64_t row, int64_t column) {
  int64_t i = row / kh, h = row % kh, o = column / kw, x = column % kw;
  return ((o * cin + i) * kh + h) * kw + x;
}

}  // namespace

int64_t spatialPayingRank(const ConstantConv& conv, const ConvGeometry& original, const PassOptions& options) {
  int64_t full = spatialFullRank(conv);
  if (options.force) return full - 1;
  double before = options.cost().convSeconds(original);
  for (int64_t rank = full - 1; rank >= 1; --rank) {
    auto [vertical, horizontal] = spatialFactorGeometry(conv, original, rank, options);
    if (rewritePays(before, convsSeconds(options.cost(), {vertical, horizontal}), options.minGain)) return rank;
  }
  return 0;
}

bool spatialRankReaches(const ConstantConv& conv, int64_t rank, double tolerance) {
  const std::vector<int64_t>& d = conv.weight->dims();
  int64_t cout = d[0], cin = d[1], kh = d[2], kw = d[3];
  std::mt19937_64 random(rank);
  auto sample = [&](int64_t n) {
    std::vector<int64_t> all(static_cast<size_t>(n));
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), random);
    all.resize(size_t(rank));
    return all;
  };
  std::vector<int64_t> rows = sample(cin * kh), cols = sample(cout * kw);  // rows (i, h), columns (o, w)
  std::span<const float> w = conv.weight->data<float>();
  Eigen::MatrixXd sub(rank, rank);
  for (int64_t r = 0; r < rank; ++r)
    for (int64_t c = 0; c < rank; ++c) sub(r, c) = w[weightIndex(cin, kh, kw, rows[r], cols[c])];
  Eigen::FullPivLU<Eigen::MatrixXd> lu(sub);
  lu.setThreshold(tolerance);
  return lu.rank() == rank;
}

SpatialSvd::SpatialSvd(const ConstantConv& conv)
    : cout_(conv.outChannels),
      cin_(conv.inPerGroup),
      kh_(conv.weight->dims()[2]),
      kw_(conv.weight->dims()[3]),
      weight_(conv.weight->data<float>()),
      svd_(asMatrix(), Eigen::ComputeThinU | Eigen::ComputeThinV) {}

Eigen::MatrixXd SpatialSvd::asMatrix() const {
  Eigen::MatrixXd m(cin_ * kh_, cout_ * kw_);
  for (int64_t col = 0; col < m.cols(); ++col)
    for (int64_t row = 0; row < m.rows(); ++row) m(row, col) = weight_[weightIndex(cin_, kh_, kw_, row, col)];
  return m;
}

std::vector<float> SpatialSvd::toWeight(const Eigen::MatrixXd& m) const {
  std::vector<float> w(weight_.size());
  for (int64_t col = 0; col < m.cols(); ++col)
    for (int64_t row = 0; row < m.rows(); ++row) w[weightIndex(cin_, kh_, kw_, row, col)] = float(m(row, col));
  return w;
}

int64_t SpatialSvd::rank(double tolerance) const { return numericalRank(svd_.singularValues(), tolerance); }

SpatialFactors SpatialSvd::factors(int64_t rank) const {
  SpatialFactors f{rank, std::vector<float>(size_t(rank * cin_ * kh_)), std::vector<float>(size_t(cout_ * rank * kw_)),
                   0};
  Eigen::MatrixXd a(cin_ * kh_, rank), b(cout_ * kw_, rank);  // the factors as stored, in double
  for (int64_t j = 0; j < rank; ++j) {
    double scale = std::sqrt(svd_.singularValues()(j));
    for (int64_t row = 0; row < cin_ * kh_; ++row) {  // row = i * kh + h
      float v = float(scale * svd_.matrixU()(row, j));
      f.vertical[size_t(j * cin_ * kh_ + row)] = v;
      a(row, j) = v;
    }
    for (int64_t o = 0; o < cout_; ++o)
      for (int64_t x = 0; x < kw_; ++x) {
        float v = float(scale * svd_.matrixV()(o * kw_ + x, j));
        f.horizontal[size_t((o * rank + j) * kw_ + x)] = v;
        b(o * kw_ + x, j) = v;
      }
  }
  std::vector<float> rebuilt = toWeight(a * b.transpose());
  f.error = relativeMaxError(std::vector<double>(weight_.begin(), weight_.end()),
                             std::vector<double>(rebuilt.begin(), rebuilt.end()));
  return f;
}

std::vector<float> SpatialSvd::truncated(int64_t rank) const {
  return toWeight(svd_.matrixU().leftCols(rank) * svd_.singularValues().head(rank).asDiagonal() *
                  svd_.matrixV().leftCols(rank).transpose());
}

std::pair<ConvGeometry, ConvGeometry> spatialFactorGeometry(const ConstantConv& conv, const ConvGeometry& original,
                                                            int64_t rank, const PassOptions& options) {
  ConvGeometry vertical = withStructure(original, conv.inChannels(), rank, 1, conv.weight->dims()[2], false);
  ConvGeometry horizontal =
      withStructure(original, rank, conv.outChannels, 1, conv.weight->dims()[3], original.hasBias);
  std::vector<int64_t> in = costingDims(conv.node->input(0), options);
  std::vector<int64_t> out = costingDims(conv.node->output(0), options);
  // Rows as the output, columns as the input; per output pixel when unknown.
  int64_t between = in.size() == 4 && out.size() == 4 ? out[2] * in[3] : original.outPixels;
  vertical.outPixels = horizontal.inPixels = between;
  return {vertical, horizontal};
}

}  // namespace convopt::passes
