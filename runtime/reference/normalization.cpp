// Normalizations in inference form: BatchNormalization, InstanceNormalization,
// LayerNormalization, LRN, MeanVarianceNormalization.
#include <fmt/ranges.h>

#include <cmath>

#include "runtime/reference/broadcast.h"

namespace convopt::runtime::reference {
namespace {

// y = (x - mean) * scale / sqrt(var + eps) + bias per channel (dim 1), or
// before opset 9 with spatial = 0 per activation (each element of a sample:
// parameters of C x D1 x ... values). In training mode mean and var are the
// batch's (population variance) and the running statistics are updated with
// `momentum`.
std::vector<Tensor> batchNorm(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  requireFloat(ctx, x, "X");
  const bool training = ctx.getInt("training_mode", 0) != 0;
  const float eps = ctx.getFloat("epsilon", 1e-5f), momentum = ctx.getFloat("momentum", 0.9f);
  const int64_t channels = x.rank() > 1 ? x.dims()[1] : 1;
  const int64_t plane = x.rank() > 2 ? product(std::span(x.dims()).subspan(2)) : 1;
  const bool perActivation = ctx.opset < 9 && ctx.getInt("spatial", 1) == 0;
  const int64_t parameters = perActivation ? channels * plane : channels;
  for (size_t i = 1; i <= 4; ++i) {
    requireFloat(ctx, ctx.input(i), "parameter");
    if (ctx.input(i).numel() != parameters)
      ctx.fail("input {} has {} values for {} {}", i, ctx.input(i).numel(), parameters,
               perActivation ? "activations per sample (spatial = 0)" : "channels");
  }
  auto scale = ctx.input(1).data<float>(), bias = ctx.input(2).data<float>();
  if (perActivation) {  // inference only: opsets before 9 have no training_mode
    std::vector<Tensor> outs{Tensor(DType::Float, x.dims())};
    auto in = x.data<float>(), mean = ctx.input(3).data<float>(), var = ctx.input(4).data<float>();
    auto out = outs[0].data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      int64_t p = i % parameters;
      out[i] = float((double(in[i]) - mean[p]) * (scale[p] / std::sqrt(double(var[p]) + eps)) + bias[p]);
    }
    return outs;
  }
  auto in = x.data<float>();
  std::vector<double> mean(ctx.input(3).data<float>().begin(), ctx.input(3).data<float>().end());
  std::vector<double> var(ctx.input(4).data<float>().begin(), ctx.input(4).data<float>().end());
  std::vector<Tensor> outs{Tensor(DType::Float, x.dims())};
  if (training) {
    std::vector<double> sum(channels, 0), sumSq(channels, 0);
    for (int64_t i = 0; i < x.numel(); ++i) sum[(i / plane) % channels] += in[i];
    const double count = double(x.numel()) / double(channels);
    for (int64_t c = 0; c < channels; ++c) sum[c] /= count;
    for (int64_t i = 0; i < x.numel(); ++i) {
      double d = in[i] - sum[(i / plane) % channels];
      sumSq[(i / plane) % channels] += d * d;
    }
    outs.push_back(Tensor(DType::Float, {channels}));
    outs.push_back(Tensor(DType::Float, {channels}));
    for (int64_t c = 0; c < channels; ++c) {
      sumSq[c] /= count;
      outs[1].data<float>()[c] = float(mean[c] * momentum + sum[c] * (1 - momentum));
      outs[2].data<float>()[c] = float(var[c] * momentum + sumSq[c] * (1 - momentum));
    }
    mean = sum, var = sumSq;
  }
  auto out = outs[0].data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t c = (i / plane) % channels;
    out[i] = float((in[i] - mean[c]) * (scale[c] / std::sqrt(var[c] + eps)) + bias[c]);
  }
  outs.resize(std::min(outs.size(), ctx.numOutputs()));
  return outs;
}

