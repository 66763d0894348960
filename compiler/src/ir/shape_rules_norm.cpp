// Normalisation: BatchNormalization, kiln.ScaleShift, kiln.BatchNormTraining. Every
// per-channel parameter is 1-D with one element per channel of the channel axis.
#include "shape_rules.h"

namespace kiln::shape {

namespace {

// Checks per-channel parameter i against the `channels` of input 0 (channel axis `axis`);
// with `allowSingle` one element is accepted too (whole-tensor statistics).
// Returns the channel count as best known.
Dim checkChannelParam(RuleContext& ctx, size_t i, const char* role, const Dim& channels,
                      int64_t axis, bool allowSingle) {
  if (!ctx.in(i)) return channels;
  ctx.requireFloat(i, role);
  const Shape& p = ctx.shape(i);
  Dim n = dimProduct(p, 0, p.size());
  if (allowSingle && p.size() <= 1 && n.isKnown() && n.value == 1) return channels;
  if (p.size() != 1)
    ctx.fail(std::string(role) + " '" + ctx.in(i)->name + "' " + shapeToString(p) +
             " must be 1-D");
  auto c = unifyDims(p[0], channels);
  if (!c) {
    std::string where = axis == 1 ? " channels" : " entries along axis " + str(axis);
    ctx.fail(std::string(role) + " has " + str(p[0].value) + " elements but input '" +
             ctx.in(0)->name + "' has " + str(channels.value) + where + " (" + role +
             " is value '" + ctx.in(i)->name + "')");
  }
  return *c;
}

}  // namespace

void inferBatchNormalization(RuleContext& ctx) {
  ctx.requireFloat(0);
  ctx.requireMinRank(0, 2);
  Dim c = ctx.shape(0)[1];
  const char* roles[] = {"scale", "B", "mean", "var"};
  for (size_t i = 1; i <= 4; ++i) c = checkChannelParam(ctx, i, roles[i - 1], c, 1, false);
  DType t = ctx.in(0)->dtype;
  ctx.setOutput(0, t, ctx.shape(0));
  if (ctx.node.as<BatchNormAttrs>().trainingMode) {
    ctx.setOutput(1, ctx.in(3)->dtype, {c});
    ctx.setOutput(2, ctx.in(4)->dtype, {c});
  } else if (ctx.node.outputs.size() > 1) {
    for (size_t i = 1; i < ctx.node.outputs.size(); ++i)
      if (ctx.node.outputs[i])
        ctx.fail("output '" + ctx.node.outputs[i]->name +
                 "' (running statistics) exists only in training mode");
  }
}

void inferScaleShift(RuleContext& ctx) {
  auto& a = ctx.node.as<ScaleShiftAttrs>();
  ctx.requireFloat(0);
  a.axis = ctx.normalizeAxis(a.axis, ctx.rank(0), "axis");
  Dim c = ctx.shape(0)[a.axis];
  checkChannelParam(ctx, 1, "scale", c, a.axis, false);
  checkChannelParam(ctx, 2, "shift", c, a.axis, false);
  ctx.setOutput(0, ctx.in(0)->dtype, ctx.shape(0));
}

void inferBatchNormTraining(RuleContext& ctx) {
  auto& a = ctx.node.as<BatchNormTrainingAttrs>();
  ctx.requireFloat(0);
  a.axis = ctx.normalizeAxis(a.axis, ctx.rank(0), "axis");
  Dim c = ctx.shape(0)[a.axis];
  const char* roles[] = {"scale", "bias", "running_mean", "running_var"};
  for (size_t i = 1; i <= 4; ++i)
    c = checkChannelParam(ctx, i, roles[i - 1], c, a.axis, a.wholeTensor);
  DType t = ctx.in(0)->dtype;
  ctx.setOutput(0, t, ctx.shape(0));
  for (size_t i = 1; i <= 2; ++i) {
    const Value* running = ctx.in(2 + i);
    Shape s = running ? running->shape : a.wholeTensor ? Shape{Dim::known(1)} : Shape{c};
    ctx.setOutput(i, running ? running->dtype : t, s);
  }
}

// X [N, C, ...], scale and B [C].
void inferInstanceNormalization(RuleContext& ctx) {
  ctx.requireFloat(0);
  ctx.requireMinRank(0, 2);
  const Dim& c = ctx.shape(0)[1];
  for (size_t i : {1, 2}) {
    const char* role = i == 1 ? "scale" : "B";
    ctx.requireSameDType(0, i);
    ctx.requireRank(i, 1, role);
    if (!unifyDims(c, ctx.shape(i)[0]))
      ctx.fail(ctx.describeInput(i, role) + " must have one entry per channel of " + ctx.describeInput(0));
  }
  ctx.setOutput(0, ctx.in(0)->dtype, ctx.shape(0));
}

void inferLRN(RuleContext& ctx) {
  ctx.requireFloat(0);
  ctx.requireMinRank(0, 2);
  ctx.setOutput(0, ctx.in(0)->dtype, ctx.shape(0));
}

}  // namespace kiln::shape
