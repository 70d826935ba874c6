// Activations: pointwise nonlinearities, Clip, PRelu and the softmax family.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "runtime/reference/elementwise.h"

namespace convopt::runtime::reference {
namespace {

// A float32 pointwise activation whose parameters come from attributes.
template <typename Make>
Kernel floatActivation(Make make) {
  return [make](const KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    requireFloat(ctx, x, "input");
    return std::vector<Tensor>{mapElements<float>(x, DType::Float, make(ctx))};
  };
}

std::vector<Tensor> relu(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return {dispatchNumeric(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return mapElements<T>(x, x.dtype(), [](T v) { return v < T(0) ? T(0) : v; });  // NaN stays NaN
  })};
}

// Clip: bounds are attributes before opset 11, optional inputs from 11 on.
std::vector<Tensor> clip(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  return {dispatchNumeric(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T lo = std::numeric_limits<T>::lowest();
    T hi = std::numeric_limits<T>::max();
    if (ctx.opset < 11) {
      lo = saturatingCast<T>(ctx.getFloat("min", -std::numeric_limits<float>::max()));
      hi = saturatingCast<T>(ctx.getFloat("max", std::numeric_limits<float>::max()));
    }
    for (size_t i : {1u, 2u}) {
      if (!ctx.hasInput(i)) continue;
      const Tensor& bound = ctx.input(i);
      if (bound.dtype() != x.dtype() || bound.numel() != 1)
        ctx.fail("bound {} must be a scalar of the input's type", i);
      (i == 1 ? lo : hi) = bound.data<T>()[0];
    }
    return mapElements<T>(x, x.dtype(), [lo, hi](T v) { return std::min(std::max(v, lo), hi); });
  })};
}

std::vector<Tensor> prelu(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor slope = ctx.input(1);
  requireSameType(ctx, x, slope);
  // Before opset 7 a 1-D slope of C values applies per channel (dim 1).
  if (ctx.opset < 7 && slope.rank() == 1 && x.rank() > 2 && slope.dims()[0] == x.dims()[1] && slope.dims()[0] != 1) {
    std::vector<int64_t> dims(x.rank() - 1, 1);
    dims[0] = slope.dims()[0];
    slope.reshape(dims);
  }
  return {dispatchNumeric(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return broadcastBinary<T>(ctx, x, slope, x.dtype(), [](T v, T s) { return v < T(0) ? T(v * s) : v; });
  })};
}

enum class SoftmaxKind { Softmax, LogSoftmax, Hardmax };

// Before opset 13 the input is coerced to 2-D at `axis` (default 1) and the
// op runs over the flattened trailing block; from 13 on it runs along `axis`
// (default -1). Both are "outer x axisLen x inner" loops.
Kernel softmaxFamily(SoftmaxKind kind) {
  return [kind](const KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    requireFloat(ctx, x, "input");
    const auto& dims = x.dims();
    bool coerced = ctx.opset < 13;
    int64_t axis = ctx.normalizeAxis(ctx.getInt("axis", coerced ? 1 : -1), x.rank());
    int64_t outer = product(std::span(dims).first(axis));
    int64_t len = coerced ? product(std::span(dims).subspan(axis)) : (x.rank() ? dims[axis] : 1);
    int64_t inner = coerced ? 1 : product(std::span(dims).subspan(axis + 1));
    Tensor out(DType::Float, dims);
    auto in = x.data<float>();
    auto o = out.data<float>();
    for (int64_t a = 0; a < outer; ++a) {
      for (int64_t b = 0; b < inner; ++b) {
        int64_t base = a * len * inner + b;
        auto at = [&](int64_t k) { return base + k * inner; };
        float maxv = -std::numeric_limits<float>::infinity();
        int64_t argmax = 0;
        for (int64_t k = 0; k < len; ++k)
          if (in[at(k)] > maxv) maxv = in[at(k)], argmax = k;
        if (kind == SoftmaxKind::Hardmax) {
          for (int64_t k = 0; k < len; ++k) o[at(k)] = k == argmax ? 1.f : 0.f;
          continue;
        }
        double sum = 0;
        for (int64_t k = 0; k < len; ++k) sum += std::exp(double(in[at(k)]) - maxv);
        for (int64_t k = 0; k < len; ++k) {
          double shifted = double(in[at(k)]) - maxv;
          o[at(k)] = float(kind == SoftmaxKind::Softmax ? std::exp(shifted) / sum : shifted - std::log(sum));
        }
      }
    }
    return std::vector<Tensor>{std::move(out)};
  };
}

}  // namespace

