// Elementwise ops: broadcasting arithmetic, comparisons and logic, Where,
// Cast, and unary math. Every binary op runs on the one broadcast loop.
#include "runtime/reference/elementwise.h"

#include <cmath>
#include <functional>
#include <type_traits>

namespace convopt::runtime::reference {

Tensor castTensor(const KernelContext& ctx, const Tensor& in, DType to) {
  return dispatchNumeric(ctx, in.dtype(), [&](auto src) {
    using S = decltype(src);
    bool fromBool = in.dtype() == DType::Bool;
    return dispatchNumeric(ctx, to, [&](auto dst) {
      using D = decltype(dst);
      if (to == DType::Bool) return mapElements<S, uint8_t>(in, to, [](S v) { return v != S(0); });
      if (fromBool) return mapElements<S, D>(in, to, [](S v) { return D(v != 0); });
      return mapElements<S, D>(in, to, [](S v) { return saturatingCast<D>(v); });
    });
  });
}

void requireSameType(const KernelContext& ctx, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    ctx.fail("inputs have different element types {} and {}", ir::dtypeName(a.dtype()), ir::dtypeName(b.dtype()));
}

namespace {

// A binary op over two inputs of the same numeric type: fn(T a, T b) gives the
// result, of that type (arithmetic) or bool (comparison, when kBoolResult).
template <bool kBoolResult, typename Fn>
Kernel sameTypeBinary(Fn fn) {
  return [fn](const KernelContext& ctx) {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    requireSameType(ctx, a, b);
    return std::vector<Tensor>{dispatchNumeric(ctx, a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      using Out = std::conditional_t<kBoolResult, uint8_t, T>;
      DType outType = kBoolResult ? DType::Bool : a.dtype();
      return broadcastBinary<T, Out>(ctx, a, b, outType, [&](T x, T y) { return fn(x, y); });
    })};
  };
}

// `op` (std::plus<> ...) that wraps around for signed integers (two's
// complement, as the machines onnxruntime runs on do) where their overflow
// would be undefined.
template <typename Op>
auto wrapping(Op op) {
  return [op](auto a, auto b) {
    using T = decltype(a);
    if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      using U = std::make_unsigned_t<decltype(a + b)>;  // int8/int16 promote to int: unsigned int
      return static_cast<T>(op(static_cast<U>(a), static_cast<U>(b)));
    } else {
      return static_cast<T>(op(a, b));
    }
  };
}

template <typename Fn>
Kernel arithmetic(Fn fn) {
  return sameTypeBinary<false>(fn);
}

template <typename Fn>
Kernel comparison(Fn fn) {
  return sameTypeBinary<true>(fn);
}

// Folds Sum/Max/Min/Mean's inputs pairwise (broadcasting as it goes).
template <typename Fn>
Kernel variadic(Fn fn, bool mean = false) {
  return [fn, mean](const KernelContext& ctx) {
    Tensor acc = ctx.input(0);
    for (size_t i = 1; i < ctx.numInputs(); ++i) {
      requireSameType(ctx, acc, ctx.input(i));
      acc = dispatchNumeric(ctx, acc.dtype(), [&](auto tag) {
        using T = decltype(tag);
        return broadcastBinary<T>(ctx, acc, ctx.input(i), acc.dtype(), [&](T x, T y) { return fn(x, y); });
      });
    }
    if (mean) {
      double n = static_cast<double>(ctx.numInputs());
      acc = dispatchNumeric(ctx, acc.dtype(), [&](auto tag) {
        using T = decltype(tag);
        return mapElements<T>(acc, acc.dtype(), [n](T v) { return static_cast<T>(v / n); });
      });
    }
    return std::vector<Tensor>{std::move(acc)};
  };
}

// Floating-point unary math on float or double.
template <typename Fn>
Kernel floatUnary(Fn fn) {
  return [fn](const KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    if (x.dtype() == DType::Double) return std::vector<Tensor>{mapElements<double>(x, x.dtype(), fn)};
    requireFloat(ctx, x, "input");
    return std::vector<Tensor>{mapElements<float>(x, x.dtype(), fn)};
  };
}

