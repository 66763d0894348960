// ReduceMean and Softmax.
#include <cmath>

#include "eval_kernels.h"

namespace kiln::eval {

// Mean over `axes` (input 1). Absent/empty axes: all axes, or identity when
// noop_with_empty_axes.
Outputs evalReduceMean(const KernelCall& c) {
  const ReduceAttrs& at = c.node.as<ReduceAttrs>();
  const Tensor& X = c.input(0);
  const int64_t rank = X.rank();
  std::vector<int64_t> axes = c.optional(1) ? readInts(c, 1) : std::vector<int64_t>{};
  if (axes.empty() && at.noopWithEmptyAxes) return {X};

  std::vector<bool> reduce(rank, axes.empty());
  for (int64_t a : axes) {
    const int64_t n = normalizeAxis(c, a, rank, "axis");
    if (reduce[n]) c.fail("axis " + std::to_string(a) + " is listed twice");
    reduce[n] = true;
  }
  std::vector<int64_t> kept = X.dims, outDims;
  int64_t count = 1;
  for (int64_t i = 0; i < rank; ++i) {
    if (reduce[i]) count *= X.dims[i], kept[i] = 1;
    if (!reduce[i] || at.keepDims) outDims.push_back(kept[i]);
  }

  return visitFloat(c, 0, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor Y(X.dtype, outDims);
    auto x = X.data<T>();
    auto y = Y.data<T>();
    // Walk the input in order; each element adds to the output cell its kept index maps to.
    forEachBroadcast<1>(X.dims, {broadcastStrides(kept, X.dims)},
                        [&](int64_t i, const std::array<int64_t, 1>& off) { y[off[0]] += x[i]; });
    for (T& v : y) v /= static_cast<T>(count);
    return Outputs{std::move(Y)};
  });
}

// softmax over one axis (opset >= 13), or over the flattened trailing block [axis:] when
// legacy2D (opsets < 13 coerce the input to 2-D at `axis`).
Outputs evalSoftmax(const KernelCall& c) {
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
        for (int64_t k = 0; k < s.axis; ++k) y[at(k)] /= sum;
      }
    return Outputs{std::move(Y)};
  });
}

}  // namespace kiln::eval
