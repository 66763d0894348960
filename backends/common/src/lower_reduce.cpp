// ReduceMean, ReduceSum, ReduceProd, Softmax and LogSoftmax.
#include <algorithm>
#include <limits>
#include <optional>

#include "lower.h"

namespace kiln::plan {

namespace {

// The reduced axes of a Reduce* node (input 1; absent/empty: all axes); nullopt when the node
// is the identity (noop_with_empty_axes).
std::optional<std::vector<bool>> reducedAxes(LowerCtx& c, size_t rank) {
  const ReduceAttrs& at = c.node.as<ReduceAttrs>();
  const std::vector<int64_t> axes = c.has(1) ? c.constInts(1) : std::vector<int64_t>{};
  if (axes.empty() && at.noopWithEmptyAxes) return std::nullopt;
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes) reduced.at(static_cast<size_t>(a < 0 ? a + static_cast<int64_t>(rank) : a)) = true;
  return reduced;
}

// Sum (or mean) over `axes` (input 1; absent/empty: all axes, or identity when
// noop_with_empty_axes) as one reduction kernel.
void reduceSum(LowerCtx& c, bool mean) {
  const ReduceAttrs& at = c.node.as<ReduceAttrs>();
  const std::vector<Poly> s = c.shape(0);
  const std::optional<std::vector<bool>> axes = reducedAxes(c, s.size());
  if (!axes) return c.alias(0, c.in(0), s);
  const std::vector<bool>& reduced = *axes;

  Kernel k;
  std::vector<Poly> extents;
  std::vector<Expr> xi;
  const size_t outRank = at.keepDims ? s.size() : static_cast<size_t>(std::count(reduced.begin(), reduced.end(), false));
  int next = 0;
  for (size_t d = 0; d < s.size(); ++d) {
    if (reduced[d]) {
      xi.push_back(var(static_cast<int>(outRank + extents.size())));
      extents.push_back(s[d]);
      if (at.keepDims) k.domain.emplace_back(1), ++next;
    } else {
      xi.push_back(var(next++));
      k.domain.push_back(s[d]);
    }
  }
  k.reduce = Reduction{ReduceKind::Sum, extents, c.ldIn(0, xi)};
  const EType t = k.reduce->body->type;
  // An integer mean truncates toward zero (numpy's mean cast back to the integer type); an
  // empty reduction gives 0 rather than dividing by zero.
  const Expr count = size(product(extents));
  k.value = !mean ? acc(t) : isFloatE(t) ? div(acc(t), cast(EType::F32, count)) : div(acc(t), maxE(count, constI(1)));
  k.out = c.output(0, k.domain);
  c.kernel("", std::move(k));
}

}  // namespace

void lowerReduceMean(LowerCtx& c) { reduceSum(c, true); }
void lowerReduceSum(LowerCtx& c) { reduceSum(c, false); }

// Product over `axes` for float and integer tensors (Shape -> ReduceProd counts the elements
// in exported graphs). The reduced extents must be known and small: the product is unrolled
// into the element expression.
void lowerReduceProd(LowerCtx& c) {
  constexpr int64_t kMaxUnrolled = 64;
  const ReduceAttrs& at = c.node.as<ReduceAttrs>();
  const std::vector<Poly> s = c.shape(0);
  const std::optional<std::vector<bool>> axes = reducedAxes(c, s.size());
  if (!axes) return c.alias(0, c.in(0), s);
  const std::vector<bool>& reduced = *axes;
  std::vector<Poly> domain;
  std::vector<int64_t> extents;
  for (size_t d = 0; d < s.size(); ++d) {
    if (!reduced[d]) {
      domain.push_back(s[d]);
    } else {
      if (!s[d].isConst()) c.unsupported("reduced dims must be known");
      extents.push_back(s[d].constValue());
      if (at.keepDims) domain.emplace_back(1);
    }
  }
  int64_t count = 1;
  for (int64_t e : extents) count *= e;
  if (count > kMaxUnrolled) c.unsupported("more than 64 reduced elements");
  const int x = c.in(0);
  const int y = c.output(0, domain, c.dtype(0));
  c.elementwise("", y, domain, [&](const std::vector<Expr>& v) {
    Expr prod = isFloat(c.dtype(0)) ? constF(1) : constI(1);
    for (int64_t i = 0; i < count; ++i) {
      std::vector<Expr> xi;
      int64_t rest = i;
      size_t next = 0, red = 0;
      std::vector<int64_t> pos(extents.size());
      for (size_t d = extents.size(); d-- > 0;) pos[d] = rest % extents[d], rest /= extents[d];
      for (size_t d = 0; d < s.size(); ++d) {
        if (reduced[d]) {
          xi.push_back(constI(pos[red++]));
          if (at.keepDims) ++next;
        } else {
          xi.push_back(v[next++]);
        }
      }
      prod = mul(prod, c.ld(x, xi));
    }
    return prod;
  });
}

namespace {

// Three kernels on the [outer, axis, inner] view: the max along the axis, the sum of
// exp(x - max), then exp(x - max) / sum (log: x - max - log(sum)). legacy2D (opset < 13)
// flattens [axis:] into one axis.
void softmax(LowerCtx& c, bool log) {
  const SoftmaxAttrs& at = c.node.as<SoftmaxAttrs>();
  const std::vector<Poly> s = c.shape(0);
  const int64_t r = static_cast<int64_t>(s.size());
  const int64_t axis = at.axis < 0 ? at.axis + r : at.axis;
  if (axis < 0 || axis >= std::max<int64_t>(r, 1)) c.unsupported("axis out of range");
  const std::span<const Poly> all(s);
  const Poly outer = product(all.first(axis));
  const Poly len = at.legacy2D ? product(all.subspan(axis)) : s[axis];
  const Poly inner = at.legacy2D ? Poly(1) : product(all.subspan(axis + 1));
  const std::vector<Poly> view3{outer, len, inner}, view2{outer, inner};
  const int x = c.view(c.in(0), view3);
  const DType dt = c.dtype(0);
  const EType t = valueType(dt);
  const int mx = c.temp("max", view2, dt), sum = c.temp("sum", view2, dt);
  const Expr o = var(0), i = var(1), a = var(2);
  const Expr xv = load(x, t, {o, a, i});
  const Expr shifted = unary(EOp::Exp, sub(xv, load(mx, t, {o, i})));

  Kernel kmax{.domain = view2, .reduce = Reduction{ReduceKind::Max, {len}, xv}, .value = acc(t), .out = mx};
  c.kernel("max", std::move(kmax));
  Kernel ksum{.domain = view2, .reduce = Reduction{ReduceKind::Sum, {len}, shifted}, .value = acc(t), .out = sum};
  c.kernel("sum", std::move(ksum));

  const int y = c.output(0, s);
  Kernel knorm;
  knorm.domain = view3;
  // Domain order is [o, a, i] = vars 0, 1, 2; rename the expressions written with a = 2, i = 1.
  const Expr sumv = load(sum, t, {o, i});
  const Expr value = log ? sub(sub(xv, load(mx, t, {o, i})), unary(EOp::Log, sumv)) : div(shifted, sumv);
  knorm.value = substituteVars(value, {var(0), var(2), var(1)});
  knorm.out = c.view(y, view3);
  c.kernel("norm", std::move(knorm));
}

}  // namespace

void lowerSoftmax(LowerCtx& c) { softmax(c, false); }
void lowerLogSoftmax(LowerCtx& c) { softmax(c, true); }

}  // namespace kiln::plan
