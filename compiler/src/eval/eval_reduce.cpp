// ReduceMean, ReduceSum, ReduceProd, Softmax and LogSoftmax.
#include <algorithm>
#include <cmath>
#include <functional>

#include "eval_kernels.h"

namespace kiln::eval {

namespace {

// The reduced layout: which axes fold away, the output dims, and the element count per cell.
struct ReducePlan {
  bool identity = false;
  std::vector<int64_t> kept, outDims;
  int64_t count = 1;
};

// Axes come from input 1. Absent/empty axes: all axes, or identity when noop_with_empty_axes.
ReducePlan planReduce(const KernelCall& c) {
  const ReduceAttrs& at = c.node.as<ReduceAttrs>();
  const Tensor& X = c.input(0);
  const int64_t rank = X.rank();
  std::vector<int64_t> axes = c.optional(1) ? readInts(c, 1) : std::vector<int64_t>{};
  ReducePlan p;
  if (axes.empty() && at.noopWithEmptyAxes) {
    p.identity = true;
    return p;
  }
  std::vector<bool> reduce(rank, axes.empty());
  for (int64_t a : axes) {
    const int64_t n = normalizeAxis(c, a, rank, "axis");
    if (reduce[n]) c.fail("axis " + std::to_string(a) + " is listed twice");
    reduce[n] = true;
  }
  p.kept = X.dims;
  for (int64_t i = 0; i < rank; ++i) {
    if (reduce[i]) p.count *= X.dims[i], p.kept[i] = 1;
    if (!reduce[i] || at.keepDims) p.outDims.push_back(p.kept[i]);
  }
  return p;
}

// Folds every input element into the output cell its kept index maps to.
template <typename T, typename Combine>
Tensor reduceInto(const Tensor& X, const ReducePlan& p, T init, Combine combine) {
  Tensor Y(X.dtype, p.outDims);
  auto x = X.data<T>();
  auto y = Y.data<T>();
  std::fill(y.begin(), y.end(), init);
  forEachBroadcast<1>(X.dims, {broadcastStrides(p.kept, X.dims)},
                      [&](int64_t i, const std::array<int64_t, 1>& off) {
                        y[off[0]] = combine(y[off[0]], x[i]);
                      });
  return Y;
}

}  // namespace

Outputs evalReduceMean(const KernelCall& c) {
  const ReducePlan p = planReduce(c);
  if (p.identity) return {c.input(0)};
  return visitFloat(c, 0, c.input(0).dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor Y = reduceInto<T>(c.input(0), p, T(0), [](T a, T b) { return a + b; });
    for (T& v : Y.data<T>()) v /= static_cast<T>(p.count);
    return Outputs{std::move(Y)};
  });
}

namespace {

// Sum or product (Op: std::plus / std::multiplies) over the axes, in the element type;
// integers wrap, as in the generated code.
template <template <class> class Op>
Outputs reduceArithmetic(const KernelCall& c, int identity) {
  const ReducePlan p = planReduce(c);
  if (p.identity) return {c.input(0)};
  return visitNumeric(c, 0, c.input(0).dtype, [&](auto tag) {
    using T = decltype(tag);
    return Outputs{reduceInto<T>(c.input(0), p, static_cast<T>(identity), [](T a, T b) {
      return static_cast<T>(Op<Arith<T>>{}(static_cast<Arith<T>>(a), static_cast<Arith<T>>(b)));
    })};
  });
}

}  // namespace

Outputs evalReduceSum(const KernelCall& c) { return reduceArithmetic<std::plus>(c, 0); }

// Product over axes; integers too (Shape -> ReduceProd counts elements in exported graphs).
Outputs evalReduceProd(const KernelCall& c) { return reduceArithmetic<std::multiplies>(c, 1); }

namespace {

// softmax (or log-softmax: x - max - log(sum exp(x - max))) over one axis (opset >= 13), or
// over the flattened trailing block [axis:] when legacy2D (opsets < 13 coerce the input to
// 2-D at `axis`).
Outputs softmax(const KernelCall& c, bool log) {
  const SoftmaxAttrs& at = c.node.as<SoftmaxAttrs>();
  const Tensor& X = c.input(0);
  AxisSplit s;
  if (at.legacy2D) {
    const int64_t axis = normalizeAxis(c, at.axis, X.rank(), "axis", /*inclusiveEnd=*/true);
    for (int64_t i = 0; i < X.rank(); ++i) (i < axis ? s.outer : s.axis) *= X.dims[i];
  } else {
    s = splitAt(X.dims, normalizeAxis(c, at.axis, X.rank(), "axis"));
  }
  return visitFloat(c, 0, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor Y(X.dtype, X.dims);
    auto x = X.data<T>();
    auto y = Y.data<T>();
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t in = 0; in < s.inner; ++in) {
        const int64_t base = o * s.axis * s.inner + in;
        auto at = [&](int64_t k) { return base + k * s.inner; };
        T mx = -std::numeric_limits<T>::infinity();
        for (int64_t k = 0; k < s.axis; ++k) mx = std::max(mx, x[at(k)]);
        T sum = 0;
        for (int64_t k = 0; k < s.axis; ++k) sum += (y[at(k)] = std::exp(x[at(k)] - mx));
        if (log) {
          const T logSum = std::log(sum);
          for (int64_t k = 0; k < s.axis; ++k) y[at(k)] = x[at(k)] - mx - logSum;
        } else {
          for (int64_t k = 0; k < s.axis; ++k) y[at(k)] /= sum;
        }
      }
    return Outputs{std::move(Y)};
  });
}

}  // namespace

Outputs evalSoftmax(const KernelCall& c) { return softmax(c, false); }
Outputs evalLogSoftmax(const KernelCall& c) { return softmax(c, true); }

}  // namespace kiln::eval