template <typename Fn>
Kernel numericUnary(Fn fn) {
  return [fn](const KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    return std::vector<Tensor>{dispatchNumeric(ctx, x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      return mapElements<T>(x, x.dtype(), [&](T v) { return static_cast<T>(fn(v)); });
    })};
  };
}

std::vector<Tensor> pow(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor a = castTensor(ctx, x, DType::Double);
  Tensor b = castTensor(ctx, ctx.input(1), DType::Double);
  Tensor r = broadcastBinary<double>(ctx, a, b, DType::Double, [](double u, double v) { return std::pow(u, v); });
  return {castTensor(ctx, r, x.dtype())};
}

std::vector<Tensor> mod(const KernelContext& ctx) {
  bool cStyle = ctx.getInt("fmod", 0) != 0;
  return arithmetic([cStyle](auto a, auto b) {
    using T = decltype(a);
    if constexpr (std::is_floating_point_v<T>) {
      T r = std::fmod(a, b);
      if (!cStyle && r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    } else {
      if (b == 0) return T(0);
      if constexpr (std::is_signed_v<T>)
        if (b == T(-1)) return T(0);  // MIN % -1 traps
      T r = static_cast<T>(a % b);
      if constexpr (std::is_signed_v<T>)
        if (!cStyle && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      return r;
    }
  })(ctx);
}

std::vector<Tensor> bitShift(const KernelContext& ctx) {
  const std::string direction = ctx.getString("direction", "");
  if (direction != "LEFT" && direction != "RIGHT") ctx.fail("direction must be LEFT or RIGHT");
  DType t = ctx.input(0).dtype();
  if (t != DType::Uint8 && t != DType::Uint16 && t != DType::Uint32 && t != DType::Uint64)
    ctx.fail("BitShift needs unsigned integers");
  return arithmetic([left = direction == "LEFT"](auto a, auto b) {
    using T = decltype(a);
    if constexpr (std::is_integral_v<T>) {
      if (b >= T(sizeof(T) * 8)) return T(0);
      return T(left ? a << b : a >> b);
    } else {
      return a;  // unreachable: rejected above
    }
  })(ctx);
}

std::vector<Tensor> where(const KernelContext& ctx) {
  const Tensor& cond = ctx.input(0);
  const Tensor& x = ctx.input(1);
  const Tensor& y = ctx.input(2);
  requireSameType(ctx, x, y);
  if (cond.dtype() != DType::Bool) ctx.fail("condition must be bool");
  std::vector<int64_t> dims = broadcastShape(ctx, {cond.dims(), x.dims(), y.dims()});
  const std::vector<int64_t> strides[3] = {broadcastStrides(cond.dims(), dims), broadcastStrides(x.dims(), dims),
                                           broadcastStrides(y.dims(), dims)};
  return {dispatchNumeric(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out(x.dtype(), dims);
    auto c = cond.data<uint8_t>();
    auto px = x.data<T>();
    auto py = y.data<T>();
    auto po = out.data<T>();
    forEachBroadcast(dims, strides,
                     [&](int64_t i, const int64_t* off) { po[i] = c[off[0]] ? px[off[1]] : py[off[2]]; });
    return out;
  })};
}

std::vector<Tensor> isInf(const KernelContext& ctx) {
  bool neg = ctx.getInt("detect_negative", 1) != 0;
  bool pos = ctx.getInt("detect_positive", 1) != 0;
  const Tensor& x = ctx.input(0);
  auto test = [&](auto v) { return std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg)); };
  if (x.dtype() == DType::Double) return {mapElements<double, uint8_t>(x, DType::Bool, test)};
  requireFloat(ctx, x, "input");
  return {mapElements<float, uint8_t>(x, DType::Bool, test)};
}

std::vector<Tensor> isNaN(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto test = [](auto v) { return std::isnan(v); };
  if (x.dtype() == DType::Double) return {mapElements<double, uint8_t>(x, DType::Bool, test)};
  requireFloat(ctx, x, "input");
  return {mapElements<float, uint8_t>(x, DType::Bool, test)};
}

}  // namespace

