// Elementwise binary arithmetic with numpy broadcasting, PRelu, and the variadic Sum/Max/Min.
#include <cmath>

#include "eval_kernels.h"

namespace kiln::eval {

namespace {

// Iterates the broadcast of inputs 0 and 1, storing fn(a, b) (of type R) into a new tensor.
template <typename R, typename A, typename B, typename Fn>
Tensor broadcastMap(const KernelCall& c, DType outType, Fn fn) {
  const Tensor& a = c.input(0);
  const Tensor& b = c.input(1);
  const std::vector<int64_t> out = broadcastShapes(c, a.dims, b.dims);
  Tensor y = makeTensor(c, outType, out);
  auto as = a.data<A>();
  auto bs = b.data<B>();
  auto ys = y.data<R>();
  forEachBroadcast<2>(out, {broadcastStrides(a.dims, out), broadcastStrides(b.dims, out)},
                      [&](int64_t o, const std::array<int64_t, 2>& off) {
                        ys[o] = fn(as[off[0]], bs[off[1]]);
                      });
  return y;
}

// Same-dtype binary op; integers use wrapping (unsigned) arithmetic like numpy.
template <typename Fn> Outputs sameTypeBinary(const KernelCall& c, Fn fn) {
  requireSameDtype(c, 0, 1);
  const DType t = c.input(0).dtype;
  return visitNumeric(c, 0, t, [&](auto tag) {
    using T = decltype(tag);
    return Outputs{broadcastMap<T, T, T>(c, t, [&](T a, T b) { return fn(a, b); })};
  });
}

// Integer power by squaring (wrapping); negative exponents go through double like numpy's
// float result cast back.
template <typename T> T intPow(T base, int64_t e) {
  if (e < 0) return convertValue<T>(std::pow(static_cast<double>(base), static_cast<double>(e)));
  Arith<T> result = 1, b = static_cast<Arith<T>>(base);
  for (; e; e >>= 1, b = static_cast<Arith<T>>(b * b))
    if (e & 1) result = static_cast<Arith<T>>(result * b);
  return static_cast<T>(result);
}

template <typename A, typename B> A power(A base, B e) {
  if constexpr (std::is_floating_point_v<A>) {
    return std::pow(base, static_cast<A>(e));
  } else if constexpr (std::is_integral_v<B>) {
    return intPow(base, static_cast<int64_t>(e));
  } else {
    return convertValue<A>(std::pow(static_cast<double>(base), static_cast<double>(e)));
  }
}

// Folds inputs 0..n-1 (numpy-broadcast together) with fn, all of one dtype.
template <typename T, typename Fn> Outputs foldInputs(const KernelCall& c, Fn fn) {
  std::vector<int64_t> out = c.input(0).dims;
  for (size_t i = 1; i < c.inputs.size(); ++i) {
    requireSameDtype(c, 0, i);
    out = broadcastShapes(c, out, c.input(i).dims);
  }
  Tensor y = makeTensor(c, c.input(0).dtype, out);
  auto ys = y.data<T>();
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    auto xs = c.input(i).data<T>();
    forEachBroadcast<1>(out, {broadcastStrides(c.input(i).dims, out)},
                        [&](int64_t o, const std::array<int64_t, 1>& off) {
                          ys[o] = i == 0 ? xs[off[0]] : fn(ys[o], xs[off[0]]);
                        });
  }
  return {std::move(y)};
}

// numpy.maximum / numpy.minimum: a NaN operand wins.
template <typename T> T maxOf(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(b)) return b;
  return a < b ? b : a;
}
template <typename T> T minOf(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(b)) return b;
  return b < a ? b : a;
}

}  // namespace

// y = x < 0 ? slope * x : x, slope broadcast to x.
Outputs evalPRelu(const KernelCall& c) {
  requireSameDtype(c, 0, 1);
  const DType t = c.input(0).dtype;
  return visitFloat(c, 0, t, [&](auto tag) {
    using T = decltype(tag);
    return Outputs{broadcastMap<T, T, T>(c, t, [](T x, T s) { return x < T(0) ? s * x : x; })};
  });
}

Outputs evalSum(const KernelCall& c) {
  return visitFloat(c, 0, c.input(0).dtype, [&](auto tag) {
    using T = decltype(tag);
    return foldInputs<T>(c, [](T a, T b) { return a + b; });
  });
}

Outputs evalMax(const KernelCall& c) {
  return visitNumeric(c, 0, c.input(0).dtype, [&](auto tag) {
    using T = decltype(tag);
    return foldInputs<T>(c, [](T a, T b) { return maxOf(a, b); });
  });
}

Outputs evalMin(const KernelCall& c) {
  return visitNumeric(c, 0, c.input(0).dtype, [&](auto tag) {
    using T = decltype(tag);
    return foldInputs<T>(c, [](T a, T b) { return minOf(a, b); });
  });
}

Outputs evalAdd(const KernelCall& c) {
  return sameTypeBinary(c, [](auto a, auto b) {
    using T = decltype(a);
    return static_cast<T>(static_cast<Arith<T>>(a) + static_cast<Arith<T>>(b));
  });
}

Outputs evalSub(const KernelCall& c) {
  return sameTypeBinary(c, [](auto a, auto b) {
    using T = decltype(a);
    return static_cast<T>(static_cast<Arith<T>>(a) - static_cast<Arith<T>>(b));
  });
}

Outputs evalMul(const KernelCall& c) {
  return sameTypeBinary(c, [](auto a, auto b) {
    using T = decltype(a);
    return static_cast<T>(static_cast<Arith<T>>(a) * static_cast<Arith<T>>(b));
  });
}

Outputs evalDiv(const KernelCall& c) {
  return sameTypeBinary(c, [&](auto a, auto b) {
    using T = decltype(a);
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) c.fail("integer division by zero", ErrorCode::InvalidInput);
      if constexpr (std::is_signed_v<T>)
        if (a == std::numeric_limits<T>::lowest() && b == T(-1)) return a;  // wraps
      return static_cast<T>(a / b);  // truncates toward zero
    } else {
      return a / b;
    }
  });
}

// Pow: the result has the base's dtype; the exponent may be any numeric type.
Outputs evalPow(const KernelCall& c) {
  const DType baseType = c.input(0).dtype;
  return visitNumeric(c, 0, baseType, [&](auto btag) {
    using A = decltype(btag);
    return visitNumeric(c, 1, c.input(1).dtype, [&](auto etag) {
      using B = decltype(etag);
      return Outputs{broadcastMap<A, A, B>(c, baseType, [](A a, B e) { return power(a, e); })};
    });
  });
}

}  // namespace kiln::eval
