// Conv and ConvTranspose.
//   Conv:          X [N, C, D...], W [M, C/group, k...], B [M]        -> [N, M, out...]
//   ConvTranspose: X [N, C, D...], W [C, M/group, k...], B [M]        -> [N, M, out...]
#include "kiln/support/error.h"
#include "kiln/support/checked_math.h"
#include "shape_rules.h"

namespace kiln::shape {

namespace {

// Shared checks; returns the number of spatial axes. kernelShape is taken from W when absent
// and checked against it when given.
size_t checkConvOperands(RuleContext& ctx, ConvAttrs& a) {
  for (size_t i = 0; i < 3; ++i) ctx.requireFloat(i, i == 0 ? "input" : i == 1 ? "weight" : "bias");
  ctx.requireSameDType(0, 1);
  ctx.requireSameDType(0, 2);
  ctx.requireMinRank(0, 3);
  if (ctx.rank(1) != ctx.rank(0))
    ctx.fail(ctx.describeInput(1, "weight") + " must have the rank of " + ctx.describeInput(0));
  if (a.group < 1) ctx.fail("group " + str(a.group) + " must be >= 1");
  if (a.group > (int64_t{1} << 31)) ctx.fail("group " + str(a.group) + " is too large (at most 2^31)");
  size_t k = ctx.shape(0).size() - 2;
  const Shape& w = ctx.shape(1);
  if (a.kernelShape.empty()) {
    for (size_t i = 0; i < k; ++i) {
      if (!w[2 + i].isKnown())
        ctx.fail("kernel_shape is absent and " + ctx.describeInput(1, "weight") +
                 " has unknown spatial extents");
      a.kernelShape.push_back(w[2 + i].value);
    }
  }
  if (a.kernelShape.size() != k)
    ctx.fail("kernel_shape has " + str(a.kernelShape.size()) + " entries, expected " + str(k));
  for (size_t i = 0; i < k; ++i)
    if (w[2 + i].isKnown() && w[2 + i].value != a.kernelShape[i])
      ctx.fail("kernel_shape entry " + str(a.kernelShape[i]) + " disagrees with " +
               ctx.describeInput(1, "weight"));
  normalizeWindow(ctx, a, k);
  return k;
}

// Weight dim 1 times group: Conv's input channels, ConvTranspose's output channels.
Dim groupedChannels(RuleContext& ctx, const ConvAttrs& a) {
  const Dim& w1 = ctx.shape(1)[1];
  if (!w1.isKnown()) return Dim{};
  const std::optional<int64_t> c = checkedMul(w1.value, a.group);
  if (!c) ctx.fail(ctx.describeInput(1, "weight") + " times group " + str(a.group) + " overflows int64");
  return Dim::known(*c);
}

void checkBias(RuleContext& ctx, const Dim& outChannels) {
  if (!ctx.in(2)) return;
  ctx.requireRank(2, 1, "bias");
  if (!unifyDims(ctx.shape(2)[0], outChannels))
    ctx.fail(ctx.describeInput(2, "bias") + " must have " + str(outChannels.value) +
             " elements, one per output channel");
}

// Splits ConvTranspose padding `total` of axis i (floor division, as the ONNX reference
// does). A negative end pad (the requested output is longer than the natural one) becomes
// output_padding, which extends the end the same way.
void setTransposePads(RuleContext& ctx, ConvAttrs& a, size_t i, size_t k, int64_t total) {
  int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
  bool upper = a.autoPad == AutoPad::SameUpper;
  int64_t begin = upper ? half : total - half;
  int64_t end = total - begin;
  if (begin < 0)
    throw Error(ErrorCode::Unsupported,
                ctx.node.describe() + ": the requested output extent on spatial axis " + str(i) +
                    " needs negative padding " + str(begin) + " at the start");
  if (end < 0) {
    a.outputPadding[i] -= end;
    end = 0;
  }
  a.pads[i] = begin;
  a.pads[i + k] = end;
}

Shape spatialOf(const Shape& x) { return Shape(x.begin() + 2, x.end()); }

}  // namespace

void inferConv(RuleContext& ctx) {
  auto& a = ctx.node.as<ConvAttrs>();
  checkConvOperands(ctx, a);
  const Shape& x = ctx.shape(0);
  const Shape& w = ctx.shape(1);
  const Dim inChannels = groupedChannels(ctx, a);
  if (x[1].isKnown() && inChannels.isKnown() && x[1].value != inChannels.value)
    ctx.fail(ctx.describeInput(0) + " has " + str(x[1].value) + " channels but " +
             ctx.describeInput(1, "weight") + " with group " + str(a.group) + " expects " + str(inChannels.value));
  if (w[0].isKnown() && w[0].value % a.group != 0)
    ctx.fail(ctx.describeInput(1, "weight") + " has " + str(w[0].value) +
             " output channels, not divisible by group " + str(a.group));
  checkBias(ctx, w[0]);
  Shape out{x[0], w[0]};
  Shape spatial = windowOutput(ctx, a, spatialOf(x), false);
  out.insert(out.end(), spatial.begin(), spatial.end());
  ctx.setOutput(0, ctx.in(0)->dtype, out);
}

// ConvTranspose, per spatial axis (ek = d * (k - 1) + 1, op = output_padding):
//   out = s * (in - 1) + op + ek - b - e
// output_shape (or auto_pad SAME_*, which asks for out = in * s) fixes `out` instead and the
// pads follow: total = s * (in - 1) + op + ek - out, split with the extra element at the
// start unless SAME_UPPER. For SAME_* total = op + ek - s does not depend on `in`.
void inferConvTranspose(RuleContext& ctx) {
  auto& a = ctx.node.as<ConvAttrs>();
  size_t k = checkConvOperands(ctx, a);
  const Shape& x = ctx.shape(0);
  const Shape& w = ctx.shape(1);
  if (!unifyDims(x[1], w[0]))
    ctx.fail(ctx.describeInput(0) + " has " + str(x[1].value) + " channels but " +
             ctx.describeInput(1, "weight") + " expects " + str(w[0].value));
  const Dim channels = groupedChannels(ctx, a);
  checkBias(ctx, channels);
  if (a.outputPadding.empty()) a.outputPadding.assign(k, 0);
  if (a.outputPadding.size() != k)
    ctx.fail("output_padding has " + str(a.outputPadding.size()) + " entries, expected " + str(k));
  std::vector<int64_t> target = a.outputShape;
  if (target.size() == k + 2) target.erase(target.begin(), target.begin() + 2);
  if (!target.empty() && target.size() != k)
    ctx.fail("output_shape has " + str(a.outputShape.size()) + " entries, expected " + str(k));

  bool same = a.autoPad == AutoPad::SameUpper || a.autoPad == AutoPad::SameLower;
  bool resolved = true;
  const ConvAttrs given = a;  // restored if some axis cannot be resolved yet
  Shape out{x[0], channels};
  for (size_t i = 0; i < k; ++i) {
    int64_t s = a.strides[i], op = a.outputPadding[i];
    int64_t ek = a.dilations[i] * (a.kernelShape[i] - 1) + 1;  // at most 2^62 (normalizeWindow)
    if (op < 0) ctx.fail("output_padding entry " + str(op) + " is negative");
    if (op > (int64_t{1} << 31)) ctx.fail("output_padding entry " + str(op) + " is too large (at most 2^31)");
    if (!target.empty() && (target[i] < 0 || target[i] > kMaxTensorElements))
      ctx.fail("output_shape entry " + str(target[i]) + " is out of range");
    // s * (in - 1) reaches 2^79 for the largest strides and extents: checked.
    auto transposed = [&](int64_t in, int64_t rest) -> int64_t {
      std::optional<int64_t> v = checkedMul(s, in - 1);
      if (v) v = checkedAdd(*v, rest);
      if (!v || *v > kMaxTensorElements)
        ctx.fail("output extent on spatial axis " + str(static_cast<int64_t>(i)) + " is too large");
      return *v;
    };
    const Dim& in = x[2 + i];
    if (a.autoPad == AutoPad::Valid) a.pads[i] = a.pads[i + k] = 0;
    if (!target.empty() || same) {
      std::optional<int64_t> total;
      if (!target.empty() && in.isKnown()) total = transposed(in.value, op + ek - target[i]);
      if (target.empty()) total = op + ek - s;
      if (!total) {
        resolved = false;
        out.push_back(Dim::known(target[i]));
        continue;
      }
      setTransposePads(ctx, a, i, k, *total);
      op = a.outputPadding[i];
    }
    int64_t grow = op + ek - a.pads[i] - a.pads[i + k];
    if (!in.isKnown()) {
      out.push_back(s == 1 && grow == 1 ? in : Dim{});
      continue;
    }
    int64_t n = transposed(in.value, grow);
    if (n <= 0)
      ctx.fail("output extent " + str(n) + " on spatial axis " + str(i) + " is not positive");
    out.push_back(Dim::known(n));
  }
  if (resolved) {
    a.autoPad = AutoPad::NotSet;
    a.outputShape.clear();
  } else {
    a.pads = given.pads;
    a.outputPadding = given.outputPadding;
  }
  ctx.setOutput(0, ctx.in(0)->dtype, out);
}

}  // namespace kiln::shape