// Normalizes each contiguous block of `len` elements; scale/bias apply per
// element of the block (broadcast from their own shape).
void normalizeBlocks(const float* in, float* out, int64_t blocks, int64_t len, float eps, const float* scale,
                     int64_t scaleStride, const float* bias, int64_t biasStride, float* meanOut, float* invStdOut) {
  for (int64_t b = 0; b < blocks; ++b) {
    const float* xi = in + b * len;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < len; ++i) mean += xi[i];
    mean /= static_cast<double>(len);
    for (int64_t i = 0; i < len; ++i) var += (xi[i] - mean) * (xi[i] - mean);
    var /= static_cast<double>(len);
    double invStd = 1.0 / std::sqrt(var + eps);
    if (meanOut) meanOut[b] = float(mean), invStdOut[b] = float(invStd);
    for (int64_t i = 0; i < len; ++i) {
      double v = (xi[i] - mean) * invStd * scale[i * scaleStride];
      out[b * len + i] = float(bias ? v + bias[i * biasStride] : v);
    }
  }
}

std::vector<Tensor> instanceNorm(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  requireFloat(ctx, x, "X");
  if (x.rank() < 2) ctx.fail("input must have rank >= 2");
  const int64_t n = x.dims()[0], c = x.dims()[1], plane = x.numel() / std::max<int64_t>(1, n * c);
  Tensor y(DType::Float, x.dims());
  auto scale = ctx.input(1).data<float>(), bias = ctx.input(2).data<float>();
  if (int64_t(scale.size()) != c || int64_t(bias.size()) != c) ctx.fail("scale and B need {} values", c);
  for (int64_t i = 0; i < n * c; ++i)
    normalizeBlocks(x.data<float>().data() + i * plane, y.data<float>().data() + i * plane, 1, plane,
                    ctx.getFloat("epsilon", 1e-5f), &scale[i % c], 0, &bias[i % c], 0, nullptr, nullptr);
  return {std::move(y)};
}

// Opset 18: num_groups groups of C / num_groups channels, each normalized over
// its channels and positions; scale and bias per group (opset 18) or per
// channel (21, which fixed 18's).
std::vector<Tensor> groupNorm(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  requireFloat(ctx, x, "X");
  if (x.rank() < 2) ctx.fail("input must have rank >= 2");
  const int64_t groups = ctx.getInt("num_groups", 0), n = x.dims()[0], c = x.dims()[1];
  if (groups < 1 || c % groups != 0) ctx.fail("num_groups {} does not divide the {} channels", groups, c);
  const int64_t plane = product(std::span(x.dims()).subspan(2)), len = c / groups * plane;
  const int64_t parameters = ctx.opset < 21 ? groups : c;
  auto scale = ctx.input(1).data<float>(), bias = ctx.input(2).data<float>();
  if (int64_t(scale.size()) != parameters || int64_t(bias.size()) != parameters)
    ctx.fail("scale and bias need {} values (one per {} at opset {})", parameters, ctx.opset < 21 ? "group" : "channel",
             ctx.opset);
  Tensor y(DType::Float, x.dims());
  const float one = 1, zero = 0;
  normalizeBlocks(x.data<float>().data(), y.data<float>().data(), n * groups, len, ctx.getFloat("epsilon", 1e-5f), &one,
                  0, &zero, 0, nullptr, nullptr);
  auto out = y.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t channel = i / plane % c, parameter = parameters == c ? channel : channel / (c / groups);
    out[i] = out[i] * scale[parameter] + bias[parameter];
  }
  return {std::move(y)};
}

