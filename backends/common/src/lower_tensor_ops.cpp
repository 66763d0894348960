// Expand, Tile, ConstantOfShape, Slice and Split: kernels whose value is a load at an affine
// (or modular) index, or a constant. Their parameters must be known at compile time.
#include "kiln/ir/slice_plan.h"
#include "lower.h"

namespace kiln::plan {

void lowerExpand(LowerCtx& c) {
  const std::optional<std::vector<Poly>> target = c.shapeValue(1);
  if (!target) c.unsupported("the target shape (input '" + c.node.input(1)->name + "') must be known at compile time");
  auto s = broadcastShape(c.shape(0), *target);
  if (!s) c.unsupported("the input shape does not broadcast to the target shape");
  const int y = c.output(0, *s);
  c.elementwise("", y, *s, [&](const std::vector<Expr>& v) { return c.ldBroadcast(0, v); });
}

void lowerTile(LowerCtx& c) {
  const std::vector<Poly> s = c.shape(0);
  const std::vector<int64_t> reps = c.constInts(1);
  if (reps.size() != s.size()) c.unsupported("repeats must have one entry per axis");
  std::vector<Poly> out;
  for (size_t d = 0; d < s.size(); ++d) out.push_back(s[d] * Poly(reps[d]));
  const int y = c.output(0, out);
  c.elementwise("", y, out, [&](const std::vector<Expr>& v) {
    std::vector<Expr> idx;
    for (size_t d = 0; d < s.size(); ++d) idx.push_back(reps[d] == 1 ? v[d] : mod(v[d], size(s[d])));
    return c.ldIn(0, idx);
  });
}

// Reached only when the shape input is not a constant (else constant folding made the
// output a constant): its contents must still be known extents.
void lowerConstantOfShape(LowerCtx& c) {
  const ConstantOfShapeAttrs& a = c.node.as<ConstantOfShapeAttrs>();
  const std::optional<std::vector<Poly>> s = c.shapeValue(0);
  if (!s)
    c.unsupported("the shape input '" + c.node.input(0)->name +
                  "' must be a constant or a known shape (e.g. from Shape) at compile time");
  const int y = c.output(0, *s, a.dtype);
  c.elementwise("", y, *s, [&](const std::vector<Expr>&) { return isFloat(a.dtype) ? constF(a.value) : constI(a.intValue); });
}

void lowerSlice(LowerCtx& c) {
  const std::vector<Poly> s = c.shape(0);
  const std::vector<int64_t> axesIn = c.has(3) ? c.constInts(3) : std::vector<int64_t>{};
  const std::vector<int64_t> stepsIn = c.has(4) ? c.constInts(4) : std::vector<int64_t>{};
  std::vector<SliceAxis> axes;
  if (auto err = planSlice(c.constInts(1), c.constInts(2), c.has(3) ? &axesIn : nullptr, c.has(4) ? &stepsIn : nullptr,
                           static_cast<int64_t>(s.size()), axes))
    c.unsupported(*err);
  std::vector<Poly> out = s;
  std::vector<int64_t> start(s.size(), 0), step(s.size(), 1);
  for (const SliceAxis& a : axes) {
    if (a.whole()) continue;
    const SliceRange r = sliceRange(a, c.staticDim(0, static_cast<size_t>(a.axis)));
    out[a.axis] = Poly(r.count), start[a.axis] = r.start, step[a.axis] = a.step;
  }
  const int y = c.output(0, out);
  c.elementwise("", y, out, [&](const std::vector<Expr>& v) {
    std::vector<Expr> idx;
    for (size_t d = 0; d < s.size(); ++d) idx.push_back(add(constI(start[d]), mul(v[d], constI(step[d]))));
    return c.ldIn(0, idx);
  });
}

// One kernel per used output, reading its block at the running offset along the axis.
void lowerSplit(LowerCtx& c) {
  const SplitAttrs& a = c.node.as<SplitAttrs>();
  const std::vector<Poly> s = c.shape(0);
  const int64_t axis = a.axis < 0 ? a.axis + static_cast<int64_t>(s.size()) : a.axis;
  std::vector<int64_t> sizes;
  if (c.has(1)) {
    sizes = c.constInts(1);
  } else {
    auto eq = equalSplit(c.staticDim(0, static_cast<size_t>(axis)), a.numOutputs);
    if (!eq) c.unsupported("the axis does not split into " + std::to_string(a.numOutputs) + " parts");
    sizes = *eq;
  }
  if (sizes.size() != c.node.outputs.size()) c.unsupported("one split size per output is needed");
  int64_t offset = 0;
  for (size_t o = 0; o < sizes.size(); ++o) {
    const int64_t off = offset;
    offset += sizes[o];
    if (!c.wantsOutput(o)) continue;
    std::vector<Poly> part = s;
    part[axis] = Poly(sizes[o]);
    const int y = c.output(o, part);
    c.elementwise("part" + std::to_string(o), y, part, [&](const std::vector<Expr>& v) {
      std::vector<Expr> idx = v;
      idx[axis] = add(v[axis], constI(off));
      return c.ldIn(0, idx);
    });
  }
}

}  // namespace kiln::plan
