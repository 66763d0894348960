// Transpose, Pad, Concat and Gather: kernels whose value is a load at a computed index.
#include "lower.h"

namespace kiln::plan {

void lowerTranspose(LowerCtx& c) {
  const std::vector<Poly> s = c.shape(0);
  std::vector<int64_t> perm = c.node.as<TransposeAttrs>().perm;
  if (perm.empty())
    for (size_t i = s.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  std::vector<Poly> out;
  for (int64_t p : perm) out.push_back(s.at(static_cast<size_t>(p)));
  const int y = c.output(0, out);
  c.elementwise("", y, out, [&](const std::vector<Expr>& v) {
    std::vector<Expr> idx(s.size());
    for (size_t i = 0; i < perm.size(); ++i) idx[static_cast<size_t>(perm[i])] = v[i];
    return c.ldIn(0, idx);
  });
}

// Per axis: negative pads crop, positive ones pad the cropped extent `kept`; the output index
// o maps to i = o - padBegin inside [0, kept) by the mode, then to input index i + crop.
void lowerPad(LowerCtx& c) {
  const PadMode mode = c.node.as<PadAttrs>().mode;
  const std::vector<Poly> s = c.shape(0);
  const int64_t r = static_cast<int64_t>(s.size());
  const std::vector<int64_t> pads = c.constInts(1);
  std::vector<int64_t> axes;
  if (c.has(3)) {
    for (int64_t a : c.constInts(3)) axes.push_back(a < 0 ? a + r : a);
  } else {
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  }
  if (pads.size() != 2 * axes.size()) c.unsupported("pads must have 2 values per padded axis");
  std::vector<int64_t> begin(s.size(), 0), end(s.size(), 0);
  for (size_t i = 0; i < axes.size(); ++i) begin[axes[i]] = pads[i], end[axes[i]] = pads[axes.size() + i];

  std::vector<Poly> out(s.size()), kept(s.size());
  for (size_t d = 0; d < s.size(); ++d) {
    kept[d] = s[d] - Poly(std::max<int64_t>(0, -begin[d]) + std::max<int64_t>(0, -end[d]));
    out[d] = kept[d] + Poly(std::max<int64_t>(0, begin[d]) + std::max<int64_t>(0, end[d]));
  }
  const bool isF = isFloat(c.dtype(0));
  Expr fill = isF ? constF(0) : constI(0);
  if (c.has(2) && c.constant(2) && c.constant(2)->size() > 0)
    fill = isF ? constF(c.constant(2)->getDouble(0)) : constI(c.constant(2)->getInt(0));
  else if (c.has(2) && !c.constant(2))
    fill = c.ldScalar(2);

  const int y = c.output(0, out);
  c.elementwise("", y, out, [&](const std::vector<Expr>& v) {
    std::vector<Expr> idx;
    Expr inside;
    for (size_t d = 0; d < s.size(); ++d) {
      if (begin[d] == 0 && end[d] == 0) {
        idx.push_back(v[d]);
        continue;
      }
      Expr i = sub(v[d], constI(std::max<int64_t>(0, begin[d])));
      const Expr n = size(kept[d]);
      switch (mode) {
        case PadMode::Constant: inside = land(inside, inRange(i, n)); break;
        case PadMode::Edge: i = minE(maxE(i, constI(0)), sub(n, constI(1))); break;
        case PadMode::Wrap: i = mod(i, n); break;
        case PadMode::Reflect: {  // mirror without repeating the edge, period 2*(kept-1)
          const Expr period = maxE(mul(constI(2), sub(n, constI(1))), constI(1));
          const Expr m = mod(i, period);
          i = select(lt(m, n), m, sub(period, m));
          break;
        }
      }
      idx.push_back(add(i, constI(std::max<int64_t>(0, -begin[d]))));
    }
    return select(inside, c.ldIn(0, idx), fill);
  });
}

// One kernel per input, each storing its block at the running offset along the axis.
void lowerConcat(LowerCtx& c) {
  const std::vector<Poly> first = c.shape(0);
  int64_t axis = c.node.as<AxisAttrs>().axis;
  if (axis < 0) axis += static_cast<int64_t>(first.size());
  std::vector<Poly> out = first;
  out[axis] = 0;
  for (size_t k = 0; k < c.node.inputs.size(); ++k) out[axis] = out[axis] + c.shape(k)[axis];
  const int y = c.output(0, out);
  Poly offset = 0;
  for (size_t k = 0; k < c.node.inputs.size(); ++k) {
    Kernel kk;
    kk.domain = c.shape(k);
    kk.value = c.ldIn(k, vars(kk.domain.size()));
    kk.out = y;
    kk.store = vars(kk.domain.size());
    kk.store[axis] = add(kk.store[axis], size(offset));
    offset = offset + c.shape(k)[axis];
    c.kernel("part" + std::to_string(k), std::move(kk));
  }
}

// out = data[:axis] + indices.shape + data[axis+1:]; negative indices count from the end.
// An index outside [-n, n-1] fails the run (a RangeCheck before the kernel), as in the
// reference evaluator.
void lowerGather(LowerCtx& c) {
  const std::vector<Poly> s = c.shape(0), is = c.shape(1);
  int64_t axis = c.node.as<AxisAttrs>().axis;
  if (axis < 0) axis += static_cast<int64_t>(s.size());
  std::vector<Poly> out(s.begin(), s.begin() + axis);
  out.insert(out.end(), is.begin(), is.end());
  out.insert(out.end(), s.begin() + axis + 1, s.end());
  const int y = c.output(0, out);
  c.elementwise("", y, out, [&](const std::vector<Expr>& v) {
    const std::vector<Expr> ii(v.begin() + axis, v.begin() + axis + is.size());
    const Expr n = size(s[axis]);
    Expr i = c.ldIn(1, ii);
    i = select(lt(i, constI(0)), add(i, n), i);  // in range: the check below ran first
    std::vector<Expr> idx(v.begin(), v.begin() + axis);
    idx.push_back(i);
    idx.insert(idx.end(), v.begin() + axis + is.size(), v.end());
    return c.ldIn(0, idx);
  });
  const Poly& n = s[static_cast<size_t>(axis)];
  c.prog.kernels.back().checks.push_back(
      {c.in(1), Poly(0) - n, n - Poly(1),
       c.node.describe() + ": an index in input '" + c.node.input(1)->name + "' is out of range [-n, n-1] for n = " +
           n.str(c.prog.symbols) + " (axis " + std::to_string(axis) + " of input '" + c.node.input(0)->name + "')"});
}

}  // namespace kiln::plan
