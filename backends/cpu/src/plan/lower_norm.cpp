// BatchNormalization (inference and training mode) and kiln.BatchNormTraining: per-channel
// batch statistics as two reduction kernels (mean, then the sum of squared deviations, the
// same two-pass scheme as the reference), the normalisation as one elementwise kernel.
#include "plan/lower.h"

namespace kiln::cpu {

namespace {

struct BatchStats {
  int mean = -1, m2 = -1;  ///< buffers of [groups] elements
  Poly count;              ///< elements per group
};

// Statistics of input 0 per index along `axis` (or over the whole tensor).
BatchStats batchStats(LowerCtx& c, size_t axis, bool whole) {
  const std::vector<Poly> s = c.shape(0);
  BatchStats st;
  const std::vector<Poly> groups{whole ? Poly(1) : s[axis]};
  std::vector<Poly> extents;
  std::vector<Expr> xi;
  for (size_t d = 0; d < s.size(); ++d) {
    if (d == axis && !whole) {
      xi.push_back(var(0));
    } else {
      xi.push_back(var(static_cast<int>(1 + extents.size())));
      extents.push_back(s[d]);
    }
  }
  st.count = product(extents);
  st.mean = c.temp("mean", groups);
  st.m2 = c.temp("m2", groups);
  const Expr x = c.ldIn(0, xi);
  Kernel km{.domain = groups, .reduce = Reduction{ReduceKind::Sum, extents, x},
            .value = div(acc(), cast(EType::F32, size(st.count))), .out = st.mean};
  c.kernel("mean", std::move(km));
  const Expr d = sub(x, load(st.mean, EType::F32, {var(0)}));
  Kernel kv{.domain = groups, .reduce = Reduction{ReduceKind::Sum, extents, mul(d, d)},
            .value = acc(), .out = st.m2};
  c.kernel("m2", std::move(kv));
  return st;
}

Expr variance(const BatchStats& st, Expr g, bool unbiased) {
  const Poly n = unbiased ? st.count - Poly(1) : st.count;
  return div(load(st.m2, EType::F32, {std::move(g)}), cast(EType::F32, size(n)));
}

// y = act(scale[ch] * (x - mean(g)) / sqrt(var(g) + eps) + bias[ch]) over x's shape.
void normalize(LowerCtx& c, size_t axis, const std::function<Expr(Expr ch)>& mean,
               const std::function<Expr(Expr ch)>& var, double eps, const ActivationAttrs& act) {
  const std::vector<Poly> s = c.shape(0);
  const int out = c.output(0, s);
  c.elementwise("", out, s, [&](const std::vector<Expr>& v) {
    const Expr ch = v[axis];
    const Expr xhat = div(sub(c.ldIn(0, v), mean(ch)), unary(EOp::Sqrt, add(var(ch), constF(eps))));
    return applyActivation(act, add(mul(c.ldChannel(1, ch), xhat), c.ldChannel(2, ch)));
  });
}

// Output o = running * momentum + batch * (1 - momentum), over running's shape.
void runningUpdate(LowerCtx& c, size_t o, size_t runningInput, double momentum,
                   const std::function<Expr(Expr)>& batch) {
  if (!c.wantsOutput(o)) return;
  if (!c.has(runningInput)) c.unsupported("running statistics outputs need the running inputs");
  const std::vector<Poly> s = c.shape(runningInput);
  const int out = c.output(o, s);
  c.elementwise("running" + std::to_string(o), out, s, [&](const std::vector<Expr>& v) {
    return add(mul(c.ldIn(runningInput, v), constF(momentum)), mul(batch(v[0]), constF(1.0 - momentum)));
  });
}

}  // namespace

void lowerBatchNormalization(LowerCtx& c) {
  const BatchNormAttrs& at = c.node.as<BatchNormAttrs>();
  if (c.rank(0) < 2) c.unsupported("input must have rank >= 2");
  if (!at.trainingMode) {
    normalize(c, 1, [&](Expr ch) { return c.ldChannel(3, ch); },
              [&](Expr ch) { return c.ldChannel(4, ch); }, at.epsilon, {});
    for (size_t o = 1; o <= 2; ++o)
      if (c.wantsOutput(o)) c.alias(o, c.in(o + 2), c.shape(o + 2));
    return;
  }
  const BatchStats st = batchStats(c, 1, false);
  normalize(c, 1, [&](Expr ch) { return load(st.mean, EType::F32, {ch}); },
            [&](Expr ch) { return variance(st, ch, false); }, at.epsilon, {});
  runningUpdate(c, 1, 3, at.momentum, [&](Expr g) { return load(st.mean, EType::F32, {g}); });
  runningUpdate(c, 2, 4, at.momentum, [&](Expr g) { return variance(st, g, false); });
}

// See BatchNormTrainingAttrs (attrs.h) for the formula.
void lowerBatchNormTraining(LowerCtx& c) {
  const BatchNormTrainingAttrs& at = c.node.as<BatchNormTrainingAttrs>();
  const int64_t r = static_cast<int64_t>(c.rank(0));
  const int64_t axis = at.axis < 0 ? at.axis + r : at.axis;
  if (r < 2 || axis < 0 || axis >= r) c.unsupported("channel axis out of range");
  const BatchStats st = batchStats(c, static_cast<size_t>(axis), at.wholeTensor);
  auto group = [&](Expr ch) { return at.wholeTensor ? constI(0) : ch; };
  normalize(c, static_cast<size_t>(axis), [&](Expr ch) { return load(st.mean, EType::F32, {group(ch)}); },
            [&](Expr ch) { return variance(st, group(ch), at.unbiasedVar); }, at.epsilon,
            at.activation);
  runningUpdate(c, 1, 3, at.momentum, [&](Expr g) { return load(st.mean, EType::F32, {group(g)}); });
  runningUpdate(c, 2, 4, at.momentum,
                [&](Expr g) { return variance(st, group(g), at.unbiasedRunningVar); });
}

}  // namespace kiln::cpu