void registerActivationKernels(KernelRegistry& r) {
  r.add("Relu", relu);
  r.add("Clip", clip);
  r.add("PRelu", prelu);
  r.add("Softmax", softmaxFamily(SoftmaxKind::Softmax));
  r.add("LogSoftmax", softmaxFamily(SoftmaxKind::LogSoftmax));
  r.add("Hardmax", softmaxFamily(SoftmaxKind::Hardmax));
  r.add("Sigmoid", floatActivation([](const KernelContext&) {
          return [](float v) { return float(1.0 / (1.0 + std::exp(-double(v)))); };
        }));
  r.add("Tanh", floatActivation([](const KernelContext&) { return [](float v) { return std::tanh(v); }; }));
  r.add("LeakyRelu", floatActivation([](const KernelContext& ctx) {
          return [alpha = ctx.getFloat("alpha", 0.01f)](float v) { return v < 0 ? alpha * v : v; };
        }));
  r.add("Elu", floatActivation([](const KernelContext& ctx) {
          return [alpha = ctx.getFloat("alpha", 1.f)](float v) { return v < 0 ? alpha * std::expm1(v) : v; };
        }));
  r.add("Celu", floatActivation([](const KernelContext& ctx) {
          return [alpha = ctx.getFloat("alpha", 1.f)](float v) {
            return std::max(0.f, v) + std::min(0.f, alpha * std::expm1(v / alpha));
          };
        }));
  r.add("Selu", floatActivation([](const KernelContext& ctx) {
          return [alpha = ctx.getFloat("alpha", 1.67326319217681884765625f),
                  gamma = ctx.getFloat("gamma", 1.05070102214813232421875f)](float v) {
            return gamma * (v > 0 ? v : alpha * std::expm1(v));
          };
        }));
  r.add("ThresholdedRelu", floatActivation([](const KernelContext& ctx) {
          return [alpha = ctx.getFloat("alpha", 1.f)](float v) { return v > alpha ? v : 0.f; };
        }));
  r.add("HardSigmoid", floatActivation([](const KernelContext& ctx) {
          return [alpha = ctx.getFloat("alpha", 0.2f), beta = ctx.getFloat("beta", 0.5f)](float v) {
            return std::clamp(alpha * v + beta, 0.f, 1.f);
          };
        }));
  r.add("HardSwish", floatActivation([](const KernelContext&) {
          return [](float v) { return v * std::clamp(v / 6.f + 0.5f, 0.f, 1.f); };
        }));
  // max(v, 0) + log(1 + e^-|v|): e^v would overflow from 88 on.
  r.add("Softplus", floatActivation([](const KernelContext&) {
          return [](float v) { return float(std::max(double(v), 0.0) + std::log1p(std::exp(-std::fabs(double(v))))); };
        }));
  r.add("Softsign",
        floatActivation([](const KernelContext&) { return [](float v) { return v / (1 + std::fabs(v)); }; }));
  r.add("Shrink", floatActivation([](const KernelContext& ctx) {
          return [bias = ctx.getFloat("bias", 0.f), lambd = ctx.getFloat("lambd", 0.5f)](float v) {
            return v < -lambd ? v + bias : v > lambd ? v - bias : 0.f;
          };
        }));
  r.add("Mish", floatActivation([](const KernelContext&) {
          return [](float v) { return v * std::tanh(std::log1p(std::exp(v))); };
        }));
  r.add("Gelu", floatActivation([](const KernelContext& ctx) {
          std::string approximate = ctx.getString("approximate", "none");
          if (approximate != "none" && approximate != "tanh")
            ctx.fail("approximate is '{}'; Gelu takes 'none' or 'tanh'", approximate);
          bool tanhApprox = approximate == "tanh";
          return [tanhApprox](float v) {
            double x = v;
            if (tanhApprox) return float(0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))));
            return float(0.5 * x * (1 + std::erf(x / std::sqrt(2.0))));
          };
        }));
}

}  // namespace convopt::runtime::reference
