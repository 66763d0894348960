// Matrix products: Gemm and MatMul.
#include "shape_rules.h"

namespace kiln::shape {

namespace {

void requireInnerMatch(RuleContext& ctx, const Dim& ka, const Dim& kb) {
  if (!unifyDims(ka, kb))
    ctx.fail("inner dimensions differ: " + ctx.describeInput(0) + " gives " + str(ka.value) +
             ", " + ctx.describeInput(1) + " gives " + str(kb.value));
}

}  // namespace

// Y [M, N] = alpha * op(A) op(B) + beta * C, with op() the optional transpose and C
// unidirectionally broadcastable to [M, N].
void inferGemm(RuleContext& ctx) {
  const auto& a = ctx.node.as<GemmAttrs>();
  for (size_t i = 0; i < 3; ++i) ctx.requireFloat(i);
  ctx.requireSameDType(0, 1);
  ctx.requireSameDType(0, 2);
  ctx.requireRank(0, 2, "A");
  ctx.requireRank(1, 2, "B");
  const Shape& sa = ctx.shape(0);
  const Shape& sb = ctx.shape(1);
  Dim m = sa[a.transA ? 1 : 0], ka = sa[a.transA ? 0 : 1];
  Dim kb = sb[a.transB ? 1 : 0], n = sb[a.transB ? 0 : 1];
  requireInnerMatch(ctx, ka, kb);
  Shape out{m, n};
  if (ctx.in(2)) {
    const Shape& c = ctx.shape(2);
    if (c.size() > 2) ctx.fail(ctx.describeInput(2, "C") + " must have rank <= 2");
    for (size_t i = 0; i < c.size(); ++i) {
      const Dim& target = out[2 - c.size() + i];
      if (c[i].isKnown() && c[i].value != 1 && target.isKnown() && c[i].value != target.value)
        ctx.fail(ctx.describeInput(2, "C") + " does not broadcast to the output " +
                 shapeToString(out));
    }
  }
  ctx.setOutput(0, ctx.in(0)->dtype, out);
}

// numpy.matmul: 1-D operands get a 1 prepended (A) or appended (B) that is dropped again;
// leading (batch) dims broadcast.
void inferMatMul(RuleContext& ctx) {
  ctx.requireSameDType(0, 1);
  ctx.requireMinRank(0, 1, "A");
  ctx.requireMinRank(1, 1, "B");
  Shape a = ctx.shape(0), b = ctx.shape(1);
  bool vecA = a.size() == 1, vecB = b.size() == 1;
  if (vecA) a.insert(a.begin(), Dim::known(1));
  if (vecB) b.push_back(Dim::known(1));
  requireInnerMatch(ctx, a.back(), b[b.size() - 2]);
  auto batch = broadcastShapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  if (!batch)
    ctx.fail("batch dimensions of " + ctx.describeInput(0) + " and " + ctx.describeInput(1) +
             " do not broadcast");
  Shape out = *batch;
  if (!vecA) out.push_back(a[a.size() - 2]);
  if (!vecB) out.push_back(b.back());
  ctx.setOutput(0, ctx.in(0)->dtype, out);
}

}  // namespace kiln::shape
