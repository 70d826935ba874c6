// A 2-D conv weight as a product of a kh x 1 and a 1 x kw conv: the SVD of
// W laid out as M[(i, h), (o, w)] (C_in*kh x C_out*kw). Shared by the exact
// rewrite (spatial-separation: M has low rank) and the approximate
// one (weight_projection.h: M's truncated SVD, the nearest rank-r weight).
#pragma once
#include <Eigen/Core>
#include <Eigen/SVD>
#include <cstdint>
#include <utility>
#include <vector>

#include "passes/conv_utils.h"

namespace convopt::passes {

struct SpatialFactors {
  int64_t rank = 0;
  std::vector<float> vertical;    // r x C_in x kh x 1
  std::vector<float> horizontal;  // C_out x r x 1 x kw
  double error = 0;               // max |W - H * V| / max |W|
};

// Whether the conv's shape allows the factors: group 1, a 2-D kernel larger
// than 1 on both axes, explicit pads (auto_pad NOTSET or VALID).
Status spatialFactorsFit(const ConstantConv& conv);

// M's largest possible rank, min(C_in*kh, C_out*kw).
int64_t spatialFullRank(const ConstantConv& conv);

// The largest rank whose factors the cost model says drop the conv's estimate
// by --min-gain (any below full with --force); 0 when none does.
int64_t spatialPayingRank(const ConstantConv& conv, const ConvGeometry& original, const PassOptions& options);

// Whether M's rank is at least `rank`, from a seeded random rank x rank
// submatrix (a full-pivoting LU, pivots above `tolerance` times the largest):
// ~rank^3 / 3 operations where an SVD takes ~(C_in*kh)^2 * C_out*kw, so most
// dense convs are ruled out cheaply. "No" may be wrong (the sample missed the
// rank), so it asks for the SVD, which decides.
bool spatialRankReaches(const ConstantConv& conv, int64_t rank, double tolerance);

class SpatialSvd {
 public:
  // `conv`: one spatialFactorsFit accepts.
  explicit SpatialSvd(const ConstantConv& conv);
  int64_t fullRank() const { return int64_t(svd_.singularValues().size()); }
  // Singular values above `tolerance` times the largest.
  int64_t rank(double tolerance) const;
  SpatialFactors factors(int64_t rank) const;
  // The rank-r truncation back in W's layout (C_out x C_in x kh x kw).
  std::vector<float> truncated(int64_t rank) const;

 private:
  Eigen::MatrixXd asMatrix() const;  // W as M
  std::vector<float> toWeight(const Eigen::MatrixXd& m) const;

  int64_t cout_, cin_, kh_, kw_;
  std::span<const float> weight_;
  Eigen::BDCSVD<Eigen::MatrixXd> svd_;
};

// The two factors' geometry for the cost model: the kh x 1 conv keeps the input's
// width (the original's column stride moves to the 1 x kw conv).
std::pair<ConvGeometry, ConvGeometry> spatialFactorGeometry(const ConstantConv& conv, const ConvGeometry& original,
                                                            int64_t rank, const PassOptions& options);

}  // namespace convopt::passes
