#include "kiln/passes/lower_bn_training.h"

#include <cmath>
#include <limits>

#include "bn_affine.h"
#include "bn_stats_match.h"
#include "bn_util.h"

namespace kiln {

namespace {

constexpr const char* kPass = "lowerTrainingBatchNorm";

struct FusedActivation {
  Node* node = nullptr;
  ActivationAttrs attrs;
};

// The activation that can become the epilogue of a BatchNormTraining producing `y`: the sole
// consumer of y (y not a graph output) when it is Relu, LeakyRelu, Sigmoid, Tanh, or Clip
// with constant (or absent) bounds.
std::optional<FusedActivation> fusableActivation(const Graph& g, Value* y) {
  Node* n = bn::soleConsumer(g, y);
  if (!n || n->input(0) != y || n->outputs.empty() || !n->outputs[0]) return std::nullopt;
  ActivationAttrs a;
  switch (n->kind) {
    case OpKind::Relu: a.kind = Activation::Relu; break;
    case OpKind::Sigmoid: a.kind = Activation::Sigmoid; break;
    case OpKind::Tanh: a.kind = Activation::Tanh; break;
    case OpKind::LeakyRelu:
      a.kind = Activation::LeakyRelu;
      a.alpha = n->as<AlphaAttrs>().alpha;
      break;
    case OpKind::Clip: {
      a.kind = Activation::Clip;
      a.alpha = -std::numeric_limits<float>::infinity();
      a.beta = std::numeric_limits<float>::infinity();
      for (size_t i = 1; i <= 2; ++i) {
        const Value* bound = n->input(i);
        if (!bound) continue;
        auto v = bn::scalarConstant(bound);
        if (!v || bound == y) return std::nullopt;
        (i == 1 ? a.alpha : a.beta) = static_cast<float>(*v);
      }
      break;
    }
    default:
      return std::nullopt;
  }
  return FusedActivation{n, a};
}

std::string fusedSuffix(const std::optional<FusedActivation>& act) {
  return act ? " (+" + std::string(opName(act->node->kind)) + " fused)" : "";
}

// ONNX BatchNormalization with training_mode=1 (opset 14+, or opset < 9 with running-stat
// outputs) -> kiln.BatchNormTraining with the same inputs and running-stat outputs. The ONNX
// running variance update uses the population variance; PyTorch uses the unbiased one, which
// `pytorchRunningVar` selects.
bool lowerOnnxBn(Graph& g, PassContext& ctx, Node* bnNode) {
  const std::string key = bn::decisionKey(*bnNode);
  const auto& a = bnNode->as<BatchNormAttrs>();
  BatchNormTrainingAttrs attrs;
  attrs.epsilon = a.epsilon;
  attrs.momentum = a.momentum;
  attrs.axis = 1;
  attrs.unbiasedRunningVar = ctx.options.pytorchRunningVar;
  std::vector<Value*> outs = bnNode->outputs;
  while (outs.size() > 1 && !outs.back()) outs.pop_back();
  auto act = fusableActivation(g, outs[0]);
  if (act) {
    attrs.activation = act->attrs;
    outs[0] = act->node->outputs[0];
  }
  const std::string action = "lowered to BatchNormTraining" + fusedSuffix(act);
  g.insertNodeBefore(bnNode, OpKind::BatchNormTraining, key, bnNode->inputs, outs, attrs);
  bn::removeWithDeadProducers(g, act ? act->node : bnNode);
  bn::decide(ctx, kPass, key, "BatchNormalization", action, "training_mode=1");
  return true;
}

// Batch statistics written out with elementwise ops (bn_stats_match.h lists the exported op
// sequences), followed by an optional per-channel affine tail (`* gamma + beta`, composed by
// affineChainFrom into y = xhat * A[c] + B[c]) and an optional activation:
//   y = act(A[c] * (x - mean) / sqrt(var + eps) + B[c])
// which is BatchNormTraining with scale = A, bias = B and the matched statistics (per-channel
// population variance for the hand-written BN, whole-tensor unbiased variance for the naive
// `(x - x.mean()) / x.std()`). No running statistics: their update is not in the graph.
bool lowerPattern(Graph& g, PassContext& ctx, Node* div) {
  bn::NormalizeMatch m = bn::matchNormalize(*div);
  if (m.status == bn::NormalizeMatch::Status::NoMatch) return false;
  auto decline = [&](const std::string& reason) {
    bn::decide(ctx, kPass, m.key, m.pattern, "not lowered: " + reason, reason);
    return false;
  };
  if (m.status == bn::NormalizeMatch::Status::Declined) return decline(m.reason);

  bn::AffineChain chain = bn::affineChainFrom(g, m.normalized, nullptr,
                                              m.wholeTensor ? bn::kScalarAxis : m.axis);
  const Shape& xs = m.x->shape;
  int64_t axis = m.wholeTensor ? static_cast<int64_t>(xs.size()) - 1 : m.axis;
  if (chain.axis != bn::kScalarAxis) axis = chain.axis;
  int64_t channels = 0;
  if (chain.axis != bn::kScalarAxis) channels = static_cast<int64_t>(chain.scale.size());
  else if (axis >= 0 && xs[axis].isKnown()) channels = xs[axis].value;
  else return decline("size of axis " + std::to_string(axis) + " of '" + m.x->name + "' is not static");

  BatchNormTrainingAttrs attrs;
  attrs.epsilon = m.epsilon;
  attrs.axis = axis;
  attrs.wholeTensor = m.wholeTensor;
  attrs.unbiasedVar = m.unbiasedVar;  // no running statistics: unbiasedRunningVar is moot
  Value* y = chain.output;
  auto act = fusableActivation(g, y);
  if (act) attrs.activation = act->attrs;

  const DType dt = m.x->dtype;
  Value* scale = bn::addDoubleConstant(g, m.key + "_scale", chain.scaleVector(channels), {channels}, dt);
  Value* bias = bn::addDoubleConstant(g, m.key + "_bias", chain.shiftVector(channels), {channels}, dt);
  g.insertNodeBefore(div, OpKind::BatchNormTraining, m.key, {m.x, scale, bias},
                     {act ? act->node->outputs[0] : y}, attrs);
  const std::string action = "lowered to BatchNormTraining" + fusedSuffix(act);
  std::string what = m.wholeTensor ? "whole-tensor statistics" : "per-channel statistics on axis " + std::to_string(axis);
  what += m.unbiasedVar ? ", unbiased variance" : ", population variance";
  what += ", epsilon " + bn::fmt(m.epsilon);
  if (!chain.empty()) what += ", affine tail of " + std::to_string(chain.nodes.size()) + " node(s) merged";
  Node* last = act ? act->node : (chain.empty() ? div : chain.nodes.back());
  bn::removeWithDeadProducers(g, last);  // the pattern's nodes are gone after this
  bn::decide(ctx, kPass, m.key, m.pattern, action, what);
  return true;
}

}  // namespace

bool lowerTrainingBatchNorm(Graph& g, PassContext& ctx) {
  bool changed = false;
  for (Node* n : g.nodeList()) {
    if (!bn::contains(g, n)) continue;
    const bool trainingBn = n->kind == OpKind::BatchNormalization && n->as<BatchNormAttrs>().trainingMode;
    if (!ctx.options.foldBatchNorm) {
      if (trainingBn)
        bn::decide(ctx, kPass, bn::decisionKey(*n), "BatchNormalization",
                   "not lowered: BatchNorm rewriting is disabled", "--no-fold-bn");
      continue;
    }
    if (trainingBn) changed |= lowerOnnxBn(g, ctx, n);
    else if (n->kind == OpKind::Div) changed |= lowerPattern(g, ctx, n);
  }
  return changed;
}

}  // namespace kiln
