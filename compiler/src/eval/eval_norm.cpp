// BatchNormalization (inference and training mode), kiln.ScaleShift and
// kiln.BatchNormTraining.
#include <cmath>

#include "eval_activation.h"
#include "eval_kernels.h"

namespace kiln::eval {

namespace {

// Calls f(flatIndex, channel) for every element of a tensor split around its channel axis.
template <typename F> void forEachChannel(const AxisSplit& s, F&& f) {
  int64_t i = 0;
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t ch = 0; ch < s.axis; ++ch)
      for (int64_t in = 0; in < s.inner; ++in) f(i++, ch);
}

// Batch statistics per channel (or one group for the whole tensor): mean and the sum of
// squared deviations from it (two passes, accumulated in T).
template <typename T> struct Stats {
  std::vector<T> mean, m2;
  int64_t count = 0;  ///< elements per group
  T var(int64_t g, bool unbiased) const {
    return m2[g] / static_cast<T>(unbiased ? count - 1 : count);
  }
};

template <typename T> Stats<T> batchStats(const T* x, const AxisSplit& s, bool whole) {
  Stats<T> st;
  const size_t groups = whole ? 1 : static_cast<size_t>(s.axis);
  st.mean.assign(groups, T(0));
  st.m2.assign(groups, T(0));
  st.count = s.outer * s.inner * (whole ? s.axis : 1);
  forEachChannel(s, [&](int64_t i, int64_t ch) { st.mean[whole ? 0 : ch] += x[i]; });
  for (T& m : st.mean) m /= static_cast<T>(st.count);
  forEachChannel(s, [&](int64_t i, int64_t ch) {
    const T d = x[i] - st.mean[whole ? 0 : ch];
    st.m2[whole ? 0 : ch] += d * d;
  });
  return st;
}

// y = act(scale[c] * (x - mean[g]) / sqrt(var[g] + eps) + bias[c]); g = c, or 0 when the
// statistics are per tensor. `param(i, c)` reads per-channel input i.
template <typename T, typename Param>
Tensor normalize(const Tensor& X, const AxisSplit& s, const std::vector<T>& mean,
                 const std::vector<T>& var, double eps, Param param,
                 const ActivationAttrs& act) {
  Tensor Y(X.dtype, X.dims);
  const T* x = X.data<T>().data();
  T* y = Y.data<T>().data();
  std::vector<T> denom(var.size());
  for (size_t g = 0; g < var.size(); ++g) denom[g] = std::sqrt(var[g] + static_cast<T>(eps));
  forEachChannel(s, [&](int64_t i, int64_t ch) {
    const size_t g = mean.size() == 1 ? 0 : static_cast<size_t>(ch);
    y[i] = activate(act, param(1, ch) * (x[i] - mean[g]) / denom[g] + param(2, ch));
  });
  return Y;
}

// Per-channel parameter inputs [first, last] must hold C elements (or one, broadcast) of X's
// dtype.
void checkParams(const KernelCall& c, size_t first, size_t last, int64_t channels,
                 bool allowScalar) {
  for (size_t i = first; i <= last; ++i) {
    if (!c.optional(i)) continue;
    requireSameDtype(c, 0, i);
    if (!(allowScalar && c.input(i).size() == 1)) requireCount(c, i, channels, "per-channel");
  }
}

template <typename T> T paramAt(const Tensor& t, int64_t ch) {
  return t.data<T>()[t.size() == 1 ? 0 : ch];
}

// running' = running * momentum + batch * (1 - momentum), per statistics group.
template <typename T>
Tensor updateRunning(const Tensor& running, const std::vector<T>& batch, double momentum) {
  Tensor out(running.dtype, running.dims);
  auto r = running.data<T>();
  auto o = out.data<T>();
  const T m = static_cast<T>(momentum);
  for (size_t i = 0; i < o.size(); ++i)
    o[i] = r[i] * m + batch[batch.size() == 1 ? 0 : i] * (T(1) - m);
  return out;
}

AxisSplit channelSplit(const KernelCall& c, int64_t axis) {
  const Tensor& X = c.input(0);
  if (X.rank() < 2)
    c.fail("input X must have rank >= 2 ([N,C,...]), got " + shapeToString(shapeOf(X.dims)));
  return splitAt(X.dims, normalizeAxis(c, axis, X.rank(), "axis"));
}

}  // namespace

