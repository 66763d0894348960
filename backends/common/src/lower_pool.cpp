// MaxPool, AveragePool, GlobalAveragePool: reductions over the kernel taps of a window.
#include <limits>

#include "lower_window.h"

namespace kiln::plan {

namespace {

struct PoolParts {
  Kernel k;
  std::vector<WindowAxis> axes;
  Expr inside;  ///< the tap lands inside the input (null when there is no padding)
  Expr x;       ///< input element at the tap
};

PoolParts poolParts(LowerCtx& c) {
  const PoolAttrs& at = c.node.as<PoolAttrs>();
  PoolParts p;
  p.axes = windowAxes(c, at.kernelShape, at.strides, at.pads, at.dilations, at.ceilMode);
  const size_t r = p.axes.size();
  p.k.domain = windowOutputShape(c, c.shape(0)[1], p.axes);
  const std::vector<Expr> v = vars(2 + r), red = vars(r, static_cast<int>(2 + r));
  std::vector<Expr> xi{v[0], v[1]};
  std::vector<Poly> extents;
  for (size_t i = 0; i < r; ++i) {
    const WindowAxis& a = p.axes[i];
    Expr pos = windowInput(a, v[2 + i], red[i]);
    // Windows can run past the input through padding or ceil_mode.
    if (a.padBegin > 0 || (a.out - 1) * a.stride - a.padBegin + (a.kernel - 1) * a.dilation >= a.in)
      p.inside = land(p.inside, inRange(pos, constI(a.in)));
    xi.push_back(pos);
    extents.emplace_back(a.kernel);
  }
  p.x = c.ldIn(0, xi);
  p.k.reduce = Reduction{ReduceKind::Sum, extents, nullptr};
  return p;
}

// Number of taps k in [0, K) with 0 <= start + k*d < in, start = o*s - pb.
Expr validTaps(const WindowAxis& a, Expr o) {
  const Expr start = sub(mul(o, constI(a.stride)), constI(a.padBegin));
  const Expr d = constI(a.dilation);
  const Expr lo = maxE(constI(0), floorDiv(add(sub(constI(0), start), constI(a.dilation - 1)), d));
  const Expr hi = minE(constI(a.kernel - 1), floorDiv(sub(constI(a.in - 1), start), d));
  return maxE(constI(0), add(sub(hi, lo), constI(1)));
}

}  // namespace

// Padded cells never win. Reductions run in float: the 8-bit integer inputs ONNX allows are
// exact there (and stored back to their type); wider integers are not.
void lowerMaxPool(LowerCtx& c) {
  const DType t = c.dtype(0);
  if (t != DType::F32 && t != DType::F64 && t != DType::I8 && t != DType::U8)
    c.unsupported(std::string("MaxPool on ") + dtypeName(t) + " (float, int8 and uint8 only)");
  PoolParts p = poolParts(c);
  p.k.reduce->kind = ReduceKind::Max;
  const Expr x = isFloatE(p.x->type) ? p.x : cast(EType::F32, p.x);
  p.k.reduce->body = select(p.inside, x, constF(-std::numeric_limits<double>::infinity()));
  p.k.value = acc(p.k.reduce->body->type);
  p.k.out = c.output(0, p.k.domain);
  c.kernel("", std::move(p.k));
}

// Divisor: the in-bounds taps (count_include_pad=0) or the whole kernel (=1), as in the
// reference evaluator.
void lowerAveragePool(LowerCtx& c) {
  PoolParts p = poolParts(c);
  p.k.reduce->body = select(p.inside, p.x, constF(0));
  Expr count = constI(1);
  for (size_t i = 0; i < p.axes.size(); ++i)
    count = mul(count, c.node.as<PoolAttrs>().countIncludePad || !p.inside
                           ? constI(p.axes[i].kernel)
                           : validTaps(p.axes[i], var(static_cast<int>(2 + i))));
  p.k.value = div(acc(p.k.reduce->body->type), cast(EType::F32, count));
  p.k.out = c.output(0, p.k.domain);
  c.kernel("", std::move(p.k));
}

void lowerGlobalAveragePool(LowerCtx& c) {
  const std::vector<Poly> s = c.shape(0);
  if (s.size() < 2) c.unsupported("input must have rank >= 2");
  Kernel k;
  k.domain = {s[0], s[1]};
  std::vector<Poly> plane(s.begin() + 2, s.end());
  std::vector<Expr> xi{var(0), var(1)};
  for (size_t i = 0; i < plane.size(); ++i) {
    k.domain.emplace_back(1);
    xi.push_back(var(static_cast<int>(s.size() + i)));
  }
  k.reduce = Reduction{ReduceKind::Sum, plane, c.ldIn(0, xi)};
  k.value = div(acc(k.reduce->body->type), cast(EType::F32, size(product(plane))));
  k.out = c.output(0, k.domain);
  c.kernel("", std::move(k));
}

}  // namespace kiln::plan
