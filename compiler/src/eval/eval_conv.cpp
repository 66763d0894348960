// Conv and ConvTranspose, N-D with groups, strides, pads, dilations (and output_padding /
// output_shape for ConvTranspose).
#include <algorithm>

#include "eval_kernels.h"
#include "eval_window.h"

namespace kiln::eval {

namespace {

std::string dimsStr(const std::vector<int64_t>& d) { return shapeToString(shapeOf(d)); }

// Shared checks: X [N, C, spatial...], W of the same rank, B of `biasCount` elements.
void checkConvOperands(const KernelCall& c, int64_t group) {
  const Tensor& X = c.input(0);
  const Tensor& W = c.input(1);
  requireSameDtype(c, 0, 1);
  if (c.optional(2)) requireSameDtype(c, 0, 2);
  if (X.rank() < 3) c.fail("input X must have rank >= 3 ([N,C,spatial...]), got " + dimsStr(X.dims));
  if (W.rank() != X.rank())
    c.fail("weight W " + dimsStr(W.dims) + " must have the rank of X " + dimsStr(X.dims));
  if (group < 1) c.fail("group " + std::to_string(group) + " must be >= 1");
}

std::vector<int64_t> spatialOf(const std::vector<int64_t>& dims) {
  return {dims.begin() + 2, dims.end()};
}

// The kernel_shape attribute, when set, must agree with W.
std::vector<int64_t> kernelOf(const KernelCall& c, const ConvAttrs& at, const Tensor& W) {
  std::vector<int64_t> k = spatialOf(W.dims);
  if (!at.kernelShape.empty() && at.kernelShape != k)
    c.fail("kernel_shape " + dimsStr(at.kernelShape) + " does not match weight " + dimsStr(W.dims));
  return k;
}

}  // namespace

// y[n, m, o] = B[m] + sum_{c in group(m), k} x[n, c, o*s - pb + k*d] * w[m, c, k]
Outputs evalConv(const KernelCall& c) {
  const ConvAttrs& at = c.node.as<ConvAttrs>();
  checkConvOperands(c, at.group);
  const Tensor& X = c.input(0);
  const Tensor& W = c.input(1);
  const Tensor* B = c.optional(2);
  const int64_t N = X.dims[0], C = X.dims[1], M = W.dims[0], G = at.group;
  if (C != W.dims[1] * G || M % G != 0)
    c.fail("input channels " + std::to_string(C) + " do not match weight " + dimsStr(W.dims) +
           " with group " + std::to_string(G));
  if (B) requireCount(c, 2, M, "bias");
  const Window w = resolveWindow(
      c, spatialOf(X.dims),
      {kernelOf(c, at, W), at.strides, at.pads, at.dilations, at.autoPad, false});
  std::vector<int64_t> outDims{N, M};
  outDims.insert(outDims.end(), w.out.begin(), w.out.end());

  return visitFloat(c, 0, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor Y = makeTensor(c, X.dtype, outDims);
    const T* x = X.data<T>().data();
    const T* wt = W.data<T>().data();
    T* y = Y.data<T>().data();
    const int64_t Cg = C / G, Mg = M / G, inPlane = w.inCount(), outPlane = w.outCount(),
                  kSize = w.kernelCount();
    std::vector<Tap> taps;
    for (int64_t o = 0; o < outPlane; ++o) {
      windowTaps(w, o, taps);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m) {
          const int64_t g = m / Mg;
          T acc = B ? B->data<T>()[m] : T(0);
          for (int64_t ci = 0; ci < Cg; ++ci) {
            const T* xp = x + (n * C + g * Cg + ci) * inPlane;
            const T* wp = wt + (m * Cg + ci) * kSize;
            for (const Tap& t : taps) acc += xp[t.input] * wp[t.kernel];
          }
          y[(n * M + m) * outPlane + o] = acc;
        }
    }
    return Outputs{std::move(Y)};
  });
}

