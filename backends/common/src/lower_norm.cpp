// BatchNormalization (inference and training mode) and kiln.BatchNormTraining. Training mode:
// one pass over the input sums x and x*x per group in double (MomentSums), a small kernel
// turns the sums into mean and M2, then one elementwise kernel normalises, applies scale,
// shift and activation; the running statistics are elementwise kernels over the channels.
// Fusion (plan/fuse.cpp) moves the summing pass into the input's producer where it can.
#include "lower.h"

namespace kiln::plan {

namespace {

struct BatchStats {
  int moments = -1;  ///< [2, groups] of the input's type: mean, then M2 (sum of squared deviations)
  EType type = EType::F32;  ///< the value type of `moments`
  Poly count;        ///< elements per group
};

// Partial sums: one per 16 elements of a group, at most the target's maxPartials. They are the parallel
// iterations of the summing kernel (enough to split it over the threads) and take 16 bytes
// per group against the 64 of those 16 elements: at most a quarter of the data.
Expr partialsFor(const Poly& count, int64_t maxPartials) {
  return minE(maxE(floorDiv(size(count), constI(16)), constI(1)), constI(maxPartials));
}

// Statistics of input 0 per index along `axis` (or over the whole tensor): a kernel over x
// that only accumulates the sums, then the Finalize kernel.
BatchStats batchStats(LowerCtx& c, size_t axis, bool whole) {
  const std::vector<Poly> s = c.shape(0);
  const Poly groups = whole ? Poly(1) : s[axis];
  BatchStats st;
  st.count = Poly(1);
  for (size_t d = 0; d < s.size(); ++d)
    if (whole || d != axis) st.count = st.count * s[d];
  st.moments = c.temp("moments", {Poly(2), groups}, c.dtype(0));
  st.type = valueType(c.dtype(0));
  MomentSums m{.buf = c.temp("sums", {Poly(c.prog.maxPartials), Poly(2), groups}, DType::F64),
               .group = whole ? constI(0) : var(static_cast<int>(axis)),
               .partials = partialsFor(st.count, c.prog.maxPartials),
               .count = st.count};
  c.kernel("stats", Kernel{.domain = s, .value = c.ldIn(0, vars(s.size())), .out = -1, .moments = m});
  m.step = MomentSums::Step::Finalize;
  c.kernel("moments", Kernel{.domain = {groups}, .out = st.moments, .moments = m});
  return st;
}

Expr batchMean(const BatchStats& st, Expr g) { return load(st.moments, st.type, {constI(0), std::move(g)}); }

Expr variance(const BatchStats& st, Expr g, bool unbiased) {
  const Poly n = unbiased ? st.count - Poly(1) : st.count;
  return div(load(st.moments, st.type, {constI(1), std::move(g)}), cast(st.type, size(n)));
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
  normalize(c, 1, [&](Expr ch) { return batchMean(st, ch); }, [&](Expr ch) { return variance(st, ch, false); },
            at.epsilon, {});
  runningUpdate(c, 1, 3, at.momentum, [&](Expr g) { return batchMean(st, g); });
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
  normalize(c, static_cast<size_t>(axis), [&](Expr ch) { return batchMean(st, group(ch)); },
            [&](Expr ch) { return variance(st, group(ch), at.unbiasedVar); }, at.epsilon,
            at.activation);
  runningUpdate(c, 1, 3, at.momentum, [&](Expr g) { return batchMean(st, group(g)); });
  runningUpdate(c, 2, 4, at.momentum,
                [&](Expr g) { return variance(st, group(g), at.unbiasedRunningVar); });
}

}  // namespace kiln::plan
