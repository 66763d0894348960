#include "kiln/passes/fold_scale_shift_backward.h"

#include "bn_util.h"

namespace kiln {

namespace {

constexpr const char* kPass = "foldScaleShiftBackward";

// Each fold returns "" on success or the condition that failed. They are only called once the
// producer's output is known to feed nothing but the ScaleShift, and rewrite the producer so
// that it computes  y = x_producer * a[c] + s[c]  itself.

std::string weightsOf(const Node* n, std::shared_ptr<const Tensor>& w, std::shared_ptr<const Tensor>& bias,
                      size_t wIdx, size_t bIdx) {
  w = bn::constantOf(n->input(wIdx));
  if (!w) return "weights of " + bn::describeNode(n) + " are not constant";
  if (n->input(bIdx)) {
    bias = bn::constantOf(n->input(bIdx));
    if (!bias) return "bias of " + bn::describeNode(n) + " is not constant";
  }
  return "";
}

// Per-output-channel bias after the fold:  b'[o] = b[o] * a[o] + s[o]  (b = 0 when absent).
std::vector<double> scaledBias(const Tensor* bias, const bn::ScaleShiftParts& p) {
  std::vector<double> out(p.scale.size());
  std::vector<double> b = bias ? bias->toDoubles() : std::vector<double>(out.size(), 0.0);
  for (size_t o = 0; o < out.size(); ++o) out[o] = (b.size() == 1 ? b[0] : b[o]) * p.scale[o] + p.shift[o];
  return out;
}

// Conv: y[o] = sum_{c,k} W[o,c,k] x[c,.] + b[o]   (any group: o's slice of x does not matter)
//   a[o] * y[o] + s[o] = sum_{c,k} (a[o] W[o,c,k]) x[c,.] + (a[o] b[o] + s[o])
// ConvTranspose: W is [C_in, C_out/group, k...]; output channel o = g*(C_out/group) + j gets
// contributions only from input channels ci of group g (ci / (C_in/group) == g), through
// W[ci, j, k]. So W'[ci, j, k] = W[ci, j, k] * a[(ci / (C_in/group)) * (C_out/group) + j], and
// the bias folds as for Conv.
std::string foldConv(Graph& g, Node* conv, const bn::ScaleShiftParts& p) {
  if (p.axis != 1) return "ScaleShift axis " + std::to_string(p.axis) + " is not the output-channel axis 1 of " + bn::describeNode(conv);
  std::shared_ptr<const Tensor> w, bias;
  if (auto why = weightsOf(conv, w, bias, 1, 2); !why.empty()) return why;
  const bool transpose = conv->kind == OpKind::ConvTranspose;
  const int64_t group = conv->as<ConvAttrs>().group;
  if (w->rank() < 3) return "weights of " + bn::describeNode(conv) + " have rank < 3";
  const int64_t cout = transpose ? w->dims[1] * group : w->dims[0];
  if (cout != static_cast<int64_t>(p.scale.size()))
    return bn::describeNode(conv) + " has " + std::to_string(cout) + " output channels, ScaleShift " + std::to_string(p.scale.size());
  std::vector<double> nw;
  if (!transpose) {
    nw = bn::scaleAlongAxis(*w, 0, p.scale);
  } else {
    nw = w->toDoubles();
    const int64_t cinPerGroup = w->dims[0] / group, coutPerGroup = w->dims[1];
    bn::forEachIndex(w->dims, [&](int64_t flat, const std::vector<int64_t>& idx) {
      nw[flat] *= p.scale[(idx[0] / cinPerGroup) * coutPerGroup + idx[1]];
    });
  }
  const DType dt = w->dtype;
  bn::replaceInput(g, conv, 1, bn::addDoubleConstant(g, conv->name + "_w_folded", nw, w->dims, dt));
  bn::replaceInput(g, conv, 2, bn::addDoubleConstant(g, conv->name + "_b_folded", scaledBias(bias.get(), p),
                                                     {cout}, dt));
  return "";
}

// Gemm: Y = alpha * A' B' + beta * C with B' = B ([K,N]) or B^T (transB, B is [N,K]).
//   a[n] * Y[:,n] + s[n] = alpha * A' (B' diag(a)) + (beta * C[:,n] * a[n] + s[n])
// so the columns of B' are scaled by a (B's columns, or B's rows when transB),
// C' = beta*C*a + s and beta' = 1 (C created when absent; [M,1] widens to [M,N], see
// affineGemmBias).
std::string foldGemm(Graph& g, Node* gemm, const bn::ScaleShiftParts& p) {
  if (p.axis != 1) return "ScaleShift axis " + std::to_string(p.axis) + " is not the output-feature axis 1 of " + bn::describeNode(gemm);
  std::shared_ptr<const Tensor> b, c;
  if (auto why = weightsOf(gemm, b, c, 1, 2); !why.empty()) return why;
  auto& attrs = gemm->as<GemmAttrs>();
  const int64_t nAxis = attrs.transB ? 0 : 1;
  if (b->rank() != 2 || b->dims[nAxis] != static_cast<int64_t>(p.scale.size()))
    return "weights of " + bn::describeNode(gemm) + " do not have " + std::to_string(p.scale.size()) + " output features";
  const DType dt = b->dtype;
  std::vector<double> nb = bn::scaleAlongAxis(*b, nAxis, p.scale);
  auto [cv, cdims] = bn::affineGemmBias(c.get(), attrs.beta, p.scale, p.shift);
  bn::replaceInput(g, gemm, 1, bn::addDoubleConstant(g, gemm->name + "_w_folded", nb, b->dims, dt));
  bn::replaceInput(g, gemm, 2, bn::addDoubleConstant(g, gemm->name + "_c_folded", cv, cdims, dt));
  attrs.beta = 1.0f;
  return "";
}

// MatMul with a constant 2-D right operand B [K,N]: Y = A B, features on Y's last axis.
//   a[n] * Y[..., n] + s[n] = A (B diag(a)) + s[n]
// With a following bias Add (Y + c, c constant along the last axis):
//   a[n] * (Y + c)[..., n] + s[n] = A (B diag(a)) + (c[n] * a[n] + s[n])
// Without one, the shift stays as an Add of s (omitted when s == 0).
std::string foldMatMul(Graph& g, Node* mm, Node* add, const bn::ScaleShiftParts& p, Node* ss) {
  const Value* y = mm->outputs[0];
  const int64_t last = static_cast<int64_t>(y->shape.size()) - 1;
  if (p.axis != last)
    return "ScaleShift axis " + std::to_string(p.axis) + " is not the output-feature (last) axis " +
           std::to_string(last) + " of " + bn::describeNode(mm);
  auto b = bn::constantOf(mm->input(1));
  if (!b) return "right operand of " + bn::describeNode(mm) + " is not constant";
  if (b->rank() != 2 || b->dims[1] != static_cast<int64_t>(p.scale.size()))
    return "right operand of " + bn::describeNode(mm) + " is not a [K, " + std::to_string(p.scale.size()) + "] matrix";
  const DType dt = b->dtype;
  const int64_t n = b->dims[1];
  std::shared_ptr<const Tensor> c;
  size_t cIdx = 0;
  if (add) {
    cIdx = add->input(0) == y ? 1 : 0;
    c = bn::constantOf(add->input(cIdx));
    if (!c) return "bias of " + bn::describeNode(add) + " is not constant";
    auto ax = bn::perChannelAxis(c->dims, add->outputs[0]->shape);
    if (!ax || (*ax != bn::kScalarAxis && *ax != last) || c->rank() > 2 ||
        (c->rank() == 2 && c->dims[0] != 1))
      return "bias of " + bn::describeNode(add) + " does not broadcast along the last axis only";
  }
  bn::replaceInput(g, mm, 1, bn::addDoubleConstant(g, mm->name + "_w_folded", bn::scaleAlongAxis(*b, 1, p.scale), b->dims, dt));
  std::vector<double> bias = scaledBias(c.get(), p);
  if (add) {
    bn::replaceInput(g, add, cIdx, bn::addDoubleConstant(g, add->name + "_b_folded", bias, {n}, dt));
    return "";
  }
  bool zero = true;
  for (double s : p.shift) zero = zero && s == 0.0;
  if (!zero) {
    Value* sv = bn::addDoubleConstant(g, ss->name + "_shift", bias, {n}, dt);
    g.insertNodeBefore(ss, OpKind::Add, ss->name + "_bias", {mm->outputs[0], sv}, {p.y}, NoAttrs{});
  }
  return "";
}

bool isFoldTarget(OpKind k) {
  return k == OpKind::Conv || k == OpKind::ConvTranspose || k == OpKind::Gemm || k == OpKind::MatMul;
}

std::string usesProblem(const Graph& g, const Value* v) {
  if (g.isOutput(v)) return "output of " + bn::describeSource(v) + " is a graph output";
  const size_t n = bn::consumerCount(g, v);
  if (n != 1) return "output of " + bn::describeSource(v) + " has " + std::to_string(n) + " consumers";
  return "";
}

// Tries the fold; returns "" and sets `target` on success, else the failing condition.
std::string tryFold(Graph& g, Node* ss, const bn::ScaleShiftParts& p, std::string& target) {
  Node* prod = p.x->producer;
  if (!prod) return "input is " + bn::describeSource(p.x) + ", there is no producer to fold into";
  if (auto why = usesProblem(g, p.x); !why.empty()) return why;
  Node* add = nullptr;
  if (prod->kind == OpKind::Add) {
    Node* mm = nullptr;
    for (size_t i = 0; i < 2; ++i) {
      Value* in = prod->input(i);
      if (in && in->producer && in->producer->kind == OpKind::MatMul && bn::constantOf(prod->input(1 - i)))
        mm = in->producer;
    }
    if (!mm) return "producer " + bn::describeNode(prod) + " is not a bias Add after a MatMul";
    if (auto why = usesProblem(g, mm->outputs[0]); !why.empty()) return why;
    add = prod;
    prod = mm;
  }
  if (!isFoldTarget(prod->kind))
    return "producer " + bn::describeNode(prod) + " is not a Conv/ConvTranspose/Gemm/MatMul";
  std::string why;
  if (prod->kind == OpKind::Conv || prod->kind == OpKind::ConvTranspose) why = foldConv(g, prod, p);
  else if (prod->kind == OpKind::Gemm) why = foldGemm(g, prod, p);
  else why = foldMatMul(g, prod, add, p, ss);
  if (!why.empty()) return why;
  target = bn::describeNode(prod) + (add ? " and its bias " + bn::describeNode(add) : "");
  if (p.y->producer != ss) {  // foldMatMul inserted an Add producing y
    g.removeNode(ss);
    return "";
  }
  // The producer (or its bias Add) now computes y itself: it takes over the value, so graph
  // outputs keep their names.
  Node* last = add ? add : prod;
  g.removeNode(ss);
  last->outputs[0] = p.y;
  p.y->producer = last;
  p.y->producerOutput = 0;
  return "";
}

}  // namespace

bool foldScaleShiftBackward(Graph& g, PassContext& ctx) {
  bool changed = false;
  for (Node* n : g.nodeList()) {
    if (!bn::contains(g, n) || n->kind != OpKind::ScaleShift) continue;
    const std::string key = bn::decisionKey(*n);
    std::string why, target;
    auto p = bn::readScaleShift(*n, why);
    if (p) why = tryFold(g, n, *p, target);
    if (why.empty()) {
      bn::decide(ctx, kPass, key, "ScaleShift", "folded backward into " + target, "");
      changed = true;
    } else {
      bn::decide(ctx, kPass, key, "ScaleShift", "kept as ScaleShift after " + bn::describeSource(n->input(0)),
                 "backward: " + why);
    }
  }
  if (changed) g.pruneValues();
  return changed;
}

}  // namespace kiln
