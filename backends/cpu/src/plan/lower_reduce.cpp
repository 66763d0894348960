// ReduceMean and Softmax.
#include <algorithm>
#include <limits>

#include "plan/lower.h"

namespace kiln::cpu {

// Mean over `axes` (input 1; absent/empty: all axes, or identity when noop_with_empty_axes).
void lowerReduceMean(LowerCtx& c) {
  const ReduceAttrs& at = c.node.as<ReduceAttrs>();
  const std::vector<Poly> s = c.shape(0);
  const int64_t r = static_cast<int64_t>(s.size());
  const std::vector<int64_t> axes = c.has(1) ? c.constInts(1) : std::vector<int64_t>{};
  if (axes.empty() && at.noopWithEmptyAxes) return c.alias(0, c.in(0), s);
  std::vector<bool> reduced(s.size(), axes.empty());
  for (int64_t a : axes) reduced.at(static_cast<size_t>(a < 0 ? a + r : a)) = true;

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
  k.value = div(acc(), cast(EType::F32, size(product(extents))));
  k.out = c.output(0, k.domain);
  c.kernel("", std::move(k));
}

// Three kernels on the [outer, axis, inner] view: the max along the axis, the sum of
// exp(x - max), then exp(x - max) / sum. legacy2D (opset < 13) flattens [axis:] into one axis.
void lowerSoftmax(LowerCtx& c) {
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
  const int mx = c.temp("max", view2), sum = c.temp("sum", view2);
  const Expr o = var(0), i = var(1), a = var(2);
  const Expr xv = load(x, EType::F32, {o, a, i});
  const Expr shifted = unary(EOp::Exp, sub(xv, load(mx, EType::F32, {o, i})));

  Kernel kmax{.domain = view2, .reduce = Reduction{ReduceKind::Max, {len}, xv}, .value = acc(), .out = mx};
  c.kernel("max", std::move(kmax));
  Kernel ksum{.domain = view2, .reduce = Reduction{ReduceKind::Sum, {len}, shifted}, .value = acc(), .out = sum};
  c.kernel("sum", std::move(ksum));

  const int y = c.output(0, s);
  Kernel knorm;
  knorm.domain = view3;
  // Domain order is [o, a, i] = vars 0, 1, 2; rename the expressions written with a = 2, i = 1.
  knorm.value = substituteVars(div(shifted, load(sum, EType::F32, {o, i})), {var(0), var(2), var(1)});
  knorm.out = c.view(y, view3);
  c.kernel("norm", std::move(knorm));
}

}  // namespace kiln::cpu