// ConvTranspose is the adjoint of Conv: every x[n, c, i] scatters x * w[c, m, k] into
// y[n, m, i*s - pb + k*d]. The output extent per axis is
//   out = s*(in-1) + output_padding + (k-1)*d + 1 - pb - pe,
// or output_shape, in which case the pads follow from
//   total = s*(in-1) + output_padding + (k-1)*d + 1 - output_shape
// split as total/2 at the beginning for SAME_UPPER, and the larger half first otherwise.
Outputs evalConvTranspose(const KernelCall& c) {
  const ConvAttrs& at = c.node.as<ConvAttrs>();
  checkConvOperands(c, at.group);
  const Tensor& X = c.input(0);
  const Tensor& W = c.input(1);
  const Tensor* B = c.optional(2);
  const int64_t N = X.dims[0], C = X.dims[1], G = at.group;
  if (W.dims[0] != C || C % G != 0)
    c.fail("input channels " + std::to_string(C) + " do not match weight " + dimsStr(W.dims) +
           " with group " + std::to_string(G));
  const int64_t M = W.dims[1] * G;
  if (B) requireCount(c, 2, M, "bias");

  const std::vector<int64_t> inSpatial = spatialOf(X.dims);
  const size_t rank = inSpatial.size();
  WindowAttrs a{kernelOf(c, at, W), at.strides, at.pads, at.dilations, at.autoPad, false};
  normalizeWindowAttrs(c, rank, a);
  const std::vector<int64_t> outPad =
      at.outputPadding.empty() ? std::vector<int64_t>(rank, 0) : at.outputPadding;
  if (outPad.size() != rank) c.fail("output_padding " + dimsStr(outPad) + " has the wrong length");
  std::vector<int64_t> outShape = at.outputShape;
  if (outShape.size() == rank + 2) outShape.erase(outShape.begin(), outShape.begin() + 2);
  if (!outShape.empty() && outShape.size() != rank)
    c.fail("output_shape " + dimsStr(at.outputShape) + " has the wrong length");

  if (at.autoPad == AutoPad::Valid) std::fill(a.pads.begin(), a.pads.end(), 0);
  const bool padsGiven = std::any_of(a.pads.begin(), a.pads.end(), [](int64_t p) { return p != 0; });
  const bool same = at.autoPad == AutoPad::SameUpper || at.autoPad == AutoPad::SameLower;
  if (same && outShape.empty()) {
    outShape = inSpatial;
    for (size_t i = 0; i < rank; ++i) outShape[i] *= a.strides[i];
  }
  const bool derivePads = !outShape.empty() && (same || !padsGiven);

  Window w;
  w.out = inSpatial;  // the conv this is the adjoint of maps y-space to x-space
  w.kernel = a.kernel;
  w.strides = a.strides;
  w.dilations = a.dilations;
  w.padBegin.assign(a.pads.begin(), a.pads.begin() + rank);
  w.padEnd.assign(a.pads.begin() + rank, a.pads.end());
  w.in.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t natural =
        a.strides[i] * (inSpatial[i] - 1) + outPad[i] + (a.kernel[i] - 1) * a.dilations[i] + 1;
    if (derivePads) {
      const int64_t total = natural - outShape[i];
      const int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);  // floor(total / 2)
      w.padBegin[i] = at.autoPad == AutoPad::SameUpper ? half : total - half;
      w.padEnd[i] = total - w.padBegin[i];
    }
    w.in[i] = outShape.empty() ? natural - w.padBegin[i] - w.padEnd[i] : outShape[i];
    if (w.in[i] < 1)
      c.fail("output spatial extent " + std::to_string(w.in[i]) + " is not positive");
  }
  std::vector<int64_t> outDims{N, M};
  outDims.insert(outDims.end(), w.in.begin(), w.in.end());

  return visitFloat(c, 0, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor Y = makeTensor(c, X.dtype, outDims);
    const T* x = X.data<T>().data();
    const T* wt = W.data<T>().data();
    T* y = Y.data<T>().data();
    const int64_t Cg = C / G, Mg = M / G, inPlane = w.outCount(), outPlane = w.inCount(),
                  kSize = w.kernelCount();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t m = 0; m < M; ++m)
        std::fill(y + (n * M + m) * outPlane, y + (n * M + m + 1) * outPlane,
                  B ? B->data<T>()[m] : T(0));
    std::vector<Tap> taps;
    for (int64_t i = 0; i < inPlane; ++i) {
      windowTaps(w, i, taps);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t ci = 0; ci < C; ++ci) {
          const int64_t g = ci / Cg;
          const T xv = x[(n * C + ci) * inPlane + i];
          for (int64_t mi = 0; mi < Mg; ++mi) {
            const int64_t m = g * Mg + mi;
            const T* wp = wt + (ci * Mg + mi) * kSize;
            T* yp = y + (n * M + m) * outPlane;
            for (const Tap& t : taps) yp[t.input] += xv * wp[t.kernel];
          }
        }
    }
    return Outputs{std::move(Y)};
  });
}

}  // namespace kiln::eval
