#include "kiln/passes/bn_to_scale_shift.h"

#include <cmath>

#include "bn_affine.h"
#include "bn_util.h"

namespace kiln {

namespace {

constexpr const char* kPass = "batchNormToScaleShift";

// Eval-mode BatchNormalization on channel axis 1:
//   y = scale * (x - mean) / sqrt(var + eps) + B
//     = x * a + b   with   a = scale / sqrt(var + eps),   b = B - mean * a.
// a and b are computed in double and stored in the input's float dtype.
bool convertOnnxBn(Graph& g, PassContext& ctx, Node* bnNode) {
  const std::string key = bn::decisionKey(*bnNode);
  auto decline = [&](const std::string& reason) {
    bn::decide(ctx, kPass, key, "BatchNormalization", "not folded: " + reason, reason);
    return false;
  };
  const auto& attrs = bnNode->as<BatchNormAttrs>();
  if (attrs.trainingMode)
    return decline("training-mode BatchNormalization is lowered by lowerTrainingBatchNorm, not folded");
  Value* x = bnNode->input(0);
  if (!x || !x->hasShape || x->shape.size() < 2 || !isFloat(x->dtype))
    return decline("input '" + (x ? x->name : std::string("?")) + "' is not a float tensor of rank >= 2");
  for (size_t i = 1; i < bnNode->outputs.size(); ++i) {
    Value* extra = bnNode->outputs[i];
    if (extra && (g.isOutput(extra) || bn::consumerCount(g, extra) > 0))
      return decline("running-statistics output '" + extra->name + "' is used");
  }
  static const char* kParamNames[] = {"scale", "bias", "running_mean", "running_var"};
  std::vector<std::vector<double>> p;
  for (int i = 0; i < 4; ++i) {
    auto v = bn::constantDoubles(bnNode->input(i + 1));
    if (!v) return decline(std::string(kParamNames[i]) + " is not constant");
    p.push_back(std::move(*v));
  }
  const size_t channels = p[0].size();
  for (const auto& v : p)
    if (v.size() != channels) return decline("parameter lengths differ");
  if (x->shape[1].isKnown() && static_cast<size_t>(x->shape[1].value) != channels)
    return decline("parameters have " + std::to_string(channels) + " entries but input has " +
                   std::to_string(x->shape[1].value) + " channels");
  std::vector<double> a(channels), b(channels);
  for (size_t c = 0; c < channels; ++c) {
    const double denom = p[3][c] + attrs.epsilon;
    if (!(denom > 0.0)) return decline("running_var + epsilon is not positive for channel " + std::to_string(c));
    a[c] = p[0][c] / std::sqrt(denom);
    b[c] = p[1][c] - p[2][c] * a[c];
  }
  const int64_t n = static_cast<int64_t>(channels);
  Value* scale = bn::addDoubleConstant(g, key + "_scale", a, {n}, x->dtype);
  Value* shift = bn::addDoubleConstant(g, key + "_shift", b, {n}, x->dtype);
  g.insertNodeBefore(bnNode, OpKind::ScaleShift, key, {x, scale, shift}, {bnNode->outputs[0]},
                     ScaleShiftAttrs{1});
  bn::removeWithDeadProducers(g, bnNode);
  bn::decide(ctx, kPass, key, "BatchNormalization", "converted to ScaleShift on axis 1", "");
  return true;
}

bool hasScalingStep(const bn::AffineChain& chain) {
  for (const Node* n : chain.nodes)
    if (n->kind == OpKind::Mul || n->kind == OpKind::Div) return true;
  return false;
}

// A chain of Add/Sub/Mul/Div by constants that vary along one axis of the data (the
// hand-written eval-mode BN `gamma * (X - moving_mean) / sqrt(moving_var + eps) + beta`, with
// or without constant folding) composes into one affine y = x * A[c] + B[c] (bn_affine.cpp
// derives the composition) and becomes a single ScaleShift on that axis. Pure bias adds (no
// Mul/Div) and chains of scalars are left alone: they are not normalisations.
bool convertChain(Graph& g, PassContext& ctx, Node* head) {
  Value* data = nullptr;
  for (Value* in : head->inputs)
    if (in && !bn::constantOf(in) && bn::affineStep(*head, in)) data = in;
  if (!data) return false;
  bn::AffineChain chain = bn::affineChainFrom(g, data, head);
  if (chain.empty() || chain.axis == bn::kScalarAxis || !hasScalingStep(chain)) return false;
  const std::string key = bn::decisionKey(*chain.nodes.front());
  const std::string pattern = chain.subThenDiv ? "hand-written BN" : "per-channel affine";
  const int64_t channels = static_cast<int64_t>(chain.scale.size());
  const DType dt = chain.input->dtype;
  Value* scale = bn::addDoubleConstant(g, key + "_scale", chain.scale, {channels}, dt);
  Value* shift = bn::addDoubleConstant(g, key + "_shift", chain.shift, {channels}, dt);
  std::vector<std::string> names;
  for (const Node* n : chain.nodes) names.push_back(bn::describeNode(n));
  g.insertNodeBefore(chain.nodes.front(), OpKind::ScaleShift, key, {chain.input, scale, shift},
                     {chain.output}, ScaleShiftAttrs{chain.axis});
  bn::removeWithDeadProducers(g, chain.nodes.back());
  bn::decide(ctx, kPass, key, pattern, "converted to ScaleShift on axis " + std::to_string(chain.axis),
             "merged " + bn::join(names));
  return true;
}

}  // namespace

bool batchNormToScaleShift(Graph& g, PassContext& ctx) {
  bool changed = false;
  for (Node* n : g.nodeList()) {
    if (!bn::contains(g, n)) continue;
    if (n->kind == OpKind::BatchNormalization) {
      if (!ctx.options.foldBatchNorm) {
        bn::decide(ctx, kPass, bn::decisionKey(*n), "BatchNormalization",
                   "not folded: BatchNorm folding is disabled", "--no-fold-bn");
        continue;
      }
      changed |= convertOnnxBn(g, ctx, n);
    } else if (ctx.options.foldBatchNorm &&
               (n->kind == OpKind::Add || n->kind == OpKind::Sub || n->kind == OpKind::Mul ||
                n->kind == OpKind::Div)) {
      changed |= convertChain(g, ctx, n);
    }
  }
  return changed;
}

}  // namespace kiln
