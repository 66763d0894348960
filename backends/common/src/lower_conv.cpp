// Conv and ConvTranspose as reductions over (input channels of the group, kernel taps).
// Padding is a guard on the input position; the bias is the first epilogue term, so fused
// ScaleShift/activation ops follow it in the kernel's value.
#include "lower_window.h"

namespace kiln::plan {

namespace {

std::vector<Poly> taps(int64_t channels, const std::vector<WindowAxis>& axes) {
  std::vector<Poly> r{Poly(channels)};
  for (const WindowAxis& a : axes) r.emplace_back(a.kernel);
  return r;
}

Expr withBias(LowerCtx& c, Expr accumulated, Expr m) {
  return c.has(2) ? add(accumulated, c.ldIn(2, {m})) : accumulated;
}

}  // namespace

// y[n, m, o] = B[m] + sum_{ci, k} x[n, g*Cg + ci, o*s - pb + k*d] * w[m, ci, k], g = m / Mg.
void lowerConv(LowerCtx& c) {
  const ConvAttrs& at = c.node.as<ConvAttrs>();
  const auto axes = windowAxes(c, at.kernelShape, at.strides, at.pads, at.dilations, false);
  const int64_t M = c.staticDim(1, 0), Cg = c.staticDim(1, 1), Mg = M / at.group;
  const size_t r = axes.size();
  Kernel k;
  k.domain = windowOutputShape(c, Poly(M), axes);
  const std::vector<Expr> v = vars(2 + r), red = vars(1 + r, static_cast<int>(2 + r));
  // With one group the input channel is the reduction variable alone (no m / Mg term), which
  // keeps the input independent of the output channel for the implicit GEMM.
  const Expr ch = at.group == 1 ? red[0] : add(mul(floorDiv(v[1], constI(Mg)), constI(Cg)), red[0]);
  std::vector<Expr> xi{v[0], ch}, wi{v[1], red[0]};
  Expr guard, interior;
  for (size_t i = 0; i < r; ++i) {
    Expr pos = windowInput(axes[i], v[2 + i], red[1 + i]);
    if (axes[i].padBegin > 0 || axes[i].padEnd > 0) {
      guard = land(guard, inRange(pos, constI(axes[i].in)));
      // First and last tap inside the input: every tap is (positions are linear in the tap).
      interior = land(interior, land(le(constI(0), windowInput(axes[i], v[2 + i], constI(0))),
                                     lt(windowInput(axes[i], v[2 + i], constI(axes[i].kernel - 1)),
                                        constI(axes[i].in))));
    }
    xi.push_back(pos);
    wi.push_back(red[1 + i]);
  }
  k.reduce = Reduction{ReduceKind::Sum, taps(Cg, axes),
                       select(guard, mul(c.ldIn(0, xi), c.ldIn(1, wi)), constF(0))};
  // Implicit GEMM: output channels x output positions, K = Cg * taps (one group only, so the
  // input channel does not depend on the output channel).
  if (at.group == 1 && c.gemmOperandB(1)) k.kind = KernelKind::Gemm;
  k.interior = interior;
  k.value = withBias(c, acc(k.reduce->body->type), v[1]);
  k.out = c.output(0, k.domain);
  c.kernel("", std::move(k));
}

// The adjoint of Conv, written as a gather so every output element is computed once:
//   y[n, m, p] = B[m] + sum_{ci, k} x[n, g*Cg + ci, i] * w[g*Cg + ci, mi, k]
// where g = m / Mg, mi = m % Mg and i = (p + pb - k*d) / s must be an integer inside the input.
void lowerConvTranspose(LowerCtx& c) {
  const ConvAttrs& at = c.node.as<ConvAttrs>();
  if (!at.outputShape.empty()) c.unsupported("output_shape must be resolved by shape inference");
  const auto axes = windowAxes(c, at.kernelShape, at.strides, {}, at.dilations, false, true);
  const int64_t C = c.staticDim(0, 1), Mg = c.staticDim(1, 1), Cg = C / at.group;
  const size_t r = axes.size();
  std::vector<int64_t> outPad = at.outputPadding;
  outPad.resize(r, 0);
  std::vector<Poly> domain{c.shape(0)[0], Poly(Mg * at.group)};
  for (size_t i = 0; i < r; ++i) {
    const WindowAxis& a = axes[i];
    domain.emplace_back(a.stride * (a.in - 1) + outPad[i] + (a.kernel - 1) * a.dilation + 1 -
                        at.pads[i] - at.pads[r + i]);
  }
  const std::vector<Expr> v = vars(2 + r), red = vars(1 + r, static_cast<int>(2 + r));
  const Expr ch = add(mul(floorDiv(v[1], constI(Mg)), constI(Cg)), red[0]);
  std::vector<Expr> xi{v[0], ch}, wi{ch, mod(v[1], constI(Mg))};
  Expr guard;
  for (size_t i = 0; i < r; ++i) {
    const WindowAxis& a = axes[i];
    const Expr t = sub(add(v[2 + i], constI(at.pads[i])), mul(red[1 + i], constI(a.dilation)));
    const Expr pos = floorDiv(t, constI(a.stride));
    guard = land(guard, inRange(pos, constI(a.in)));
    if (a.stride > 1) guard = land(guard, eq(mod(t, constI(a.stride)), constI(0)));
    xi.push_back(pos);
    wi.push_back(red[1 + i]);
  }
  Kernel k;
  k.domain = domain;
  k.reduce = Reduction{ReduceKind::Sum, taps(Cg, axes),
                       select(guard, mul(c.ldIn(0, xi), c.ldIn(1, wi)), constF(0))};
  k.value = withBias(c, acc(k.reduce->body->type), v[1]);
  k.out = c.output(0, domain);
  c.kernel("", std::move(k));
}

}  // namespace kiln::plan
