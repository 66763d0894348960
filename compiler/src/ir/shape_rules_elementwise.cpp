// Elementwise ops: unary activations and math, Clip, Softmax, PRelu, the broadcasting binary
// and variadic (Sum/Max/Min) arithmetic ops, Identity, Dropout and Cast.
#include "kiln/support/checked_math.h"
#include "shape_rules.h"

namespace kiln::shape {

namespace {

void sameAsInput(RuleContext& ctx, bool floatOnly) {
  if (floatOnly) ctx.requireFloat(0);
  ctx.setOutput(0, ctx.in(0)->dtype, ctx.shape(0));
}

enum class Arith { Add, Sub, Mul, Div, Other };

// Element of an integer shape computation, e.g. `C * H` of a Flatten target.
std::optional<Dim> combine(Arith op, const Dim& x, const Dim& y) {
  using content::isLiteral;
  using content::literal;
  bool lx = isLiteral(x), ly = isLiteral(y);
  if (lx && ly) {
    // A value beyond int64 is not tracked (the run wraps; as a shape it would be refused).
    std::optional<int64_t> v;
    switch (op) {
      case Arith::Add: v = checkedAdd(x.value, y.value); break;
      case Arith::Sub: v = checkedSub(x.value, y.value); break;
      case Arith::Mul: v = checkedMul(x.value, y.value); break;
      case Arith::Div:
        if (y.value != 0 && !(y.value == -1 && x.value == INT64_MIN) && x.value % y.value == 0) v = x.value / y.value;
        break;
      case Arith::Other: break;
    }
    if (!v) return std::nullopt;
    return literal(*v);
  }
  if (ly && ((op == Arith::Mul || op == Arith::Div) && y.value == 1)) return x;
  if (ly && ((op == Arith::Add || op == Arith::Sub) && y.value == 0)) return x;
  if (lx && op == Arith::Mul && x.value == 1) return y;
  if (lx && op == Arith::Add && x.value == 0) return y;
  return std::nullopt;
}

std::optional<content::Content> combineContents(RuleContext& ctx, Arith op) {
  auto a = inputContent(ctx, 0), b = inputContent(ctx, 1);
  if (op == Arith::Other || !a || !b || a->empty() || b->empty()) return std::nullopt;
  if (a->size() != b->size() && a->size() != 1 && b->size() != 1) return std::nullopt;
  size_t n = std::max(a->size(), b->size());
  content::Content out;
  for (size_t i = 0; i < n; ++i) {
    auto d = combine(op, (*a)[a->size() == 1 ? 0 : i], (*b)[b->size() == 1 ? 0 : i]);
    if (!d) return std::nullopt;
    out.push_back(*d);
  }
  return out;
}

void binary(RuleContext& ctx, Arith op, bool sameDType) {
  if (sameDType) ctx.requireSameDType(0, 1);
  auto s = broadcastShapes(ctx.shape(0), ctx.shape(1));
  if (!s)
    ctx.fail("cannot broadcast " + ctx.describeInput(0) + " with " + ctx.describeInput(1));
  ctx.setOutput(0, ctx.in(0)->dtype, *s);
  if (!isFloat(ctx.in(0)->dtype)) ctx.setContent(0, combineContents(ctx, op));
}

// Clip bounds and Dropout ratio: optional scalars.
void requireScalar(RuleContext& ctx, size_t i, const char* role) {
  if (!ctx.in(i)) return;
  Dim n = dimProduct(ctx.shape(i), 0, ctx.shape(i).size());
  if (ctx.rank(i) > 1 || (n.isKnown() && n.value != 1))
    ctx.fail(ctx.describeInput(i, role) + " must be a scalar");
}

}  // namespace

void inferRelu(RuleContext& ctx) { sameAsInput(ctx, false); }
void inferLeakyRelu(RuleContext& ctx) { sameAsInput(ctx, true); }
void inferSigmoid(RuleContext& ctx) { sameAsInput(ctx, true); }
void inferTanh(RuleContext& ctx) { sameAsInput(ctx, true); }
void inferSqrt(RuleContext& ctx) { sameAsInput(ctx, true); }
void inferNeg(RuleContext& ctx) { sameAsInput(ctx, false); }
void inferExp(RuleContext& ctx) { sameAsInput(ctx, true); }
void inferLog(RuleContext& ctx) { sameAsInput(ctx, true); }
void inferAbs(RuleContext& ctx) { sameAsInput(ctx, false); }
void inferReciprocal(RuleContext& ctx) { sameAsInput(ctx, true); }

void inferElu(RuleContext& ctx) { sameAsInput(ctx, true); }
void inferSelu(RuleContext& ctx) { sameAsInput(ctx, true); }
void inferSoftplus(RuleContext& ctx) { sameAsInput(ctx, true); }
void inferHardSigmoid(RuleContext& ctx) { sameAsInput(ctx, true); }
void inferHardSwish(RuleContext& ctx) { sameAsInput(ctx, true); }
void inferSign(RuleContext& ctx) { sameAsInput(ctx, false); }

// PRelu: the slope broadcasts (numpy, unidirectionally) to x; y has x's shape.
void inferPRelu(RuleContext& ctx) {
  ctx.requireFloat(0);
  ctx.requireSameDType(0, 1);
  auto s = broadcastShapes(ctx.shape(0), ctx.shape(1));
  if (!s || s->size() != ctx.shape(0).size())
    ctx.fail("slope " + ctx.describeInput(1) + " does not broadcast to " + ctx.describeInput(0));
  ctx.setOutput(0, ctx.in(0)->dtype, *s);
}

// Sum, Max, Min: any number of inputs of one dtype, numpy-broadcast together.
void variadic(RuleContext& ctx, bool floatOnly) {
  if (floatOnly) ctx.requireFloat(0);
  Shape out = ctx.shape(0);
  for (size_t i = 1; i < ctx.node.inputs.size(); ++i) {
    if (!ctx.in(i)) ctx.fail("input #" + str(static_cast<int64_t>(i)) + " is absent");
    ctx.requireSameDType(0, i);
    auto s = broadcastShapes(out, ctx.shape(i));
    if (!s) ctx.fail("cannot broadcast " + ctx.describeInput(i) + " with " + shapeToString(out));
    out = *s;
  }
  ctx.setOutput(0, ctx.in(0)->dtype, out);
}
void inferSum(RuleContext& ctx) { variadic(ctx, true); }
void inferMax(RuleContext& ctx) { variadic(ctx, false); }
void inferMin(RuleContext& ctx) { variadic(ctx, false); }

void inferClip(RuleContext& ctx) {
  for (size_t i : {1, 2}) {
    ctx.requireSameDType(0, i);
    requireScalar(ctx, i, i == 1 ? "min" : "max");
  }
  sameAsInput(ctx, false);
}

void inferSoftmax(RuleContext& ctx) {
  auto& a = ctx.node.as<SoftmaxAttrs>();
  a.axis = ctx.normalizeAxis(a.axis, ctx.rank(0), "axis");
  sameAsInput(ctx, true);
}

void inferLogSoftmax(RuleContext& ctx) { inferSoftmax(ctx); }

void inferAdd(RuleContext& ctx) { binary(ctx, Arith::Add, true); }
void inferSub(RuleContext& ctx) { binary(ctx, Arith::Sub, true); }
void inferMul(RuleContext& ctx) { binary(ctx, Arith::Mul, true); }
void inferDiv(RuleContext& ctx) { binary(ctx, Arith::Div, true); }
void inferPow(RuleContext& ctx) { binary(ctx, Arith::Other, false); }

void inferIdentity(RuleContext& ctx) {
  sameAsInput(ctx, false);
  ctx.setContent(0, inputContent(ctx, 0));
}

void inferDropout(RuleContext& ctx) {
  ctx.requireFloat(0);
  requireScalar(ctx, 1, "ratio");
  requireScalar(ctx, 2, "training_mode");
  ctx.setOutput(0, ctx.in(0)->dtype, ctx.shape(0));
  ctx.setOutput(1, DType::Bool, ctx.shape(0));
}

void inferCast(RuleContext& ctx) {
  ctx.setOutput(0, ctx.node.as<CastAttrs>().to, ctx.shape(0));
  if (!isFloat(ctx.in(0)->dtype)) ctx.setContent(0, inputContent(ctx, 0));
}

}  // namespace kiln::shape
