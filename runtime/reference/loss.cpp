// Training losses from the ONNX test suite: NegativeLogLikelihoodLoss and
// SoftmaxCrossEntropyLoss (= LogSoftmax over dim 1, then the same NLL).
#include <cmath>

#include "runtime/reference/elementwise.h"

namespace convopt::runtime::reference {
namespace {

std::vector<double> asDoubles(const KernelContext& ctx, const Tensor& x) {
  if (x.dtype() != DType::Float && x.dtype() != DType::Double) ctx.fail("input must be float or double");
  Tensor d = castTensor(ctx, x, DType::Double);
  return {d.data<double>().begin(), d.data<double>().end()};
}

// -logProb[n, target, d] per element, weighted by weight[target] (1 without
// weights; 0 where target == ignore_index), then reduced ("none" | "sum" |
// "mean" = weighted sum / sum of weights). logProb is [N, C, D] flattened.
Tensor negativeLogLikelihood(const KernelContext& ctx, const std::vector<double>& logProb,
                             const std::vector<int64_t>& inputDims, const Tensor& target, const Tensor* weight,
                             DType outType) {
  const int64_t n = inputDims[0], c = inputDims[1], d = product(std::span(inputDims).subspan(2));
  const std::vector<int64_t> labels = target.toInt64Vector();
  if (int64_t(labels.size()) != n * d) ctx.fail("target has {} elements for {} positions", labels.size(), n * d);
  const bool hasIgnore = ctx.hasAttribute("ignore_index");
  const int64_t ignore = ctx.getInt("ignore_index", 0);
  std::vector<double> weights;
  if (weight) weights = asDoubles(ctx, *weight);
  if (weight && int64_t(weights.size()) != c) ctx.fail("weight has {} values for {} classes", weights.size(), c);
  std::vector<double> loss(labels.size()), used(labels.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      const int64_t at = i * d + j, label = labels[at];
      if (hasIgnore && label == ignore) continue;
      if (label < 0 || label >= c) ctx.fail("target {} is out of range for {} classes", label, c);
      used[at] = weight ? weights[label] : 1.0;
      loss[at] = -logProb[(i * c + label) * d + j] * used[at];
    }
  const std::string reduction = ctx.getString("reduction", "mean");
  if (reduction == "none") return castTensor(ctx, Tensor::fromVector(DType::Double, target.dims(), loss), outType);
  double sum = 0, total = 0;
  for (size_t i = 0; i < loss.size(); ++i) sum += loss[i], total += used[i];
  if (reduction == "mean")
    sum /= (weight || hasIgnore) ? total : double(loss.size());
  else if (reduction != "sum")
    ctx.fail("unknown reduction '{}'", reduction);
  return castTensor(ctx, Tensor::fromVector<double>(DType::Double, {}, {sum}), outType);
}

std::vector<Tensor> nllLoss(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) ctx.fail("input must have rank >= 2");
  return {negativeLogLikelihood(ctx, asDoubles(ctx, x), x.dims(), ctx.input(1), ctx.optionalInput(2), x.dtype())};
}

std::vector<Tensor> softmaxCrossEntropy(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) ctx.fail("scores must have rank >= 2");
  std::vector<double> logProb = asDoubles(ctx, x);
  const int64_t n = x.dims()[0], c = x.dims()[1], d = product(std::span(x.dims()).subspan(2));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      auto at = [&](int64_t k) -> double& { return logProb[(i * c + k) * d + j]; };
      double maxv = at(0), sum = 0;
      for (int64_t k = 1; k < c; ++k) maxv = std::max(maxv, at(k));
      for (int64_t k = 0; k < c; ++k) sum += std::exp(at(k) - maxv);
      for (int64_t k = 0; k < c; ++k) at(k) = at(k) - maxv - std::log(sum);
    }
  std::vector<Tensor> outs{
      negativeLogLikelihood(ctx, logProb, x.dims(), ctx.input(1), ctx.optionalInput(2), x.dtype())};
  if (ctx.numOutputs() > 1)
    outs.push_back(castTensor(ctx, Tensor::fromVector(DType::Double, x.dims(), logProb), x.dtype()));
  return outs;
}

}  // namespace

void registerLossKernels(KernelRegistry& r) {
  r.add("NegativeLogLikelihoodLoss", nllLoss);
  r.add("SoftmaxCrossEntropyLoss", softmaxCrossEntropy);
}

}  // namespace convopt::runtime::reference