void registerElementwiseKernels(KernelRegistry& r) {
  r.add("Add", arithmetic(wrapping(std::plus<>())));
  r.add("Sub", arithmetic(wrapping(std::minus<>())));
  r.add("Mul", arithmetic(wrapping(std::multiplies<>())));
  r.add("Div", arithmetic([](auto a, auto b) {
          using T = decltype(a);
          if constexpr (std::is_integral_v<T>) {
            if (b == 0) return T(0);  // undefined in ONNX; avoid the trap
            if constexpr (std::is_signed_v<T>)
              if (b == T(-1)) return wrapping(std::minus<>())(T(0), a);  // MIN / -1 traps too
          }
          return T(a / b);
        }));
  r.add("Pow", pow);
  r.add("Mod", mod);
  r.add("BitShift", bitShift);
  r.add("Sum", variadic(wrapping(std::plus<>())));
  r.add("Mean", variadic(wrapping(std::plus<>()), true));
  r.add("Max", variadic([](auto a, auto b) { return (a != a || a > b) ? a : b; }));
  r.add("Min", variadic([](auto a, auto b) { return (a != a || a < b) ? a : b; }));
  r.add("Equal", comparison([](auto a, auto b) { return a == b; }));
  r.add("Less", comparison([](auto a, auto b) { return a < b; }));
  r.add("LessOrEqual", comparison([](auto a, auto b) { return a <= b; }));
  r.add("Greater", comparison([](auto a, auto b) { return a > b; }));
  r.add("GreaterOrEqual", comparison([](auto a, auto b) { return a >= b; }));
  r.add("And", comparison([](auto a, auto b) { return a && b; }));
  r.add("Or", comparison([](auto a, auto b) { return a || b; }));
  r.add("Xor", comparison([](auto a, auto b) { return bool(a) != bool(b); }));
  r.add("Not", numericUnary([](auto a) { return !a; }));
  r.add("Where", where);
  r.add("Cast", [](const KernelContext& ctx) {
    return std::vector<Tensor>{castTensor(ctx, ctx.input(0), static_cast<DType>(ctx.getInt("to", 0)))};
  });
  r.add("CastLike", [](const KernelContext& ctx) {
    return std::vector<Tensor>{castTensor(ctx, ctx.input(0), ctx.input(1).dtype())};
  });
  r.add("Abs", numericUnary([](auto a) {
          if constexpr (std::is_signed_v<decltype(a)>)
            return a < 0 ? -a : a;
          else
            return a;
        }));
  r.add("Neg", numericUnary([](auto a) { return -a; }));
  r.add("Sign", numericUnary([](auto a) { return (a > 0) - (a < 0); }));
  r.add("IsInf", isInf);
  r.add("IsNaN", isNaN);
  r.add("Exp", floatUnary([](auto v) { return std::exp(v); }));
  r.add("Log", floatUnary([](auto v) { return std::log(v); }));
  r.add("Sqrt", floatUnary([](auto v) { return std::sqrt(v); }));
  r.add("Reciprocal", floatUnary([](auto v) { return decltype(v)(1) / v; }));
  r.add("Floor", floatUnary([](auto v) { return std::floor(v); }));
  r.add("Ceil", floatUnary([](auto v) { return std::ceil(v); }));
  r.add("Round", floatUnary([](auto v) { return std::nearbyint(v); }));  // half to even
  r.add("Erf", floatUnary([](auto v) { return std::erf(v); }));
  r.add("Sin", floatUnary([](auto v) { return std::sin(v); }));
  r.add("Cos", floatUnary([](auto v) { return std::cos(v); }));
  r.add("Tan", floatUnary([](auto v) { return std::tan(v); }));
  r.add("Asin", floatUnary([](auto v) { return std::asin(v); }));
  r.add("Acos", floatUnary([](auto v) { return std::acos(v); }));
  r.add("Atan", floatUnary([](auto v) { return std::atan(v); }));
  r.add("Sinh", floatUnary([](auto v) { return std::sinh(v); }));
  r.add("Cosh", floatUnary([](auto v) { return std::cosh(v); }));
  r.add("Asinh", floatUnary([](auto v) { return std::asinh(v); }));
  r.add("Acosh", floatUnary([](auto v) { return std::acosh(v); }));
  r.add("Atanh", floatUnary([](auto v) { return std::atanh(v); }));
}

}  // namespace convopt::runtime::reference