// Inference: y = scale * (x - mean) / sqrt(var + eps) + B with channel axis 1.
// Training mode: mean/var are the batch mean and population variance over all axes but 1,
// and outputs 1, 2 are running_mean * momentum + batch_mean * (1 - momentum) (same for var).
Outputs evalBatchNormalization(const KernelCall& c) {
  const BatchNormAttrs& at = c.node.as<BatchNormAttrs>();
  const Tensor& X = c.input(0);
  const AxisSplit s = channelSplit(c, 1);
  checkParams(c, 1, 4, s.axis, false);
  return visitFloat(c, 0, X.dtype, [&](auto tag) -> Outputs {
    using T = decltype(tag);
    auto param = [&](size_t i, int64_t ch) { return c.input(i).data<T>()[ch]; };
    const auto inMean = c.input(3).data<T>(), inVar = c.input(4).data<T>();
    std::vector<T> mean(inMean.begin(), inMean.end()), var(inVar.begin(), inVar.end());
    if (!at.trainingMode) {
      Outputs out{normalize<T>(X, s, mean, var, at.epsilon, param, {})};
      // Inference mode with extra outputs (old opsets): statistics pass through.
      if (c.wantsOutput(1)) out.push_back(c.input(3));
      if (c.wantsOutput(2)) out.push_back(c.input(4));
      return out;
    }
    const Stats<T> st = batchStats(X.data<T>().data(), s, false);
    std::vector<T> batchVar(st.mean.size());
    for (size_t g = 0; g < batchVar.size(); ++g) batchVar[g] = st.var(g, false);
    return {normalize<T>(X, s, st.mean, batchVar, at.epsilon, param, {}),
            updateRunning<T>(c.input(3), st.mean, at.momentum),
            updateRunning<T>(c.input(4), batchVar, at.momentum)};
  });
}

// y = x * scale[c] + shift[c], c the index along attrs.axis.
Outputs evalScaleShift(const KernelCall& c) {
  const Tensor& X = c.input(0);
  const AxisSplit s = channelSplit(c, c.node.as<ScaleShiftAttrs>().axis);
  checkParams(c, 1, 2, s.axis, true);
  return visitFloat(c, 0, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor Y(X.dtype, X.dims);
    const T* x = X.data<T>().data();
    T* y = Y.data<T>().data();
    forEachChannel(s, [&](int64_t i, int64_t ch) {
      y[i] = x[i] * paramAt<T>(c.input(1), ch) + paramAt<T>(c.input(2), ch);
    });
    return Outputs{std::move(Y)};
  });
}

