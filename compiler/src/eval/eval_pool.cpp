// MaxPool, AveragePool and GlobalAveragePool.
#include <cmath>

#include "eval_kernels.h"
#include "eval_window.h"

namespace kiln::eval {

namespace {

// Window geometry of a pool node over X [N, C, spatial...].
Window poolWindow(const KernelCall& c) {
  const PoolAttrs& at = c.node.as<PoolAttrs>();
  const Tensor& X = c.input(0);
  if (X.rank() < 3)
    c.fail("input X must have rank >= 3 ([N,C,spatial...]), got " +
           shapeToString(shapeOf(X.dims)));
  if (at.kernelShape.empty()) c.fail("kernel_shape is required");
  return resolveWindow(c, {X.dims.begin() + 2, X.dims.end()},
                       {at.kernelShape, at.strides, at.pads, at.dilations, at.autoPad,
                        at.ceilMode});
}

// y[n, c, o] = reduce(plane of x[n, c], taps of window o, taps inside the padded input).
template <typename T, typename Reduce>
Outputs pool(const KernelCall& c, const Window& w, Reduce reduce) {
  const Tensor& X = c.input(0);
  std::vector<int64_t> outDims{X.dims[0], X.dims[1]};
  outDims.insert(outDims.end(), w.out.begin(), w.out.end());
  Tensor Y = makeTensor(c, X.dtype, outDims);
  const T* x = X.data<T>().data();
  T* y = Y.data<T>().data();
  const int64_t planes = X.dims[0] * X.dims[1], inPlane = w.inCount(), outPlane = w.outCount();
  std::vector<Tap> taps;
  int64_t padded = 0;
  for (int64_t o = 0; o < outPlane; ++o) {
    windowTaps(w, o, taps, &padded);
    for (int64_t p = 0; p < planes; ++p) y[p * outPlane + o] = reduce(x + p * inPlane, taps, padded);
  }
  return {std::move(Y)};
}

}  // namespace

// Padded cells never win; NaN in the window propagates.
Outputs evalMaxPool(const KernelCall& c) {
  const Window w = poolWindow(c);
  return visitNumeric(c, 0, c.input(0).dtype, [&](auto tag) {
    using T = decltype(tag);
    return pool<T>(c, w, [](const T* x, const std::vector<Tap>& taps, int64_t) {
      T m = std::numeric_limits<T>::lowest();
      if constexpr (std::numeric_limits<T>::has_infinity) m = -std::numeric_limits<T>::infinity();
      for (const Tap& t : taps) {
        const T v = x[t.input];
        if constexpr (std::is_floating_point_v<T>)
          if (std::isnan(v)) return v;
        if (v > m) m = v;
      }
      return m;
    });
  });
}

// Divisor: the number of in-bounds cells (count_include_pad=0), or the whole kernel
// (count_include_pad=1). The latter follows the ONNX reference, which also counts cells of
// ceil_mode windows that run past the padded end (test_averagepool_3d_dilations_large_
// count_include_pad_is_1_ceil_mode_is_True).
Outputs evalAveragePool(const KernelCall& c) {
  const Window w = poolWindow(c);
  const bool includePad = c.node.as<PoolAttrs>().countIncludePad;
  const int64_t kernelCount = w.kernelCount();
  return visitFloat(c, 0, c.input(0).dtype, [&](auto tag) {
    using T = decltype(tag);
    return pool<T>(c, w, [&](const T* x, const std::vector<Tap>& taps, int64_t) {
      T sum = 0;
      for (const Tap& t : taps) sum += x[t.input];
      const int64_t n = includePad ? kernelCount : static_cast<int64_t>(taps.size());
      return n ? sum / static_cast<T>(n) : T(0);
    });
  });
}

Outputs evalGlobalAveragePool(const KernelCall& c) {
  const Tensor& X = c.input(0);
  if (X.rank() < 2)
    c.fail("input X must have rank >= 2 ([N,C,spatial...]), got " + shapeToString(shapeOf(X.dims)));
  std::vector<int64_t> outDims = X.dims;
  int64_t plane = 1;
  for (size_t i = 2; i < outDims.size(); ++i) plane *= outDims[i], outDims[i] = 1;
  return visitFloat(c, 0, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor Y(X.dtype, outDims);
    auto x = X.data<T>();
    auto y = Y.data<T>();
    for (size_t p = 0; p < y.size(); ++p) {
      T sum = 0;
      for (int64_t i = 0; i < plane; ++i) sum += x[p * plane + i];
      y[p] = plane ? sum / static_cast<T>(plane) : T(0);
    }
    return Outputs{std::move(Y)};
  });
}

}  // namespace kiln::eval
