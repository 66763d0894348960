// Elementwise unary ops: activations, math functions, Clip and Cast.
#include <cmath>

#include "eval_activation.h"
#include "eval_kernels.h"

namespace kiln::eval {

namespace {

// y[i] = fn(x[i]) with y of x's dtype; `Visit` picks the dtypes the op accepts.
template <typename Visit, typename Fn>
Outputs mapInput(const KernelCall& c, Visit visit, Fn fn) {
  const Tensor& x = c.input(0);
  return visit(c, 0, x.dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor y(x.dtype, x.dims);
    auto xs = x.data<T>();
    auto ys = y.data<T>();
    for (size_t i = 0; i < xs.size(); ++i) ys[i] = static_cast<T>(fn(xs[i]));
    return Outputs{std::move(y)};
  });
}

template <typename Fn> Outputs mapFloat(const KernelCall& c, Fn fn) {
  return mapInput(c, [](auto&&... a) -> decltype(auto) { return visitFloat(a...); }, fn);
}
template <typename Fn> Outputs mapNumeric(const KernelCall& c, Fn fn) {
  return mapInput(c, [](auto&&... a) -> decltype(auto) { return visitNumeric(a...); }, fn);
}

// Negation without signed-overflow UB (integers wrap like numpy).
template <typename T> T negate(T v) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(0u - static_cast<std::make_unsigned_t<T>>(v));
  else return -v;
}

}  // namespace

Outputs evalRelu(const KernelCall& c) {
  return mapNumeric(c, [](auto v) { return v < decltype(v)(0) ? decltype(v)(0) : v; });  // NaN stays NaN
}

Outputs evalLeakyRelu(const KernelCall& c) {
  const float alpha = c.node.as<AlphaAttrs>().alpha;
  return mapFloat(c, [&](auto v) { return leakyRelu(v, decltype(v)(alpha)); });
}

Outputs evalSigmoid(const KernelCall& c) { return mapFloat(c, [](auto v) { return sigmoid(v); }); }
Outputs evalTanh(const KernelCall& c) { return mapFloat(c, [](auto v) { return std::tanh(v); }); }
Outputs evalSqrt(const KernelCall& c) { return mapFloat(c, [](auto v) { return std::sqrt(v); }); }
Outputs evalExp(const KernelCall& c) { return mapFloat(c, [](auto v) { return std::exp(v); }); }
Outputs evalLog(const KernelCall& c) { return mapFloat(c, [](auto v) { return std::log(v); }); }
Outputs evalReciprocal(const KernelCall& c) {
  return mapFloat(c, [](auto v) { return decltype(v)(1) / v; });
}
Outputs evalNeg(const KernelCall& c) { return mapNumeric(c, [](auto v) { return negate(v); }); }
Outputs evalAbs(const KernelCall& c) {
  return mapNumeric(c, [](auto v) { return v < decltype(v)(0) ? negate(v) : v; });
}

Outputs evalElu(const KernelCall& c) {
  const float alpha = c.node.as<AlphaAttrs>().alpha;
  return mapFloat(c, [&](auto v) {
    using T = decltype(v);
    return v < T(0) ? T(alpha) * (std::exp(v) - T(1)) : v;
  });
}

Outputs evalSelu(const KernelCall& c) {
  const SeluAttrs& a = c.node.as<SeluAttrs>();
  return mapFloat(c, [&](auto v) {
    using T = decltype(v);
    return T(a.gamma) * (v > T(0) ? v : T(a.alpha) * std::exp(v) - T(a.alpha));
  });
}

Outputs evalSoftplus(const KernelCall& c) {
  return mapFloat(c, [](auto v) { return std::log(std::exp(v) + decltype(v)(1)); });
}

Outputs evalHardSigmoid(const KernelCall& c) {
  const AlphaBetaAttrs& a = c.node.as<AlphaBetaAttrs>();
  return mapFloat(c, [&](auto v) {
    using T = decltype(v);
    return std::max(T(0), std::min(T(1), T(a.alpha) * v + T(a.beta)));
  });
}

// x * HardSigmoid(x) with alpha = 1/6, beta = 0.5.
Outputs evalHardSwish(const KernelCall& c) {
  return mapFloat(c, [](auto v) {
    using T = decltype(v);
    return v * std::max(T(0), std::min(T(1), v * T(1.0 / 6.0) + T(0.5)));
  });
}

// -1, 0 or 1 (NaN stays NaN).
Outputs evalSign(const KernelCall& c) {
  return mapNumeric(c, [](auto v) {
    using T = decltype(v);
    return T(0) < v ? T(1) : v < T(0) ? T(-1) : v;
  });
}

Outputs evalClip(const KernelCall& c) {
  const Tensor& x = c.input(0);
  return visitNumeric(c, 0, x.dtype, [&](auto tag) {
    using T = decltype(tag);
    // Absent bounds default to the type's range.
    auto bound = [&](size_t i, T dflt) -> T {
      if (!c.optional(i)) return dflt;
      requireSameDtype(c, 0, i);
      if (c.input(i).size() != 1)
        c.fail("bound " + c.inputName(i) + " must be a scalar, got " +
               shapeToString(shapeOf(c.input(i).dims)));
      return c.input(i).template data<T>()[0];
    };
    const T lo = bound(1, std::numeric_limits<T>::lowest());
    const T hi = bound(2, std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                               : std::numeric_limits<T>::max());
    Tensor y(x.dtype, x.dims);
    auto xs = x.data<T>();
    auto ys = y.data<T>();
    for (size_t i = 0; i < xs.size(); ++i) ys[i] = clip(xs[i], lo, hi);
    return Outputs{std::move(y)};
  });
}

Outputs evalCast(const KernelCall& c) {
  const Tensor& x = c.input(0);
  const DType to = c.node.as<CastAttrs>().to;
  Tensor y(to, x.dims);
  visitAny(c, 0, x.dtype, [&](auto stag) {
    using S = decltype(stag);
    auto xs = x.data<S>();
    if (to == DType::Bool) {
      auto ys = y.data<uint8_t>();
      for (size_t i = 0; i < xs.size(); ++i) ys[i] = xs[i] != S(0) ? 1 : 0;
      return 0;
    }
    return visitNumeric(c, 0, to, [&](auto dtag) {
      using D = decltype(dtag);
      auto ys = y.data<D>();
      for (size_t i = 0; i < xs.size(); ++i) ys[i] = convertValue<D>(xs[i]);
      return 0;
    });
  });
  // In F64 mode floats travel as double; a cast to float32 still rounds to float.
  if (c.precision == Precision::F64 && to == DType::F32) y = y.castTo(DType::F64);
  return {std::move(y)};
}

}  // namespace kiln::eval
