// Elementwise ops: activations, math functions, Clip, Cast, broadcasting arithmetic and
// kiln.ScaleShift. Each is one kernel without reduction, so fusion can chain them.
#include <limits>

#include "lower.h"

namespace kiln::plan {

namespace {

// y = f(x) over x's shape; the output has x's dtype unless `t` is given.
void mapUnary(LowerCtx& c, const std::function<Expr(Expr)>& f, std::optional<DType> t = {}) {
  const std::vector<Poly> s = c.shape(0);
  const int out = c.output(0, s, t.value_or(c.dtype(0)));
  c.elementwise("", out, s, [&](const std::vector<Expr>& v) { return f(c.ldIn(0, v)); });
}

// Numpy-broadcast binary op.
void mapBinary(LowerCtx& c, const std::function<Expr(Expr, Expr)>& f) {
  auto s = broadcastShape(c.shape(0), c.shape(1));
  if (!s) c.unsupported("operand shapes do not broadcast");
  const int out = c.output(0, *s);
  c.elementwise("", out, *s, [&](const std::vector<Expr>& v) {
    Expr b = c.ldBroadcast(1, v);
    Expr a = c.ldBroadcast(0, v);
    return f(a, b);
  });
}

Expr relu(Expr x) { return select(lt(x, constF(0)), constF(0), x); }
Expr leaky(Expr x, double alpha) { return select(lt(x, constF(0)), mul(constF(alpha), x), x); }

}  // namespace

Expr applyActivation(const ActivationAttrs& a, Expr x) {
  switch (a.kind) {
    case Activation::None: return x;
    case Activation::Relu: return relu(x);
    case Activation::LeakyRelu: return leaky(x, a.alpha);
    case Activation::Sigmoid: return unary(EOp::Sigmoid, x);
    case Activation::Tanh: return unary(EOp::Tanh, x);
    case Activation::Clip: return minE(maxE(x, constF(a.alpha)), constF(a.beta));
  }
  return x;
}

void lowerRelu(LowerCtx& c) {
  mapUnary(c, [](Expr x) { return isFloatE(x->type) ? relu(x) : select(lt(x, constI(0)), constI(0), x); });
}
void lowerLeakyRelu(LowerCtx& c) {
  const double alpha = c.node.as<AlphaAttrs>().alpha;
  mapUnary(c, [&](Expr x) { return leaky(x, alpha); });
}
void lowerSigmoid(LowerCtx& c) { mapUnary(c, [](Expr x) { return unary(EOp::Sigmoid, x); }); }
void lowerTanh(LowerCtx& c) { mapUnary(c, [](Expr x) { return unary(EOp::Tanh, x); }); }
void lowerSqrt(LowerCtx& c) { mapUnary(c, [](Expr x) { return unary(EOp::Sqrt, x); }); }
void lowerNeg(LowerCtx& c) { mapUnary(c, [](Expr x) { return unary(EOp::Neg, x); }); }
void lowerExp(LowerCtx& c) { mapUnary(c, [](Expr x) { return unary(EOp::Exp, x); }); }
void lowerLog(LowerCtx& c) { mapUnary(c, [](Expr x) { return unary(EOp::Log, x); }); }
void lowerAbs(LowerCtx& c) { mapUnary(c, [](Expr x) { return unary(EOp::Abs, x); }); }
void lowerReciprocal(LowerCtx& c) { mapUnary(c, [](Expr x) { return unary(EOp::Recip, x); }); }

void lowerClip(LowerCtx& c) {
  const bool isF = isFloat(c.dtype(0));
  const double inf = std::numeric_limits<double>::infinity();
  Expr lo = c.has(1) ? c.ldScalar(1) : isF ? constF(-inf) : constI(std::numeric_limits<int64_t>::min());
  Expr hi = c.has(2) ? c.ldScalar(2) : isF ? constF(inf) : constI(std::numeric_limits<int64_t>::max());
  mapUnary(c, [&](Expr x) { return minE(maxE(x, lo), hi); });
}

void lowerCast(LowerCtx& c) {
  const DType to = c.node.as<CastAttrs>().to;
  mapUnary(c, [&](Expr x) {
    if (to == DType::Bool) return cast(EType::I64, unary(EOp::Not, eq(x, isFloatE(x->type) ? constF(0) : constI(0))));
    return cast(valueType(to), x);
  }, to);
}

void lowerAdd(LowerCtx& c) { mapBinary(c, add); }
void lowerSub(LowerCtx& c) { mapBinary(c, sub); }
void lowerMul(LowerCtx& c) { mapBinary(c, mul); }
// Integer Div truncates toward zero, INT64_MIN / -1 wraps (as in the evaluator, which the
// emitters follow), and a zero divisor fails the run: a check on the divisor before the kernel.
void lowerDiv(LowerCtx& c) {
  mapBinary(c, div);
  if (isFloat(c.dtype(0))) return;
  RangeCheck check{c.in(1), Poly(std::numeric_limits<int64_t>::min()), Poly(std::numeric_limits<int64_t>::max()),
                   c.node.describe() + ": integer division by zero (an element of input '" + c.node.input(1)->name +
                       "' is 0)"};
  check.nonZero = true;
  c.prog.kernels.back().checks.push_back(std::move(check));
}
// ONNX Pow: the result has the base's type, the exponent may be any numeric type (as in the
// evaluator). A float base takes the exponent as a float; an integer base with an integer
// exponent is an exact integer power; an integer base with a float exponent is the float
// power truncated back to an integer.
void lowerPow(LowerCtx& c) {
  auto s = broadcastShape(c.shape(0), c.shape(1));
  if (!s) c.unsupported("operand shapes do not broadcast");
  const int out = c.output(0, *s);
  c.elementwise("", out, *s, [&](const std::vector<Expr>& v) {
    Expr a = c.ldBroadcast(0, v), b = c.ldBroadcast(1, v);
    if (a->type == EType::I64 && isFloatE(b->type))
      return cast(EType::I64, binary(EOp::Pow, cast(b->type, a), b));
    if (b->type != a->type) b = cast(a->type, b);
    return binary(EOp::Pow, a, b);
  });
}

// y = x * scale[ch] + shift[ch], ch the index along `axis`.
void lowerScaleShift(LowerCtx& c) {
  const int64_t axis = c.node.as<ScaleShiftAttrs>().axis;
  const std::vector<Poly> s = c.shape(0);
  if (axis < 0 || axis >= static_cast<int64_t>(s.size())) c.unsupported("axis out of range");
  const int out = c.output(0, s);
  c.elementwise("", out, s, [&](const std::vector<Expr>& v) {
    return add(mul(c.ldIn(0, v), c.ldChannel(1, v[axis])), c.ldChannel(2, v[axis]));
  });
}

}  // namespace kiln::plan