// See BatchNormTrainingAttrs in attrs.h for the formula.
Outputs evalBatchNormTraining(const KernelCall& c) {
  const BatchNormTrainingAttrs& at = c.node.as<BatchNormTrainingAttrs>();
  const Tensor& X = c.input(0);
  const AxisSplit s = channelSplit(c, at.axis);
  checkParams(c, 1, 2, s.axis, true);
  const int64_t groups = at.wholeTensor ? 1 : s.axis;
  for (size_t i = 3; i <= 4; ++i)
    if (c.optional(i)) {
      requireSameDtype(c, 0, i);
      if (c.input(i).size() != groups && !(at.wholeTensor && c.input(i).size() == s.axis))
        requireCount(c, i, groups, "running statistics");
    }
  return visitFloat(c, 0, X.dtype, [&](auto tag) -> Outputs {
    using T = decltype(tag);
    const Stats<T> st = batchStats(X.data<T>().data(), s, at.wholeTensor);
    if (st.count < 2 && (at.unbiasedVar || at.unbiasedRunningVar))
      c.fail("unbiased variance needs at least 2 elements per channel, got " +
                 std::to_string(st.count),
             ErrorCode::InvalidInput);
    std::vector<T> var(st.mean.size()), runVar(st.mean.size());
    for (size_t g = 0; g < var.size(); ++g) {
      var[g] = st.var(g, at.unbiasedVar);
      runVar[g] = st.var(g, at.unbiasedRunningVar);
    }
    auto param = [&](size_t i, int64_t ch) { return paramAt<T>(c.input(i), ch); };
    Outputs out{normalize<T>(X, s, st.mean, var, at.epsilon, param, at.activation)};
    const bool wantMean = c.wantsOutput(1), wantVar = c.wantsOutput(2);
    if ((wantMean && !c.optional(3)) || (wantVar && !c.optional(4)))
      c.fail("running statistics outputs need the running_mean and running_var inputs");
    out.push_back(wantMean ? updateRunning<T>(c.input(3), st.mean, at.momentum) : Tensor{});
    out.push_back(wantVar ? updateRunning<T>(c.input(4), runVar, at.momentum) : Tensor{});
    return out;
  });
}

// Per (n, c): mean and population variance over the spatial elements, then the affine.
Outputs evalInstanceNormalization(const KernelCall& c) {
  const Tensor& X = c.input(0);
  if (X.rank() < 2) c.fail("input must have rank >= 2");
  const double eps = c.node.as<InstanceNormAttrs>().epsilon;
  const AxisSplit s = splitAt(X.dims, 1);
  requireSameDtype(c, 0, 1);
  requireSameDtype(c, 0, 2);
  requireCount(c, 1, s.axis, "scale");
  requireCount(c, 2, s.axis, "B");
  return visitFloat(c, 0, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor Y(X.dtype, X.dims);
    auto x = X.data<T>();
    auto y = Y.data<T>();
    auto scale = c.input(1).data<T>();
    auto bias = c.input(2).data<T>();
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t ch = 0; ch < s.axis; ++ch) {
        const int64_t base = (o * s.axis + ch) * s.inner;
        T mean = 0, var = 0;
        for (int64_t i = 0; i < s.inner; ++i) mean += x[base + i];
        mean /= static_cast<T>(s.inner);
        for (int64_t i = 0; i < s.inner; ++i) var += (x[base + i] - mean) * (x[base + i] - mean);
        var /= static_cast<T>(s.inner);
        const T inv = T(1) / std::sqrt(var + static_cast<T>(eps));
        for (int64_t i = 0; i < s.inner; ++i) y[base + i] = scale[ch] * (x[base + i] - mean) * inv + bias[ch];
      }
    return Outputs{std::move(Y)};
  });
}

Outputs evalLRN(const KernelCall& c) {
  const Tensor& X = c.input(0);
  if (X.rank() < 2) c.fail("input must have rank >= 2");
  const LrnAttrs& a = c.node.as<LrnAttrs>();
  const AxisSplit s = splitAt(X.dims, 1);
  const int64_t lo = (a.size - 1) / 2, hi = a.size - 1 - lo;
  return visitFloat(c, 0, X.dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor Y(X.dtype, X.dims);
    auto x = X.data<T>();
    auto y = Y.data<T>();
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t ch = 0; ch < s.axis; ++ch)
        for (int64_t i = 0; i < s.inner; ++i) {
          T sq = 0;
          for (int64_t k = std::max<int64_t>(0, ch - lo); k <= std::min(s.axis - 1, ch + hi); ++k) {
            const T v = x[(o * s.axis + k) * s.inner + i];
            sq += v * v;
          }
          const int64_t at = (o * s.axis + ch) * s.inner + i;
          y[at] = x[at] / std::pow(T(a.bias) + T(a.alpha) / T(a.size) * sq, T(a.beta));
        }
    return Outputs{std::move(Y)};
  });
}

}  // namespace kiln::eval
