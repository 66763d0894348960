#include "kiln/passes/fold_scale_shift_forward.h"

#include "bn_util.h"
#include "kiln/support/checked_math.h"

namespace kiln {

namespace {

constexpr const char* kPass = "foldScaleShiftForward";

// The affine y = x * a[c] + b[c] as seen by the value `cur` further down the chain: after a
// Flatten/Reshape the channel axis has merged with trailing dims, so a and b are expanded to
// one entry per feature of the merged axis.
struct Affine {
  int64_t axis;
  std::vector<double> a, b;
};

// A plan: the nodes passed through and the Conv/Gemm/MatMul reading the affine as data.
struct Plan {
  std::vector<Node*> through;
  Node* target = nullptr;
  Affine f;
};

// Two dims provably equal: the same extent or the same named symbol.
bool sameDim(const Dim& x, const Dim& y) { return (x.isKnown() || !x.symbol.empty()) && x == y; }

bool allZero(const std::vector<int64_t>& v) {
  for (int64_t x : v)
    if (x != 0) return false;
  return true;
}

// Merging channel axis `axis` of `in` with the next `m` dims: feature f of the merged axis is
// channel f / inner with inner = product of the merged trailing extents (which must be known).
std::string mergeTrailing(Affine& f, const Shape& in, int64_t m, int64_t newAxis, const Node* n) {
  // The merged per-feature vectors are materialised: beyond 2^24 features (far more than any
  // layer the result could fold into) the fold is declined rather than allocating them.
  constexpr int64_t kMaxFeatures = int64_t{1} << 24;
  int64_t inner = 1;
  for (int64_t d = f.axis + 1; d <= f.axis + m; ++d) {
    if (!in[d].isKnown()) return bn::describeNode(n) + " merges the channel axis with a dim of unknown size";
    const std::optional<int64_t> next = checkedMul(inner, in[d].value);
    const std::optional<int64_t> features = next ? checkedMul(*next, static_cast<int64_t>(f.a.size())) : std::nullopt;
    if (!features || *features > kMaxFeatures)
      return bn::describeNode(n) + " merges the channel axis into more than 2^24 features";
    inner = *next;
  }
  Affine out{newAxis, {}, {}};
  for (size_t c = 0; c < f.a.size(); ++c) {
    out.a.insert(out.a.end(), static_cast<size_t>(inner), f.a[c]);
    out.b.insert(out.b.end(), static_cast<size_t>(inner), f.b[c]);
  }
  f = std::move(out);
  return "";
}

// Reshape that only merges the channel axis with dims right after it:
//   in = [d0..d(k-1), C, t1..tm, rest...]  ->  out = [d0..d(k-1), C*t1*..*tm, rest...]
// (a leading dim may differ in how it is written, e.g. symbolic vs -1-derived, as long as it
// is the only one: the element count then forces it equal).
std::string throughReshape(Affine& f, const Node* r) {
  const Value* in = r->input(0);
  const Value* out = r->outputs[0];
  if (!in->hasShape || !out->hasShape) return bn::describeNode(r) + " has unknown shapes";
  const Shape& s = in->shape;
  const Shape& o = out->shape;
  const int64_t m = static_cast<int64_t>(s.size()) - static_cast<int64_t>(o.size());
  const std::string no = bn::describeNode(r) + " does not just merge the channel axis with the dims after it";
  if (m < 0 || f.axis >= static_cast<int64_t>(o.size())) return no;
  int64_t leadingDiffs = 0;
  for (int64_t d = 0; d < f.axis; ++d) leadingDiffs += !sameDim(s[d], o[d]);
  if (leadingDiffs > 1) return no;
  for (size_t d = f.axis + 1; d < o.size(); ++d)
    if (!sameDim(o[d], s[d + m])) return no;
  int64_t merged = 1;
  for (int64_t d = f.axis; d <= f.axis + m; ++d) {
    if (!s[d].isKnown()) return no;
    merged *= s[d].value;
  }
  if (!o[f.axis].isKnown() || o[f.axis].value != merged) return no;
  return mergeTrailing(f, s, m, f.axis, r);
}

std::string throughPool(const Affine& f, const Node* n) {
  if (f.axis != 1) return "ScaleShift axis " + std::to_string(f.axis) + " is not the channel axis of " + bn::describeNode(n);
  if (n->kind == OpKind::MaxPool) {
    // max(a*x + b) = a*max(x) + b only for a > 0 (a < 0 turns max into min).
    for (size_t c = 0; c < f.a.size(); ++c)
      if (!(f.a[c] > 0))
        return bn::describeNode(n) + " needs positive scales (scale[" + std::to_string(c) + "] = " + bn::fmt(f.a[c]) + ")";
  }
  if (n->kind == OpKind::AveragePool) {
    // avg(a*x + b) = a*avg(x) + b when every window averages real elements only; padded zeros
    // counted by count_include_pad=1 would stay 0 instead of becoming b.
    const auto& pa = n->as<PoolAttrs>();
    if (pa.countIncludePad && (!allZero(pa.pads) || pa.ceilMode))
      return bn::describeNode(n) + " counts padding (count_include_pad=1 with padding)";
  }
  return "";
}

std::string planChain(const Graph& g, const bn::ScaleShiftParts& p, Plan& plan) {
  Value* cur = p.y;
  plan.f = Affine{p.axis, p.scale, p.shift};
  for (int guard = 0; guard < 32; ++guard) {
    if (g.isOutput(cur)) return "'" + cur->name + "' is a graph output";
    std::vector<Node*> us = g.users(cur);
    if (us.size() != 1) return "'" + cur->name + "' has " + std::to_string(us.size()) + " consumers";
    Node* n = us[0];
    if (!cur->hasShape) return "shape of '" + cur->name + "' is unknown";
    if (n->input(0) != cur) return "'" + cur->name + "' is not the data input of " + bn::describeNode(n);
    for (size_t i = 1; i < n->inputs.size(); ++i)
      if (n->inputs[i] == cur) return "'" + cur->name + "' is also a parameter of " + bn::describeNode(n);
    const int64_t rank = cur->hasShape ? static_cast<int64_t>(cur->shape.size()) : -1;
    std::string why;
    switch (n->kind) {
      case OpKind::MaxPool:
      case OpKind::AveragePool:
      case OpKind::GlobalAveragePool:
        why = throughPool(plan.f, n);
        break;
      case OpKind::Identity:
        break;
      case OpKind::Pad: {
        // nn.AvgPool2d exports as Pad (all-zero pads) + AveragePool; a Pad that adds nothing
        // is an identity. Real padding adds values that would not become a*v + b.
        auto pads = bn::constantOf(n->input(1));
        if (!pads || !allZero(pads->toInts())) why = bn::describeNode(n) + " adds padding";
        break;
      }
      case OpKind::Flatten: {
        int64_t k = n->as<AxisAttrs>().axis;
        if (k < 0) k += rank;
        // [d0..d(k-1), dk..] -> [prod(d0..d(k-1)), prod(dk..)]: the channel axis must lead the
        // second factor.
        if (k != plan.f.axis) why = bn::describeNode(n) + " at axis " + std::to_string(k) + " does not start at the channel axis";
        else why = mergeTrailing(plan.f, cur->shape, rank - 1 - k, 1, n);
        break;
      }
      case OpKind::Reshape:
        why = throughReshape(plan.f, n);
        break;
      case OpKind::Conv: {
        if (plan.f.axis != 1) return "ScaleShift axis " + std::to_string(plan.f.axis) + " is not the input-channel axis of " + bn::describeNode(n);
        // With zero padding every output reads only real input elements. Padded zeros would
        // stay 0 instead of becoming b, so padding forbids the fold.
        if (!allZero(n->as<ConvAttrs>().pads)) return bn::describeNode(n) + " has non-zero padding";
        plan.target = n;
        return "";
      }
      case OpKind::Gemm:
        if (n->as<GemmAttrs>().transA) return bn::describeNode(n) + " transposes its data input (transA=1)";
        if (plan.f.axis != 1) return "ScaleShift axis " + std::to_string(plan.f.axis) + " is not the input-feature axis of " + bn::describeNode(n);
        plan.target = n;
        return "";
      case OpKind::MatMul:
        if (plan.f.axis != rank - 1) return "ScaleShift axis " + std::to_string(plan.f.axis) + " is not the last (input-feature) axis of " + bn::describeNode(n);
        plan.target = n;
        return "";
      default:
        return "consumer " + bn::describeNode(n) + " is not a Conv/Gemm/MatMul (nor a pool/Flatten/Reshape leading to one)";
    }
    if (!why.empty()) return why;
    plan.through.push_back(n);
    cur = n->outputs[0];
  }
  return "chain too long";
}

// Conv, input affine x -> a[c] x + b[c], zero padding, group G (C_in/G channels per group; out
// channel o reads channels c = (o / (C_out/G)) * (C_in/G) + cl, cl < C_in/G):
//   y[o] = sum_{cl,k} W[o,cl,k] (a[c] x[c] + b[c]) + bias[o]
//        = sum_{cl,k} (W[o,cl,k] a[c]) x[c] + (bias[o] + sum_{cl,k} W[o,cl,k] b[c])
std::string foldIntoConv(Graph& g, Node* conv, const Affine& f) {
  auto w = bn::constantOf(conv->input(1));
  if (!w) return "weights of " + bn::describeNode(conv) + " are not constant";
  std::shared_ptr<const Tensor> bias;
  if (conv->input(2) && !(bias = bn::constantOf(conv->input(2)))) return "bias of " + bn::describeNode(conv) + " is not constant";
  const int64_t group = conv->as<ConvAttrs>().group;
  if (w->rank() < 3) return "weights of " + bn::describeNode(conv) + " have rank < 3";
  const int64_t cout = w->dims[0], cinG = w->dims[1], coutG = cout / group;
  if (cinG * group != static_cast<int64_t>(f.a.size())) return bn::describeNode(conv) + " input channels do not match the ScaleShift";
  std::vector<double> nw = w->toDoubles();
  std::vector<double> nb = bias ? bias->toDoubles() : std::vector<double>(cout, 0.0);
  bn::forEachIndex(w->dims, [&](int64_t flat, const std::vector<int64_t>& idx) {
    const int64_t c = (idx[0] / coutG) * cinG + idx[1];
    nb[idx[0]] += nw[flat] * f.b[c];
    nw[flat] *= f.a[c];
  });
  bn::replaceInput(g, conv, 1, bn::addDoubleConstant(g, conv->name + "_w_folded", nw, w->dims, w->dtype));
  bn::replaceInput(g, conv, 2, bn::addDoubleConstant(g, conv->name + "_b_folded", nb, {cout}, w->dtype));
  return "";
}

// Row-vector times matrix: v[n] = sum_k b[k] * M[k, n] with M = B (rows K) or B^T (transposed).
std::vector<double> biasThrough(const Tensor& b, bool transposed, const std::vector<double>& vecB) {
  const int64_t kDim = transposed ? b.dims[1] : b.dims[0], nDim = transposed ? b.dims[0] : b.dims[1];
  std::vector<double> m = b.toDoubles(), v(nDim, 0.0);
  for (int64_t k = 0; k < kDim; ++k)
    for (int64_t n = 0; n < nDim; ++n) v[n] += vecB[k] * m[transposed ? n * kDim + k : k * nDim + n];
  return v;
}

// Gemm with A = a*X + b (A' = A, no transA), B' = B or B^T:
//   alpha (X diag(a) + 1 b^T) B' + beta C = alpha X (diag(a) B') + (beta C + alpha b^T B')
// MatMul X B the same with alpha = 1 and the bias added by a (new or existing) bias Add.
std::string foldIntoMatrix(Graph& g, Node* n, const Affine& f) {
  auto b = bn::constantOf(n->input(1));
  if (!b || b->rank() != 2) return "right operand of " + bn::describeNode(n) + " is not a constant matrix";
  const bool gemm = n->kind == OpKind::Gemm;
  const bool transB = gemm && n->as<GemmAttrs>().transB;
  const int64_t kAxis = transB ? 1 : 0;
  if (b->dims[kAxis] != static_cast<int64_t>(f.a.size())) return "right operand of " + bn::describeNode(n) + " does not have " + std::to_string(f.a.size()) + " rows";
  std::vector<double> v = biasThrough(*b, transB, f.b);
  const int64_t nDim = static_cast<int64_t>(v.size());
  std::shared_ptr<const Tensor> c;
  Node* add = nullptr;
  size_t cIdx = 2;
  if (gemm) {
    if (n->input(2) && !(c = bn::constantOf(n->input(2)))) return "bias of " + bn::describeNode(n) + " is not constant";
    auto& attrs = n->as<GemmAttrs>();
    for (double& x : v) x *= attrs.alpha;
    auto [cv, cdims] = bn::affineGemmBias(c.get(), attrs.beta, std::vector<double>(nDim, 1.0), v);
    bn::replaceInput(g, n, 2, bn::addDoubleConstant(g, n->name + "_c_folded", cv, cdims, b->dtype));
    attrs.beta = 1.0f;
  } else {
    Value* y = n->outputs[0];
    add = bn::soleConsumer(g, y);
    if (add && add->kind == OpKind::Add) {
      cIdx = add->input(0) == y ? 1 : 0;
      c = bn::constantOf(add->input(cIdx));
      auto ax = c ? bn::perChannelAxis(c->dims, add->outputs[0]->shape) : std::nullopt;
      const int64_t last = static_cast<int64_t>(y->shape.size()) - 1;
      if (!ax || (*ax != bn::kScalarAxis && *ax != last) || c->rank() > 2 || (c->rank() == 2 && c->dims[0] != 1)) add = nullptr;
    } else {
      add = nullptr;
    }
    if (add) {
      std::vector<double> cv = c->toDoubles();
      for (int64_t j = 0; j < nDim; ++j) v[j] += cv.size() == 1 ? cv[0] : cv[j];
      bn::replaceInput(g, add, cIdx, bn::addDoubleConstant(g, add->name + "_b_folded", v, {nDim}, b->dtype));
    } else {
      bool zero = true;
      for (double x : v) zero = zero && x == 0.0;
      if (!zero) {
        // y = X B' + v: MatMul now writes a fresh value, a new Add produces y.
        Value* raw = g.addValue(y->name + "_unbiased", y->dtype);
        raw->shape = y->shape;
        raw->hasShape = y->hasShape;
        n->outputs[0] = raw;
        raw->producer = n;
        Value* vc = bn::addDoubleConstant(g, n->name + "_b_folded", v, {nDim}, b->dtype);
        bn::insertNodeAfter(g, n, OpKind::Add, n->name + "_bias", {raw, vc}, {y}, NoAttrs{});
      }
    }
  }
  bn::replaceInput(g, n, 1, bn::addDoubleConstant(g, n->name + "_w_folded", bn::scaleAlongAxis(*b, kAxis, f.a), b->dims, b->dtype));
  return "";
}

std::string backwardPart(const PassReport& report, const std::string& key) {
  const BnDecision* d = bn::findDecision(report, key);
  return d && d->reason.rfind("backward:", 0) == 0 ? d->reason + "; " : "";
}

}  // namespace

bool foldScaleShiftForward(Graph& g, PassContext& ctx) {
  bool changed = false;
  for (Node* n : g.nodeList()) {
    if (!bn::contains(g, n) || n->kind != OpKind::ScaleShift) continue;
    const std::string key = bn::decisionKey(*n);
    std::string why;
    Plan plan;
    auto p = bn::readScaleShift(*n, why);
    if (p) why = planChain(g, *p, plan);
    if (why.empty()) {
      why = plan.target->kind == OpKind::Conv ? foldIntoConv(g, plan.target, plan.f) : foldIntoMatrix(g, plan.target, plan.f);
    }
    if (!why.empty()) {
      bn::decide(ctx, kPass, key, "ScaleShift", "kept as ScaleShift fused after " + bn::describeSource(n->input(0)),
                 backwardPart(ctx.report, key) + "forward: " + why);
      continue;
    }
    // The first node after the ScaleShift now reads x; the pools in between commute with the
    // affine (see throughPool) and the target's weights absorbed it.
    Node* first = plan.through.empty() ? plan.target : plan.through.front();
    g.setInput(first, 0, p->x);
    g.removeNode(n);
    std::vector<std::string> via;
    for (const Node* t : plan.through) via.push_back(bn::describeNode(t));
    bn::decide(ctx, kPass, key, "ScaleShift",
               "folded forward into " + bn::describeNode(plan.target) + (via.empty() ? "" : " through " + bn::join(via)),
               "");
    changed = true;
  }
  if (changed) g.pruneValues();
  return changed;
}

}  // namespace kiln
