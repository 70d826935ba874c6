// Reductions (ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare)
// ArgMax/ArgMin and CumSum. Axes are an attribute before opset 13 (ReduceSum) or 18
// (the others) and an optional input after.
#include <cmath>
#include <limits>

#include "runtime/reference/broadcast.h"

namespace convopt::runtime::reference {
namespace {

enum class Reduction { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

struct ReducedShape {
  std::vector<bool> reduced;
  std::vector<int64_t> keptDims;  // input dims with reduced ones set to 1
  std::vector<int64_t> outDims;   // keptDims, or without the reduced axes if !keepdims
};

ReducedShape reducedShape(const KernelContext& ctx, const Tensor& x, const std::vector<int64_t>& axes, bool all) {
  ReducedShape s{std::vector<bool>(x.rank(), all), x.dims(), {}};
  for (int64_t a : axes) {
    int64_t axis = ctx.normalizeAxis(a, x.rank());  // which lets axis 0 through for a scalar
    if (axis >= x.rank()) ctx.fail("axis {} is out of range for rank {}", a, x.rank());
    s.reduced[axis] = true;
  }
  bool keep = ctx.getInt("keepdims", 1) != 0;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (s.reduced[d]) s.keptDims[d] = 1;
    if (!s.reduced[d] || keep) s.outDims.push_back(s.keptDims[d]);
  }
  return s;
}

Kernel reduce(Reduction kind, int64_t axesInputSince) {
  return [kind, axesInputSince](const KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    std::vector<int64_t> axes;
    if (ctx.opset < axesInputSince)
      axes = ctx.getInts("axes");
    else if (ctx.hasInput(1))
      axes = ctx.input(1).toInt64Vector();
    if (axes.empty() && ctx.opset >= axesInputSince && ctx.getInt("noop_with_empty_axes", 0) != 0)
      return std::vector<Tensor>{x};
    ReducedShape shape = reducedShape(ctx, x, axes, axes.empty());
    const std::vector<int64_t> strides[1] = {broadcastStrides(shape.keptDims, x.dims())};
    const int64_t outCount = product(shape.keptDims);
    const double count = double(x.numel()) / double(std::max<int64_t>(outCount, 1));
    const double init = kind == Reduction::Max    ? -std::numeric_limits<double>::infinity()
                        : kind == Reduction::Min  ? std::numeric_limits<double>::infinity()
                        : kind == Reduction::Prod ? 1.0
                                                  : 0.0;
    std::vector<double> acc(outCount, init);
    dispatchNumeric(ctx, x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      auto in = x.data<T>();
      forEachBroadcast(x.dims(), strides, [&](int64_t i, const int64_t* off) {
        double v = static_cast<double>(in[i]);
        double& a = acc[off[0]];
        switch (kind) {
          case Reduction::Max:
            a = std::max(a, v);
            break;
          case Reduction::Min:
            a = std::min(a, v);
            break;
          case Reduction::Prod:
            a *= v;
            break;
          case Reduction::L1:
            a += std::fabs(v);
            break;
          case Reduction::L2:
          case Reduction::SumSquare:
            a += v * v;
            break;
          case Reduction::LogSumExp:
            a += std::exp(v);
            break;
          default:
            a += v;
        }
      });
    });
    Tensor result = Tensor::fromVector<double>(DType::Double, shape.outDims, acc);
    for (double& v : result.data<double>()) {
      if (kind == Reduction::Mean) v /= count;
      if (kind == Reduction::L2) v = std::sqrt(v);
      if (kind == Reduction::LogSum || kind == Reduction::LogSumExp) v = std::log(v);
    }
    return std::vector<Tensor>{dispatchNumeric(ctx, x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      Tensor out(x.dtype(), shape.outDims);
      auto src = result.data<double>();
      for (size_t i = 0; i < src.size(); ++i) out.data<T>()[i] = saturatingCast<T>(src[i]);
      return out;
    })};
  };
}

Kernel argExtreme(bool max) {
  return [max](const KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    const int64_t axis = ctx.normalizeAxis(ctx.getInt("axis", 0), x.rank());
    const bool last = ctx.getInt("select_last_index", 0) != 0;
    ReducedShape shape = reducedShape(ctx, x, {axis}, false);
    const int64_t len = x.dims()[axis], inner = product(std::span(x.dims()).subspan(axis + 1));
    if (len == 0) ctx.fail("cannot take the arg-extreme of an empty axis");
    Tensor out(DType::Int64, shape.outDims);
    auto o = out.data<int64_t>();
    dispatchNumeric(ctx, x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      auto in = x.data<T>();
      for (size_t r = 0; r < o.size(); ++r) {
        const int64_t base = (int64_t(r) / inner) * len * inner + int64_t(r) % inner;
        int64_t best = 0;
        for (int64_t k = 1; k < len; ++k) {
          T v = in[base + k * inner], b = in[base + best * inner];
          if (max ? (v > b || (last && v == b)) : (v < b || (last && v == b))) best = k;
        }
        o[r] = best;
      }
    });
    return std::vector<Tensor>{std::move(out)};
  };
}

// Running sums along `axis` (exclusive: without the element itself; reverse:
// from the end).
std::vector<Tensor> cumSum(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t axis = ctx.normalizeAxis(ctx.input(1).toInt64Vector().at(0), x.rank());
  const bool exclusive = ctx.getInt("exclusive", 0) != 0, reverse = ctx.getInt("reverse", 0) != 0;
  const int64_t len = x.dims()[axis], inner = product(std::span(x.dims()).subspan(axis + 1));
  const int64_t outer = product(std::span(x.dims()).first(axis));
  return {dispatchNumeric(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out(x.dtype(), x.dims());
    auto in = x.data<T>();
    auto o = out.data<T>();
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t i = 0; i < inner; ++i) {
        T sum = 0;
        for (int64_t s = 0; s < len; ++s) {
          int64_t at = (a * len + (reverse ? len - 1 - s : s)) * inner + i;
          if (!exclusive) sum = static_cast<T>(sum + in[at]);
          o[at] = sum;
          if (exclusive) sum = static_cast<T>(sum + in[at]);
        }
      }
    return out;
  })};
}

}  // namespace

void registerReduceKernels(KernelRegistry& r) {
  r.add("ReduceSum", reduce(Reduction::Sum, 13));
  r.add("ReduceMean", reduce(Reduction::Mean, 18));
  r.add("ReduceMax", reduce(Reduction::Max, 18));
  r.add("ReduceMin", reduce(Reduction::Min, 18));
  r.add("ReduceProd", reduce(Reduction::Prod, 18));
  r.add("ReduceL1", reduce(Reduction::L1, 18));
  r.add("ReduceL2", reduce(Reduction::L2, 18));
  r.add("ReduceLogSum", reduce(Reduction::LogSum, 18));
  r.add("ReduceLogSumExp", reduce(Reduction::LogSumExp, 18));
  r.add("ReduceSumSquare", reduce(Reduction::SumSquare, 18));
  r.add("ArgMax", argExtreme(true));
  r.add("ArgMin", argExtreme(false));
  r.add("CumSum", cumSum);
}

}  // namespace convopt::runtime::reference
