// Data movement: Flatten, Reshape, Transpose, Pad, Shape.
#include <algorithm>
#include <map>

#include "kiln/support/checked_math.h"
#include "shape_rules.h"

namespace kiln::shape {

namespace {

// Extent for the -1 entry of a Reshape target: input elements / the other output entries,
// cancelling symbols that occur on both sides (N*256 / N = 256).
Dim inferMinusOne(const Shape& in, const Shape& out, size_t minusOne) {
  std::map<std::string, int> symbols;
  int64_t inKnown = 1, outKnown = 1;
  // Products beyond int64 leave the extent unknown (the output check then refuses the shape).
  auto times = [](int64_t& acc, int64_t v) {
    const std::optional<int64_t> p = checkedMul(acc, v);
    if (p) acc = *p;
    return p.has_value();
  };
  for (const Dim& d : in) {
    if (d.isKnown()) {
      if (!times(inKnown, d.value)) return Dim{};
    } else if (!d.symbol.empty()) {
      ++symbols[d.symbol];
    } else {
      return Dim{};
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (i == minusOne) continue;
    if (out[i].isKnown()) {
      if (!times(outKnown, out[i].value)) return Dim{};
    } else if (!out[i].symbol.empty()) {
      --symbols[out[i].symbol];
    } else {
      return Dim{};
    }
  }
  const std::string* left = nullptr;
  for (auto& [name, count] : symbols) {
    if (count < 0 || count > 1 || (count == 1 && left)) return Dim{};
    if (count == 1) left = &name;
  }
  if (outKnown == 0 || inKnown % outKnown != 0) return Dim{};
  int64_t ratio = inKnown / outKnown;
  if (!left) return Dim::known(ratio);
  return ratio == 1 ? Dim::symbolic(*left) : Dim{};
}

// Element counts of a static input and output must agree.
void checkElementCount(RuleContext& ctx, const Shape& in, const Shape& out) {
  if (!isStatic(in) || !isStatic(out)) return;
  Dim a = dimProduct(in, 0, in.size()), b = dimProduct(out, 0, out.size());
  // A product beyond int64 comes back unknown.
  auto count = [](const Dim& d) { return d.isKnown() ? str(d.value) : std::string("more than 2^63"); };
  if (!a.isKnown() || !b.isKnown() || a.value != b.value)
    ctx.fail("cannot reshape " + ctx.describeInput(0) + " (" + count(a) + " elements) to " + shapeToString(out) + " (" +
             count(b) + " elements)");
}

}  // namespace

void inferFlatten(RuleContext& ctx) {
  auto& a = ctx.node.as<AxisAttrs>();
  const Shape& x = ctx.shape(0);
  int64_t r = ctx.rank(0);
  if (a.axis < -r || a.axis > r)
    ctx.fail("axis " + str(a.axis) + " is out of range for " + ctx.describeInput(0));
  if (a.axis < 0) a.axis += r;
  size_t axis = static_cast<size_t>(a.axis);
  ctx.setOutput(0, ctx.in(0)->dtype, {dimProduct(x, 0, axis), dimProduct(x, axis, x.size())});
}

// Target entries: 0 copies the input dim (unless allowzero), -1 is inferred, a symbol from
// symbolicContent stands for itself.
void inferReshape(RuleContext& ctx) {
  const auto& a = ctx.node.as<ReshapeAttrs>();
  ctx.requireInteger(1, "shape");
  ctx.requireRank(1, 1, "shape");
  const Shape& x = ctx.shape(0);
  DType t = ctx.in(0)->dtype;
  auto target = inputContent(ctx, 1);
  if (!target) {
    const Dim& n = ctx.shape(1)[0];
    if (!n.isKnown()) return ctx.setOutputDType(0, t);
    ctx.setOutput(0, t, Shape(static_cast<size_t>(n.value)));
    return;
  }
  Shape out;
  std::optional<size_t> minusOne;
  bool hasZero = false;
  for (size_t i = 0; i < target->size(); ++i) {
    const Dim& e = (*target)[i];
    if (!content::isLiteral(e)) {
      out.push_back(e);
    } else if (e.value == -1) {
      if (minusOne) ctx.fail("shape input '" + ctx.in(1)->name + "' has more than one -1");
      minusOne = i;
      out.push_back(Dim{});
    } else if (e.value < -1) {
      ctx.fail("shape input '" + ctx.in(1)->name + "' has invalid entry " + str(e.value));
    } else if (e.value == 0 && !a.allowZero) {
      if (i >= x.size())
        ctx.fail("shape input '" + ctx.in(1)->name + "' copies dim " + str(i) + " (entry 0) of " +
                 ctx.describeInput(0) + ", which has no such dim");
      out.push_back(x[i]);
    } else {
      hasZero |= e.value == 0;
      out.push_back(Dim::known(e.value));
    }
  }
  if (minusOne && hasZero)
    ctx.fail("shape input '" + ctx.in(1)->name + "' has both 0 and -1 with allowzero=1");
  if (minusOne) {
    bool othersStatic = isStatic(x);
    for (size_t i = 0; i < out.size(); ++i) othersStatic &= i == *minusOne || out[i].isKnown();
    out[*minusOne] = inferMinusOne(x, out, *minusOne);
    if (othersStatic && !out[*minusOne].isKnown())
      ctx.fail("cannot reshape " + ctx.describeInput(0) + " to " + content::toString(*target) +
               ": the element count is not divisible by the other entries");
  }
  checkElementCount(ctx, x, out);
  ctx.setOutput(0, t, out);
  if (out.size() <= 1) ctx.setContent(0, inputContent(ctx, 0));
}

void inferTranspose(RuleContext& ctx) {
  auto& perm = ctx.node.as<TransposeAttrs>().perm;
  const Shape& x = ctx.shape(0);
  if (perm.empty())
    for (size_t i = x.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  std::vector<bool> seen(x.size(), false);
  if (perm.size() != x.size())
    ctx.fail("perm has " + str(perm.size()) + " entries for " + ctx.describeInput(0));
  Shape out;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(x.size()) || seen[p])
      ctx.fail("perm is not a permutation of the axes of " + ctx.describeInput(0));
    seen[p] = true;
    out.push_back(x[p]);
  }
  ctx.setOutput(0, ctx.in(0)->dtype, out);
}

// Inputs: data, pads [begin..., end...] (per axis, or per entry of `axes`), constant_value,
// axes. Negative pads crop.
void inferPad(RuleContext& ctx) {
  const Shape& x = ctx.shape(0);
  int64_t r = ctx.rank(0);
  DType t = ctx.in(0)->dtype;
  if (!ctx.in(1)) ctx.fail("the required input 'pads' (input 1) is missing");
  ctx.requireInteger(1, "pads");
  if (ctx.in(2)) ctx.requireSameDType(0, 2);
  auto pads = inputContent(ctx, 1);
  std::vector<int64_t> axes;
  bool axesKnown = true;
  if (ctx.in(3)) {
    ctx.requireInteger(3, "axes");
    auto c = inputContent(ctx, 3);
    axesKnown = c && content::fullyLiteral(*c);
    if (axesKnown)
      for (int64_t ax : content::literals(*c)) axes.push_back(ctx.normalizeAxis(ax, r, "axes entry"));
  } else {
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  }
  if (!pads || !content::fullyLiteral(*pads) || !axesKnown)
    return ctx.setOutput(0, t, Shape(x.size()));
  std::vector<int64_t> p = content::literals(*pads);
  if (p.size() != 2 * axes.size())
    ctx.fail("pads input '" + ctx.in(1)->name + "' has " + str(p.size()) + " entries, expected " +
             str(2 * axes.size()));
  Shape out = x;
  for (size_t j = 0; j < axes.size(); ++j) {
    Dim& d = out[axes[j]];
    // Pads beyond +-2^40 are refused (as in the evaluator), so the sum cannot wrap.
    for (int64_t v : {p[j], p[j + axes.size()]})
      if (v > (int64_t{1} << 40) || v < -(int64_t{1} << 40))
        ctx.fail("pads entry " + str(v) + " of input '" + ctx.in(1)->name + "' is too large");
    int64_t grow = p[j] + p[j + axes.size()];
    if (d.isKnown() && d.value + grow < 0)
      ctx.fail("pads crop axis " + str(axes[j]) + " of " + ctx.describeInput(0) +
               " below zero");
    d = dimSum(d, Dim::known(grow));
  }
  ctx.setOutput(0, t, out);
}

// Shape: int64 [end - start] with start/end clamped like Python slices; its content is the
// sliced dims, so symbolic extents can be tracked through shape subgraphs.
void inferShape(RuleContext& ctx) {
  const auto& a = ctx.node.as<ShapeAttrs>();
  const Shape& x = ctx.shape(0);
  int64_t r = ctx.rank(0);
  auto clamp = [r](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + r : v, 0, r); };
  int64_t start = clamp(a.start), end = clamp(a.end.value_or(r));
  Shape dims;
  if (start < end) dims.assign(x.begin() + start, x.begin() + end);
  ctx.setOutput(0, DType::I64, {Dim::known(static_cast<int64_t>(dims.size()))});
  ctx.setContent(0, content::fromShape(dims));
}

}  // namespace kiln::shape
