// Ops that only reinterpret the shape (Flatten, Reshape, Squeeze, Unsqueeze, Identity,
// Dropout in inference) become buffer aliases; Shape becomes a tiny int64 kernel.
#include "lower.h"
#include "kiln/support/error.h"

namespace kiln::plan {

namespace {

std::vector<bool> axisMask(LowerCtx& c, const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<bool> mask(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    const int64_t n = a < 0 ? a + rank : a;
    if (n < 0 || n >= rank) c.unsupported("axis " + std::to_string(a) + " out of range");
    mask[static_cast<size_t>(n)] = true;
  }
  return mask;
}

}  // namespace

void lowerFlatten(LowerCtx& c) {
  const std::vector<Poly> s = c.shape(0);
  int64_t axis = c.node.as<AxisAttrs>().axis;
  if (axis < 0) axis += static_cast<int64_t>(s.size());
  const std::span<const Poly> all(s);
  c.alias(0, c.in(0), {product(all.first(axis)), product(all.subspan(axis))});
}

// Target entries: 0 copies the input dim (unless allowzero), one -1 is inferred; the target
// is a constant or symbolic content (symbols that are bound input dims).
void lowerReshape(LowerCtx& c) {
  const std::vector<Poly> s = c.shape(0);
  std::vector<Poly> out;
  std::vector<bool> literal;
  if (c.constant(1)) {
    for (int64_t v : c.constInts(1)) out.emplace_back(v), literal.push_back(true);
  } else if (const auto& content = c.node.input(1)->symbolicContent) {
    for (const Dim& d : *content) {
      if (d.symbol.empty()) {
        out.emplace_back(d.value), literal.push_back(true);
        continue;
      }
      auto it = std::find(c.prog.symbols.begin(), c.prog.symbols.end(), d.symbol);
      if (it == c.prog.symbols.end()) c.unsupported("target dim '" + d.symbol + "' is not an input dim");
      out.push_back(Poly::symbol(static_cast<int>(it - c.prog.symbols.begin())));
      literal.push_back(false);
    }
  } else {
    c.unsupported("the target shape must be known at compile time");
  }
  const bool allowZero = c.node.as<ReshapeAttrs>().allowZero;
  int minusOne = -1;
  Poly known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (literal[i] && out[i] == Poly(-1)) {
      minusOne = static_cast<int>(i);
      continue;
    }
    if (literal[i] && out[i] == Poly(0) && !allowZero) out[i] = s.at(i);
    known = known * out[i];
  }
  if (minusOne >= 0) {
    auto q = product(s).divExact(known);
    if (!q) c.unsupported("cannot infer the -1 entry symbolically");
    out[static_cast<size_t>(minusOne)] = *q;
  }
  c.alias(0, c.in(0), out);
}

void lowerIdentity(LowerCtx& c) { c.alias(0, c.in(0), c.shape(0)); }

// Inference dropout: identity, mask all ones.
void lowerDropout(LowerCtx& c) {
  const bool training = c.has(2) && (!c.constant(2) || c.constant(2)->getDouble(0) != 0.0);
  const double ratio = c.has(1) ? (c.constant(1) ? c.constant(1)->getDouble(0) : 1.0) : 0.5;
  if (training && ratio != 0.0) c.unsupported("training-mode dropout is random");
  c.alias(0, c.in(0), c.shape(0));
  if (c.wantsOutput(1)) {
    const int mask = c.output(1, c.shape(0), DType::Bool);
    c.elementwise("mask", mask, c.shape(0), [](const std::vector<Expr>&) { return constI(1); });
  }
}

void lowerUnsqueeze(LowerCtx& c) {
  const std::vector<Poly> s = c.shape(0);
  const std::vector<int64_t> axes = c.constInts(1);
  const int64_t outRank = static_cast<int64_t>(s.size() + axes.size());
  const std::vector<bool> inserted = axisMask(c, axes, outRank);
  std::vector<Poly> out;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i) out.push_back(inserted[i] ? Poly(1) : s[next++]);
  c.alias(0, c.in(0), out);
}

void lowerSqueeze(LowerCtx& c) {
  const std::vector<Poly> s = c.shape(0);
  const std::vector<int64_t> axes = c.has(1) ? c.constInts(1) : std::vector<int64_t>{};
  std::vector<bool> drop = axisMask(c, axes, static_cast<int64_t>(s.size()));
  std::vector<Poly> out;
  for (size_t i = 0; i < s.size(); ++i)
    if (!(axes.empty() ? s[i] == Poly(1) : drop[i])) out.push_back(s[i]);
  c.alias(0, c.in(0), out);
}

// Shape[start:end] as int64 values computed from the symbols.
void lowerShape(LowerCtx& c) {
  const ShapeAttrs& at = c.node.as<ShapeAttrs>();
  const std::vector<Poly> s = c.shape(0);
  const int64_t r = static_cast<int64_t>(s.size());
  auto clampEnd = [r](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + r : v, 0, r); };
  const int64_t start = clampEnd(at.start), end = std::max(start, clampEnd(at.end.value_or(r)));
  const int out = c.output(0, {Poly(end - start)}, DType::I64);
  c.elementwise("", out, {Poly(end - start)}, [&](const std::vector<Expr>& v) {
    Expr e = constI(0);
    for (int64_t i = start; i < end; ++i) e = select(eq(v[0], constI(i - start)), size(s[i]), e);
    return e;
  });
}

}  // namespace kiln::plan
