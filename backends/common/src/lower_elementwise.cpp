// Elementwise ops: activations, math functions, Clip, Cast, broadcasting and variadic
// arithmetic, PRelu and kiln.ScaleShift. Each is one kernel without reduction, so fusion can chain them.
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

// Numpy-broadcast fold of all inputs (Sum, Max, Min).
void mapVariadic(LowerCtx& c, const std::function<Expr(Expr, Expr)>& f) {
  std::vector<Poly> s = c.shape(0);
  for (size_t i = 1; i < c.node.inputs.size(); ++i) {
    auto b = broadcastShape(s, c.shape(i));
    if (!b) c.unsupported("operand shapes do not broadcast");
    s = *b;
  }
  const int out = c.output(0, s);
  c.elementwise("", out, s, [&](const std::vector<Expr>& v) {
    Expr r = c.ldBroadcast(0, v);
    for (size_t i = 1; i < c.node.inputs.size(); ++i) r = f(r, c.ldBroadcast(i, v));
    return r;
  });
}

// numpy.maximum / minimum: a NaN operand b wins (a NaN a already does: a < b is false).
Expr nanMax(Expr a, Expr b) { return isFloatE(b->type) ? select(eq(b, b), maxE(a, b), b) : maxE(a, b); }
Expr nanMin(Expr a, Expr b) { return isFloatE(b->type) ? select(eq(b, b), minE(a, b), b) : minE(a, b); }

Expr hardSigmoid(Expr x, double alpha, double beta) {
  return maxE(constF(0), minE(constF(1), add(mul(constF(alpha), x), constF(beta))));
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

void lowerElu(LowerCtx& c) {
  const double alpha = c.node.as<AlphaAttrs>().alpha;
  mapUnary(c, [&](Expr x) { return select(lt(x, constF(0)), mul(constF(alpha), sub(unary(EOp::Exp, x), constF(1))), x); });
}
void lowerSelu(LowerCtx& c) {
  const SeluAttrs& a = c.node.as<SeluAttrs>();
  mapUnary(c, [&](Expr x) {
    Expr neg = sub(mul(constF(a.alpha), unary(EOp::Exp, x)), constF(a.alpha));
    return mul(constF(a.gamma), select(lt(constF(0), x), x, neg));
  });
}
void lowerSoftplus(LowerCtx& c) {
  mapUnary(c, [](Expr x) { return unary(EOp::Log, add(unary(EOp::Exp, x), constF(1))); });
}
void lowerHardSigmoid(LowerCtx& c) {
  const AlphaBetaAttrs& a = c.node.as<AlphaBetaAttrs>();
  mapUnary(c, [&](Expr x) { return hardSigmoid(x, a.alpha, a.beta); });
}
void lowerHardSwish(LowerCtx& c) {
  mapUnary(c, [](Expr x) { return mul(x, hardSigmoid(x, 1.0 / 6.0, 0.5)); });
}
// -1, 0 or 1; zero and NaN pass through.
void lowerSign(LowerCtx& c) {
  mapUnary(c, [](Expr x) {
    const bool f = isFloatE(x->type);
    Expr zero = f ? constF(0) : constI(0), one = f ? constF(1) : constI(1), minus = f ? constF(-1) : constI(-1);
    return select(lt(zero, x), one, select(lt(x, zero), minus, x));
  });
}
void lowerPRelu(LowerCtx& c) {
  mapBinary(c, [](Expr x, Expr slope) { return select(lt(x, constF(0)), mul(slope, x), x); });
}
void lowerSum(LowerCtx& c) { mapVariadic(c, add); }
void lowerMax(LowerCtx& c) { mapVariadic(c, nanMax); }
void lowerMin(LowerCtx& c) { mapVariadic(c, nanMin); }

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
