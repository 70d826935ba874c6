#include "runtime/compare.h"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/dtype.h"

namespace convopt::runtime {
namespace {

std::vector<double> asDoubles(const ir::Tensor& t) {
  if (t.dtype() == ir::DType::Double) return {t.data<double>().begin(), t.data<double>().end()};
  if (t.dtype() == ir::DType::Float) return {t.data<float>().begin(), t.data<float>().end()};
  std::vector<int64_t> ints = t.toInt64Vector();
  return {ints.begin(), ints.end()};
}

}  // namespace

Comparison compareTensors(const ir::Tensor& actual, const ir::Tensor& expected, Tolerance tolerance) {
  Comparison c;
  if (actual.dtype() != expected.dtype()) {
    c.mismatch =
        fmt::format("element type {} instead of {}", ir::dtypeName(actual.dtype()), ir::dtypeName(expected.dtype()));
    return c;
  }
  if (actual.dims() != expected.dims()) {
    c.mismatch =
        fmt::format("shape [{}] instead of [{}]", fmt::join(actual.dims(), ","), fmt::join(expected.dims(), ","));
    return c;
  }
  std::vector<double> a = asDoubles(actual), e = asDoubles(expected);
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) || std::isnan(e[i])) {
      if (std::isnan(a[i]) != std::isnan(e[i])) ++c.failures, c.maxAbsError = INFINITY;
      continue;
    }
    if (a[i] == e[i]) continue;  // also equal infinities
    double err = std::fabs(a[i] - e[i]);
    c.maxAbsError = std::max(c.maxAbsError, err);
    if (e[i] != 0) c.maxRelError = std::max(c.maxRelError, err / std::fabs(e[i]));
    if (!(err <= tolerance.atol + tolerance.rtol * std::fabs(e[i]))) ++c.failures;
  }
  c.ok = c.failures == 0;
  return c;
}

}  // namespace convopt::runtime
