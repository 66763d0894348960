// Pooling and reductions: MaxPool, AveragePool, GlobalAveragePool, ReduceMean.
#include <algorithm>

#include "kiln/support/checked_math.h"
#include "shape_rules.h"

namespace kiln::shape {

namespace {

// MaxPool also takes int8/uint8 (opset 12), AveragePool only floats.
void pool(RuleContext& ctx, bool floatOnly) {
  auto& a = ctx.node.as<PoolAttrs>();
  if (floatOnly) ctx.requireFloat(0);
  ctx.requireMinRank(0, 3);
  const Shape& x = ctx.shape(0);
  size_t k = x.size() - 2;
  if (a.kernelShape.empty()) ctx.fail("kernel_shape is required");
  normalizeWindow(ctx, a, k);
  Shape out{x[0], x[1]};
  Shape spatial = windowOutput(ctx, a, Shape(x.begin() + 2, x.end()), a.ceilMode);
  // A pad as wide as the kernel lets a window lie entirely in the padding: an average over no
  // elements (NaN) or a max over none. ONNX Runtime refuses such pools too.
  for (size_t i = 0; i < 2 * k; ++i)
    if (a.pads[i] >= a.kernelShape[i % k])
      ctx.fail("pads entry " + str(a.pads[i]) + " on spatial axis " + str(static_cast<int64_t>(i % k)) +
               " must be smaller than the kernel extent " + str(a.kernelShape[i % k]));
  out.insert(out.end(), spatial.begin(), spatial.end());
  ctx.setOutput(0, ctx.in(0)->dtype, out);
}

}  // namespace

void inferMaxPool(RuleContext& ctx) { pool(ctx, false); }
void inferAveragePool(RuleContext& ctx) { pool(ctx, true); }

void inferGlobalAveragePool(RuleContext& ctx) {
  ctx.requireFloat(0);
  ctx.requireMinRank(0, 3);
  Shape out = ctx.shape(0);
  std::fill(out.begin() + 2, out.end(), Dim::known(1));
  ctx.setOutput(0, ctx.in(0)->dtype, out);
}

namespace {

// Axes come from input 1 (constant, or integer content). Absent or empty axes reduce
// everything, unless noop_with_empty_axes makes the op an identity.
void reduce(RuleContext& ctx) {
  const auto& a = ctx.node.as<ReduceAttrs>();
  Shape x = ctx.shape(0);
  int64_t r = static_cast<int64_t>(x.size());
  std::vector<bool> reduced(x.size(), false);
  if (ctx.in(1)) {
    ctx.requireInteger(1, "axes");
    auto axes = inputContent(ctx, 1);
    if (!axes || !content::fullyLiteral(*axes)) {
      if (!a.keepDims) return ctx.setOutputDType(0, ctx.in(0)->dtype);
      ctx.setOutput(0, ctx.in(0)->dtype, Shape(x.size()));
      return;
    }
    for (int64_t axis : content::literals(*axes)) {
      int64_t i = ctx.normalizeAxis(axis, r, "axes entry");
      if (reduced[i]) ctx.fail("axes entry " + std::to_string(axis) + " is repeated");
      reduced[i] = true;
    }
  }
  bool none = std::find(reduced.begin(), reduced.end(), true) == reduced.end();
  if (none && a.noopWithEmptyAxes) return ctx.setOutput(0, ctx.in(0)->dtype, x);
  if (none) reduced.assign(x.size(), true);
  Shape out;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!reduced[i]) out.push_back(x[i]);
    else if (a.keepDims) out.push_back(Dim::known(1));
  }
  ctx.setOutput(0, ctx.in(0)->dtype, out);
}

}  // namespace

void inferReduceMean(RuleContext& ctx) { reduce(ctx); }
void inferReduceSum(RuleContext& ctx) { reduce(ctx); }

// Not in ops.def yet: ready for when ReduceProd (the element count of a shape in the naive
// `x.std()` BN pattern) is added with ReduceAttrs. Tracks the product of a shape's content.
void inferReduceProd(RuleContext& ctx) {
  reduce(ctx);
  auto c = inputContent(ctx, 0);
  const Value* out = ctx.node.outputs[0];
  if (!c || !content::fullyLiteral(*c) || !out->hasShape ||
      dimProduct(out->shape, 0, out->shape.size()).value != 1)
    return;
  std::optional<int64_t> product = 1;
  for (int64_t v : content::literals(*c))
    if (product) product = checkedMul(*product, v);
  if (!product) return;  // beyond int64: not tracked
  ctx.setContent(0, content::Content{content::literal(*product)});
}

}  // namespace kiln::shape