std::vector<Tensor> layerNorm(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  requireFloat(ctx, x, "X");
  int64_t axis = ctx.normalizeAxis(ctx.getInt("axis", -1), x.rank());
  std::vector<int64_t> normDims(x.dims().begin() + axis, x.dims().end());
  // Both products of dims (an empty batch keeps the normalized length).
  const int64_t blocks = product(std::span(x.dims()).first(axis)), len = product(normDims);
  // Scale and bias broadcast onto the normalized dims; materialized.
  auto expand = [&](const Tensor& t) {
    std::optional<std::vector<float>> full = broadcastOnto(t.data<float>(), t.dims(), normDims);
    if (!full)
      ctx.fail("scale/bias of [{}] do not broadcast to the normalized dims [{}]", fmt::join(t.dims(), ","),
               fmt::join(normDims, ","));
    return *full;
  };
  std::vector<float> scale = expand(ctx.input(1));
  std::vector<float> bias = ctx.hasInput(2) ? expand(ctx.input(2)) : std::vector<float>(len, 0.f);
  std::vector<int64_t> statDims(x.dims().begin(), x.dims().begin() + axis);
  statDims.resize(x.rank(), 1);
  std::vector<Tensor> outs{Tensor(DType::Float, x.dims()), Tensor(DType::Float, statDims),
                           Tensor(DType::Float, statDims)};
  normalizeBlocks(x.data<float>().data(), outs[0].data<float>().data(), blocks, len, ctx.getFloat("epsilon", 1e-5f),
                  scale.data(), 1, bias.data(), 1, outs[1].data<float>().data(), outs[2].data<float>().data());
  outs.resize(ctx.numOutputs());
  return outs;
}

// Local response normalization across channels (dim 1).
std::vector<Tensor> lrn(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  requireFloat(ctx, x, "X");
  const int64_t size = ctx.getInt("size", 0);
  if (size <= 0 || x.rank() < 2) ctx.fail("size must be positive and the input at least 2-D");
  const double alpha = ctx.getFloat("alpha", 1e-4f), beta = ctx.getFloat("beta", 0.75f),
               bias = ctx.getFloat("bias", 1.f);
  const int64_t channels = x.dims()[1], plane = product(std::span(x.dims()).subspan(2));
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  Tensor y(DType::Float, x.dims());
  auto in = x.data<float>();
  auto out = y.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = (i / plane) % channels, base = i - c * plane;
    double sum = 0;
    for (int64_t j = std::max<int64_t>(0, c - before); j <= std::min(channels - 1, c + after); ++j)
      sum += double(in[base + j * plane]) * in[base + j * plane];
    out[i] = float(in[i] / std::pow(bias + alpha / double(size) * sum, beta));
  }
  return {std::move(y)};
}

// (x - mean) / (sqrt(var) + 1e-9) over `axes` (default N, H, W), as ONNX's function body.
std::vector<Tensor> meanVarianceNorm(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  requireFloat(ctx, x, "X");
  std::vector<int64_t> keptDims = x.dims();
  for (int64_t a : ctx.getInts("axes", {0, 2, 3})) keptDims[ctx.normalizeAxis(a, x.rank())] = 1;
  const std::vector<int64_t> strides[1] = {broadcastStrides(keptDims, x.dims())};
  const double count = double(x.numel()) / double(std::max<int64_t>(1, product(keptDims)));
  std::vector<double> mean(product(keptDims), 0), meanSq(mean.size(), 0);
  auto in = x.data<float>();
  forEachBroadcast(x.dims(), strides, [&](int64_t i, const int64_t* off) {
    mean[off[0]] += in[i] / count;
    meanSq[off[0]] += double(in[i]) * in[i] / count;
  });
  Tensor y(DType::Float, x.dims());
  auto out = y.data<float>();
  forEachBroadcast(x.dims(), strides, [&](int64_t i, const int64_t* off) {
    double var = std::max(0.0, meanSq[off[0]] - mean[off[0]] * mean[off[0]]);
    out[i] = float((in[i] - mean[off[0]]) / (std::sqrt(var) + 1e-9));
  });
  return {std::move(y)};
}

}  // namespace

void registerNormalizationKernels(KernelRegistry& r) {
  r.add("BatchNormalization", batchNorm);
  r.add("InstanceNormalization", instanceNorm);
  r.add("GroupNormalization", groupNorm);
  r.add("LayerNormalization", layerNorm);
  r.add("LRN", lrn);
  r.add("MeanVarianceNormalization", meanVarianceNorm);
}

}  // namespace convopt::runtime::reference
