// Sliding-window arithmetic shared by Conv and the pools.
//
// Per spatial axis with input extent `in`, kernel k, stride s, dilation d and pads (b, e):
//   effective kernel  ek  = d * (k - 1) + 1
//   output            out = floor((in + b + e - ek) / s) + 1        (ceil with ceil_mode,
//                     dropping a last window that would start in the end padding)
// auto_pad SAME_* picks out = ceil(in / s) and total = max(0, (out - 1) * s + ek - in) split
// as b = total / 2 (SAME_UPPER, extra at the end) or e = total / 2 (SAME_LOWER). With s = 1
// total is ek - 1 whatever `in` is, so pads resolve even for a symbolic extent.
#include "shape_rules.h"

namespace kiln::shape {

namespace {

void fillDefault(RuleContext& ctx, std::vector<int64_t>& v, size_t n, int64_t dflt,
                 int64_t minValue, const char* name) {
  if (v.empty()) v.assign(n, dflt);
  if (v.size() != n)
    ctx.fail(std::string(name) + " has " + std::to_string(v.size()) + " entries, expected " +
             std::to_string(n));
  for (int64_t x : v)
    if (x < minValue)
      ctx.fail(std::string(name) + " entry " + std::to_string(x) + " must be >= " +
               std::to_string(minValue));
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

template <typename A> void normalizeWindow(RuleContext& ctx, A& a, size_t k) {
  fillDefault(ctx, a.kernelShape, k, 1, 1, "kernel_shape");
  fillDefault(ctx, a.strides, k, 1, 1, "strides");
  fillDefault(ctx, a.dilations, k, 1, 1, "dilations");
  fillDefault(ctx, a.pads, 2 * k, 0, 0, "pads");
}

template <typename A>
Shape windowOutput(RuleContext& ctx, A& a, const Shape& in, bool ceilMode) {
  size_t k = in.size();
  Shape out(k);
  bool allResolved = true;
  for (size_t i = 0; i < k; ++i) {
    int64_t s = a.strides[i];
    int64_t ek = a.dilations[i] * (a.kernelShape[i] - 1) + 1;
    const Dim& x = in[i];
    if (a.autoPad == AutoPad::Valid) {
      a.pads[i] = a.pads[i + k] = 0;
    } else if (a.autoPad == AutoPad::SameUpper || a.autoPad == AutoPad::SameLower) {
      if (!x.isKnown() && s != 1) {
        out[i] = Dim{};
        allResolved = false;
        continue;
      }
      int64_t total = x.isKnown() ? std::max<int64_t>(0, (ceilDiv(x.value, s) - 1) * s + ek - x.value)
                                  : ek - 1;
      int64_t small = total / 2;
      bool upper = a.autoPad == AutoPad::SameUpper;
      a.pads[i] = upper ? small : total - small;
      a.pads[i + k] = upper ? total - small : small;
    }
    int64_t padded = a.pads[i] + a.pads[i + k];
    if (!x.isKnown()) {
      out[i] = (s == 1 && padded == ek - 1) ? x : Dim{};
      continue;
    }
    int64_t span = x.value + padded - ek;
    if (span < 0)
      ctx.fail("kernel extent " + std::to_string(ek) + " on spatial axis " + std::to_string(i) +
               " exceeds the padded input extent " + std::to_string(x.value + padded) + " of " +
               ctx.describeInput(0));
    int64_t n = (ceilMode ? ceilDiv(span, s) : span / s) + 1;
    if (ceilMode && (n - 1) * s >= x.value + a.pads[i]) --n;
    out[i] = Dim::known(n);
  }
  if (allResolved) a.autoPad = AutoPad::NotSet;
  return out;
}

template void normalizeWindow<ConvAttrs>(RuleContext&, ConvAttrs&, size_t);
template void normalizeWindow<PoolAttrs>(RuleContext&, PoolAttrs&, size_t);
template Shape windowOutput<ConvAttrs>(RuleContext&, ConvAttrs&, const Shape&, bool);
template Shape windowOutput<PoolAttrs>(RuleContext&, PoolAttrs&, const Shape&, bool);

}  // namespace kiln::shape
