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

// On the [N, C, S] view (S the spatial elements): a kernel for the mean over S, one for the
// population variance sum((x - mean)^2) / S, then the normalising elementwise kernel.
void lowerInstanceNormalization(LowerCtx& c) {
  const double eps = c.node.as<InstanceNormAttrs>().epsilon;
  const std::vector<Poly> s = c.shape(0);
  if (s.size() < 2) c.unsupported("input must have rank >= 2");
  const Poly spatial = product(std::span<const Poly>(s).subspan(2));
  const std::vector<Poly> view3{s[0], s[1], spatial}, view2{s[0], s[1]};
  const int x = c.view(c.in(0), view3);
  const DType dt = c.dtype(0);
  const EType t = valueType(dt);
  const int mean = c.temp("mean", view2, dt), vr = c.temp("var", view2, dt);
  const Expr n = var(0), ch = var(1), i = var(2);
  const Expr count = cast(t, size(spatial));
  const Expr xv = load(x, t, {n, ch, i});
  const Expr mv = load(mean, t, {n, ch});
  c.kernel("mean", Kernel{.domain = view2, .reduce = Reduction{ReduceKind::Sum, {spatial}, xv}, .value = div(acc(t), count), .out = mean});
  const Expr dev = sub(xv, mv);
  c.kernel("var", Kernel{.domain = view2, .reduce = Reduction{ReduceKind::Sum, {spatial}, mul(dev, dev)}, .value = div(acc(t), count), .out = vr});
  const int y = c.output(0, s);
  Kernel k;
  k.domain = view3;
  const Expr xhat = div(dev, unary(EOp::Sqrt, add(load(vr, t, {n, ch}), constF(eps))));
  k.value = add(mul(c.ldChannel(1, ch), xhat), c.ldChannel(2, ch));
  k.out = c.view(y, view3);
  c.kernel("norm", std::move(k));
}

// The channel window is unrolled (size taps, each guarded at the channel edges).
void lowerLRN(LowerCtx& c) {
  const LrnAttrs& a = c.node.as<LrnAttrs>();
  constexpr int64_t kMaxTaps = 64;
  if (a.size > kMaxTaps) c.unsupported("size > 64");
  const std::vector<Poly> s = c.shape(0);
  if (s.size() < 2) c.unsupported("input must have rank >= 2");
  const int64_t lo = (a.size - 1) / 2;
  const int y = c.output(0, s);
  c.elementwise("", y, s, [&](const std::vector<Expr>& v) {
    const Expr zero = constF(0);
    Expr sq = zero;
    for (int64_t k = 0; k < a.size; ++k) {
      std::vector<Expr> idx = v;
      idx[1] = add(v[1], constI(k - lo));
      const Expr xv = c.ldIn(0, idx);
      sq = add(sq, select(inRange(idx[1], size(s[1])), mul(xv, xv), zero));
    }
    const Expr base = add(constF(a.bias), mul(constF(static_cast<double>(a.alpha) / static_cast<double>(a.size)), sq));
    return div(c.ldIn(0, v), binary(EOp::Pow, base, constF(a.beta)));
  });
}

}  // namespace kiln::plan
