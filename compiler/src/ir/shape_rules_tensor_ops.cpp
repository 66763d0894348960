// Shape-building ops: Expand, Tile, ConstantOfShape, Slice and Split. Their parameters are
// integer inputs; the output extents are known where those inputs' contents are.
#include "kiln/ir/slice_plan.h"
#include "kiln/support/checked_math.h"
#include "shape_rules.h"

namespace kiln::shape {

namespace {

// Literal contents of integer input i, nullopt when unknown or symbolic.
std::optional<std::vector<int64_t>> literalInput(RuleContext& ctx, size_t i) {
  auto c = inputContent(ctx, i);
  if (!c || !content::fullyLiteral(*c)) return std::nullopt;
  return content::literals(*c);
}

// The element count of a 1-D parameter input when known.
std::optional<int64_t> length(RuleContext& ctx, size_t i, const char* role) {
  ctx.requireInteger(i, role);
  if (ctx.rank(i) != 1) ctx.fail(ctx.describeInput(i, role) + " must be 1-D");
  const Dim& n = ctx.shape(i)[0];
  return n.isKnown() ? std::optional<int64_t>(n.value) : std::nullopt;
}

}  // namespace

// Output = numpy broadcast of the input's shape with the `shape` input's contents.
void inferExpand(RuleContext& ctx) {
  const DType t = ctx.in(0)->dtype;
  const std::optional<int64_t> n = length(ctx, 1, "shape");
  auto target = inputContent(ctx, 1);
  if (!target) return n ? ctx.setOutput(0, t, Shape(static_cast<size_t>(std::max(*n, ctx.rank(0))))) : ctx.setOutputDType(0, t);
  for (const Dim& d : *target)
    if (content::isLiteral(d) && d.value < 0) ctx.fail("shape input '" + ctx.in(1)->name + "' has negative entry " + str(d.value));
  auto s = broadcastShapes(ctx.shape(0), *target);
  if (!s) ctx.fail("cannot expand " + ctx.describeInput(0) + " to " + content::toString(*target));
  ctx.setOutput(0, t, *s);
}

// out[d] = x[d] * repeats[d].
void inferTile(RuleContext& ctx) {
  const DType t = ctx.in(0)->dtype;
  const std::optional<int64_t> n = length(ctx, 1, "repeats");
  if (n && *n != ctx.rank(0))
    ctx.fail(ctx.describeInput(1, "repeats") + " must have one entry per axis of " + ctx.describeInput(0));
  auto reps = literalInput(ctx, 1);
  if (!reps) return ctx.setOutput(0, t, Shape(ctx.shape(0).size()));
  Shape out;
  for (size_t d = 0; d < reps->size(); ++d) {
    const int64_t r = (*reps)[d];
    if (r < 0) ctx.fail("repeats input '" + ctx.in(1)->name + "' has negative entry " + str(r));
    const Dim& x = ctx.shape(0)[d];
    std::optional<int64_t> v = x.isKnown() ? checkedMul(x.value, r) : std::nullopt;
    out.push_back(v ? Dim::known(*v) : r == 1 ? x : Dim{});
  }
  ctx.setOutput(0, t, out);
}

// Output shape = the input's contents; dtype from the value attribute.
void inferConstantOfShape(RuleContext& ctx) {
  const DType t = ctx.node.as<ConstantOfShapeAttrs>().dtype;
  const std::optional<int64_t> n = length(ctx, 0, "shape");
  auto target = inputContent(ctx, 0);
  if (!target) return n ? ctx.setOutput(0, t, Shape(static_cast<size_t>(*n))) : ctx.setOutputDType(0, t);
  for (const Dim& d : *target)
    if (content::isLiteral(d) && d.value < 0) ctx.fail("shape input '" + ctx.in(0)->name + "' has negative entry " + str(d.value));
  ctx.setOutput(0, t, *target);
}

// Inputs: data, starts, ends, axes?, steps?. A sliced axis of unknown extent stays unknown
// unless the slice keeps it whole.
void inferSlice(RuleContext& ctx) {
  const DType t = ctx.in(0)->dtype;
  const Shape& x = ctx.shape(0);
  const char* roles[] = {"data", "starts", "ends", "axes", "steps"};
  std::optional<std::vector<int64_t>> params[5];
  bool known = true;
  for (size_t i = 1; i < 5; ++i) {
    if (!ctx.in(i)) continue;
    length(ctx, i, roles[i]);
    params[i] = literalInput(ctx, i);
    known &= params[i].has_value();
  }
  if (!known) return ctx.setOutput(0, t, Shape(x.size()));
  std::vector<SliceAxis> axes;
  if (auto err = planSlice(*params[1], *params[2], params[3] ? &*params[3] : nullptr, params[4] ? &*params[4] : nullptr,
                           ctx.rank(0), axes))
    ctx.fail(*err);
  Shape out = x;
  for (const SliceAxis& a : axes) {
    const Dim& d = x[static_cast<size_t>(a.axis)];
    if (d.isKnown()) out[a.axis] = Dim::known(sliceRange(a, d.value).count);
    else if (!a.whole()) out[a.axis] = Dim{};
  }
  ctx.setOutput(0, t, out);
  // A slice of a shape vector (x.shape[2:]) keeps its content.
  auto c = inputContent(ctx, 0);
  if (c && x.size() == 1 && !axes.empty()) {
    const SliceRange r = sliceRange(axes[0], static_cast<int64_t>(c->size()));
    content::Content sliced;
    for (int64_t i = 0; i < r.count; ++i) sliced.push_back((*c)[static_cast<size_t>(r.start + i * axes[0].step)]);
    ctx.setContent(0, sliced);
  }
}

// Parts along `axis`: the sizes of input 1, or numOutputs equal parts (the last smaller).
void inferSplit(RuleContext& ctx) {
  auto& a = ctx.node.as<SplitAttrs>();
  a.axis = ctx.normalizeAxis(a.axis, ctx.rank(0), "axis");
  const DType t = ctx.in(0)->dtype;
  const Shape& x = ctx.shape(0);
  const Dim& d = x[static_cast<size_t>(a.axis)];
  const size_t outs = ctx.node.outputs.size();
  std::optional<std::vector<int64_t>> sizes;
  if (ctx.in(1)) {
    length(ctx, 1, "split");
    sizes = literalInput(ctx, 1);
    if (sizes) {
      int64_t total = 0;
      for (int64_t s : *sizes) {
        if (s < 0) ctx.fail("split input '" + ctx.in(1)->name + "' has negative entry " + str(s));
        total += s;
      }
      if (sizes->size() != outs)
        ctx.fail("split input '" + ctx.in(1)->name + "' has " + str(static_cast<int64_t>(sizes->size())) +
                 " entries for " + str(static_cast<int64_t>(outs)) + " outputs");
      if (d.isKnown() && total != d.value)
        ctx.fail("split sizes add up to " + str(total) + ", not to the extent " + str(d.value) + " of axis " +
                 str(a.axis) + " of " + ctx.describeInput(0));
    }
  } else {
    if (a.numOutputs != static_cast<int64_t>(outs))
      ctx.fail("num_outputs " + str(a.numOutputs) + " but the node has " + str(static_cast<int64_t>(outs)) + " outputs");
    if (d.isKnown()) {
      sizes = equalSplit(d.value, a.numOutputs);
      if (!sizes)
        ctx.fail("cannot split axis " + str(a.axis) + " of " + ctx.describeInput(0) + " into " + str(a.numOutputs) + " parts");
    }
  }
  for (size_t o = 0; o < outs; ++o) {
    Shape s = x;
    s[static_cast<size_t>(a.axis)] = sizes ? Dim::known((*sizes)[o]) : Dim{};
    ctx.setOutput(o, t, s);
  }
}

}  // namespace kiln::shape
