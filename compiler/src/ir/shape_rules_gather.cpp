// Indexing and rank changes: Gather, Unsqueeze, Squeeze, Concat. Besides shapes these
// carry integer content (symbolicContent) through Shape->Gather->Unsqueeze->Concat chains.
#include "shape_rules.h"

namespace kiln::shape {

namespace {

// Literal axes of input i, or nullopt when not known at compile time.
std::optional<std::vector<int64_t>> literalAxes(RuleContext& ctx, size_t i) {
  ctx.requireInteger(i, "axes");
  auto c = inputContent(ctx, i);
  if (!c || !content::fullyLiteral(*c)) return std::nullopt;
  return content::literals(*c);
}

// Normalised axes marked in a rank-`r` mask; repeated axes are an error.
std::vector<bool> axisMask(RuleContext& ctx, const std::vector<int64_t>& axes, int64_t r) {
  std::vector<bool> mask(r, false);
  for (int64_t ax : axes) {
    int64_t i = ctx.normalizeAxis(ax, r, "axes entry");
    if (mask[i]) ctx.fail("axes entry " + str(ax) + " is repeated");
    mask[i] = true;
  }
  return mask;
}

}  // namespace

// out = data[:axis] + indices.shape + data[axis+1:]
void inferGather(RuleContext& ctx) {
  auto& a = ctx.node.as<AxisAttrs>();
  ctx.requireInteger(1, "indices");
  ctx.requireMinRank(0, 1, "data");
  const Shape& data = ctx.shape(0);
  a.axis = ctx.normalizeAxis(a.axis, ctx.rank(0), "axis");
  const Dim& extent = data[a.axis];
  auto indices = inputContent(ctx, 1);
  if (indices && content::fullyLiteral(*indices) && extent.isKnown()) {
    for (int64_t idx : content::literals(*indices))
      if (idx < -extent.value || idx >= extent.value)
        ctx.fail("index " + str(idx) + " of '" + ctx.in(1)->name + "' is out of range for axis " +
                 str(a.axis) + " of " + ctx.describeInput(0, "data"));
  }
  Shape out(data.begin(), data.begin() + a.axis);
  out.insert(out.end(), ctx.shape(1).begin(), ctx.shape(1).end());
  out.insert(out.end(), data.begin() + a.axis + 1, data.end());
  ctx.setOutput(0, ctx.in(0)->dtype, out);

  auto values = inputContent(ctx, 0);
  if (!values || !indices || !content::fullyLiteral(*indices) || data.size() != 1) return;
  content::Content picked;
  int64_t n = static_cast<int64_t>(values->size());
  for (int64_t idx : content::literals(*indices)) {
    if (idx < 0) idx += n;
    if (idx < 0 || idx >= n) return;
    picked.push_back((*values)[idx]);
  }
  ctx.setContent(0, picked);
}

void inferUnsqueeze(RuleContext& ctx) {
  const Shape& x = ctx.shape(0);
  DType t = ctx.in(0)->dtype;
  auto axes = literalAxes(ctx, 1);
  if (!axes) {
    const Shape& n = ctx.shape(1);
    if (n.size() != 1 || !n[0].isKnown()) return ctx.setOutputDType(0, t);
    ctx.setOutput(0, t, Shape(x.size() + n[0].value));
    return;
  }
  int64_t r = static_cast<int64_t>(x.size() + axes->size());
  std::vector<bool> inserted = axisMask(ctx, *axes, r);
  Shape out;
  size_t next = 0;
  for (int64_t i = 0; i < r; ++i) out.push_back(inserted[i] ? Dim::known(1) : x[next++]);
  ctx.setOutput(0, t, out);
  ctx.setContent(0, inputContent(ctx, 0));
}

void inferSqueeze(RuleContext& ctx) {
  const Shape& x = ctx.shape(0);
  DType t = ctx.in(0)->dtype;
  std::vector<bool> removed(x.size(), false);
  if (ctx.in(1)) {
    auto axes = literalAxes(ctx, 1);
    if (!axes) return ctx.setOutputDType(0, t);
    removed = axisMask(ctx, *axes, ctx.rank(0));
    for (size_t i = 0; i < x.size(); ++i)
      if (removed[i] && x[i].isKnown() && x[i].value != 1)
        ctx.fail("cannot squeeze axis " + str(i) + " of " + ctx.describeInput(0) +
                 ": its extent is not 1");
  } else {
    for (size_t i = 0; i < x.size(); ++i) {
      if (!x[i].isKnown()) return ctx.setOutputDType(0, t);  // might be 1 or not
      removed[i] = x[i].value == 1;
    }
  }
  Shape out;
  for (size_t i = 0; i < x.size(); ++i)
    if (!removed[i]) out.push_back(x[i]);
  ctx.setOutput(0, t, out);
  ctx.setContent(0, inputContent(ctx, 0));
}

void inferConcat(RuleContext& ctx) {
  auto& a = ctx.node.as<AxisAttrs>();
  const auto& inputs = ctx.node.inputs;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i]) ctx.fail("input " + str(i) + " is missing");
  a.axis = ctx.normalizeAxis(a.axis, ctx.rank(0), "axis");
  Shape out = ctx.shape(0);
  std::optional<content::Content> joined = inputContent(ctx, 0);
  for (size_t i = 1; i < inputs.size(); ++i) {
    ctx.requireSameDType(0, i);
    const Shape& s = ctx.shape(i);
    if (s.size() != out.size())
      ctx.fail(ctx.describeInput(i) + " has a different rank than " + ctx.describeInput(0));
    for (size_t d = 0; d < s.size(); ++d) {
      if (d == static_cast<size_t>(a.axis)) {
        out[d] = dimSum(out[d], s[d]);
        continue;
      }
      auto u = unifyDims(out[d], s[d]);
      if (!u)
        ctx.fail(ctx.describeInput(i) + " differs from " + ctx.describeInput(0) +
                 " on axis " + str(d) + " (concatenation axis is " + str(a.axis) + ")");
      out[d] = *u;
    }
    auto c = inputContent(ctx, i);
    if (joined && c) joined->insert(joined->end(), c->begin(), c->end());
    else joined.reset();
  }
  ctx.setOutput(0, ctx.in(0)->dtype, out);
  ctx.setContent(0, joined);
}

}  // namespace kiln::shape
