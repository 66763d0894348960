// Sliding-window shape rules shared by Conv and the pools; the per-axis arithmetic is in
// kiln/ir/window.h. With stride 1 SAME padding totals ek - 1 whatever `in` is, so pads
// resolve even for a symbolic extent.
#include "kiln/ir/window.h"
#include "shape_rules.h"

namespace kiln::shape {

namespace {

// Window attributes (kernel, stride, dilation, pads) up to 2^31 keep every window
// computation below 2^63 for extents up to kMaxTensorElements (2^48): the dilated kernel is
// at most 2^62, the padded extent at most 2^48 + 2^32 (as in the evaluator's eval_window.cpp).
constexpr int64_t kMaxWindowAttr = int64_t{1} << 31;

void fillDefault(RuleContext& ctx, std::vector<int64_t>& v, size_t n, int64_t dflt,
                 int64_t minValue, const char* name) {
  if (v.empty()) v.assign(n, dflt);
  if (v.size() != n)
    ctx.fail(std::string(name) + " has " + std::to_string(v.size()) + " entries, expected " +
             std::to_string(n));
  for (int64_t x : v) {
    if (x < minValue)
      ctx.fail(std::string(name) + " entry " + std::to_string(x) + " must be >= " +
               std::to_string(minValue));
    if (x > kMaxWindowAttr)
      ctx.fail(std::string(name) + " entry " + std::to_string(x) + " is too large (at most 2^31)");
  }
}

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
    int64_t ek = dilatedKernelExtent(a.kernelShape[i], a.dilations[i]);
    const Dim& x = in[i];
    if (a.autoPad == AutoPad::Valid) {
      a.pads[i] = a.pads[i + k] = 0;
    } else if (a.autoPad == AutoPad::SameUpper || a.autoPad == AutoPad::SameLower) {
      if (!x.isKnown() && s != 1) {
        out[i] = Dim{};
        allResolved = false;
        continue;
      }
      bool upper = a.autoPad == AutoPad::SameUpper;
      auto [b, e] = x.isKnown() ? samePads(x.value, a.kernelShape[i], s, a.dilations[i], upper)
                                : samePads(1, a.kernelShape[i], 1, a.dilations[i], upper);
      a.pads[i] = b;
      a.pads[i + k] = e;
    }
    int64_t padded = a.pads[i] + a.pads[i + k];
    if (!x.isKnown()) {
      out[i] = (s == 1 && padded == ek - 1) ? x : Dim{};
      continue;
    }
    std::optional<int64_t> n = windowOutputExtent(x.value, a.pads[i], a.pads[i + k],
                                                  a.kernelShape[i], s, a.dilations[i], ceilMode);
    if (!n)
      ctx.fail("kernel extent " + std::to_string(ek) + " on spatial axis " + std::to_string(i) +
               " exceeds the padded input extent " + std::to_string(x.value + padded) + " of " +
               ctx.describeInput(0));
    out[i] = Dim::known(*n);
  }
  if (allResolved) a.autoPad = AutoPad::NotSet;
  return out;
}

template void normalizeWindow<ConvAttrs>(RuleContext&, ConvAttrs&, size_t);
template void normalizeWindow<PoolAttrs>(RuleContext&, PoolAttrs&, size_t);
template Shape windowOutput<ConvAttrs>(RuleContext&, ConvAttrs&, const Shape&, bool);
template Shape windowOutput<PoolAttrs>(RuleContext&, PoolAttrs&, const Shape&, bool);

}  // namespace kiln::shape
