#include "bn_stats_match.h"

#include <algorithm>
#include <cmath>

namespace kiln::bn {

namespace {

using Status = NormalizeMatch::Status;

struct ReduceSet {
  std::vector<int64_t> axes;  // sorted, non-negative
  bool keepDims = true;
  bool operator==(const ReduceSet&) const = default;
};

// The axes a ReduceMean reduces over: its constant axes input, or every axis when absent or
// empty (unless noop_with_empty_axes makes it an identity).
std::optional<ReduceSet> reduceSetOf(const Node& rm, int64_t rank) {
  const auto& attrs = rm.as<ReduceAttrs>();
  std::vector<int64_t> axes;
  if (const Value* a = rm.input(1)) {
    auto t = constantOf(a);
    if (!t) return std::nullopt;
    axes = t->toInts();
  }
  if (axes.empty()) {
    if (attrs.noopWithEmptyAxes) return std::nullopt;
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  auto norm = normaliseAxes(axes, rank);
  if (!norm) return std::nullopt;
  return ReduceSet{*norm, attrs.keepDims};
}

// m = ReduceMean(x, ...)?
const Node* meanOf(const Value* m, const Value* x) {
  if (!m || !m->producer || m->producer->kind != OpKind::ReduceMean) return nullptr;
  return m->producer->input(0) == x ? m->producer : nullptr;
}

// d = Sub(x, ReduceMean(x, s))? Returns the ReduceMean node.
const Node* centeredOf(const Value* d, const Value* x, const ReduceSet& s, int64_t rank) {
  if (!d || !d->producer || d->producer->kind != OpKind::Sub || d->producer->input(0) != x)
    return nullptr;
  const Node* m = meanOf(d->producer->input(1), x);
  if (!m) return nullptr;
  auto ms = reduceSetOf(*m, rank);
  return ms && *ms == s ? m : nullptr;
}

// A value that is affine in the number n of reduced elements: c0 + c1 * n. Recognises scalar
// constants, shape-derived scalars with known content and, for whole-tensor statistics,
// n itself computed as Cast(ReduceProd(Shape(x))).
struct Lin {
  double c0 = 0, c1 = 0;
  double at(double n) const { return c0 + c1 * n; }
};

std::optional<Lin> linearCount(const Value* v, const Value* x, bool wholeTensor, int depth) {
  if (!v || depth == 0) return std::nullopt;
  if (auto k = scalarConstant(v)) return Lin{*k, 0};
  if (v->symbolicContent && v->symbolicContent->size() == 1 && (*v->symbolicContent)[0].isKnown())
    return Lin{static_cast<double>((*v->symbolicContent)[0].value), 0};
  const Node* p = v->producer;
  if (!p) return std::nullopt;
  auto rec = [&](size_t i) { return linearCount(p->input(i), x, wholeTensor, depth - 1); };
  switch (p->kind) {
    case OpKind::Cast:
    case OpKind::Identity:
      return rec(0);
    case OpKind::Add:
    case OpKind::Sub: {
      auto a = rec(0), b = rec(1);
      if (!a || !b) return std::nullopt;
      const double s = p->kind == OpKind::Add ? 1.0 : -1.0;
      return Lin{a->c0 + s * b->c0, a->c1 + s * b->c1};
    }
    case OpKind::Mul: {
      auto a = rec(0), b = rec(1);
      if (!a || !b) return std::nullopt;
      if (a->c1 != 0 && b->c1 != 0) return std::nullopt;  // n^2: not linear
      if (a->c1 == 0) std::swap(a, b);
      return Lin{a->c0 * b->c0, a->c1 * b->c0};
    }
    default:
      break;
  }
  // ReduceProd is looked up by name so this matcher works once the op table has it.
  static const std::optional<OpKind> kReduceProd = opFromOnnxName("ReduceProd");
  if (wholeTensor && kReduceProd && p->kind == *kReduceProd && !p->input(1)) {
    const Value* s = p->input(0);
    if (s && s->producer && s->producer->kind == OpKind::Shape && s->producer->input(0) == x) {
      const auto& sa = s->producer->as<ShapeAttrs>();
      if (sa.start == 0 && !sa.end) return Lin{0, 1};
    }
  }
  return std::nullopt;
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b)); }

}  // namespace

NormalizeMatch matchNormalize(const Node& div) {
  NormalizeMatch r;
  if (div.kind != OpKind::Div || div.outputs.empty()) return r;
  const Value* d1 = div.input(0);
  if (!d1 || !d1->producer || d1->producer->kind != OpKind::Sub) return r;
  Value* x = d1->producer->input(0);
  const Node* m1 = meanOf(d1->producer->input(1), x);
  if (!m1 || !x->hasShape || !isFloat(x->dtype) || x->shape.size() < 2) return r;
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  auto s1 = reduceSetOf(*m1, rank);
  // Batch statistics always reduce over the batch axis 0; statistics over the trailing axes
  // only (LayerNorm, InstanceNorm) are not a BN.
  if (!s1 || s1->axes.empty() || s1->axes.front() != 0) return r;

  r.x = x;
  r.normalized = div.outputs[0];
  r.key = decisionKey(*m1);
  r.wholeTensor = static_cast<int64_t>(s1->axes.size()) == rank;
  r.pattern = r.wholeTensor ? "whole-tensor BN" : "hand-written BN";
  auto decline = [&](const std::string& why) {
    r.status = Status::Declined;
    r.reason = why;
    return r;
  };
  if (!r.wholeTensor) {
    if (static_cast<int64_t>(s1->axes.size()) != rank - 1)
      return decline("mean reduces over " + std::to_string(s1->axes.size()) + " of " +
                     std::to_string(rank) + " axes: statistics are neither per-channel nor whole-tensor");
    for (int64_t a = 0; a < rank; ++a)
      if (!std::binary_search(s1->axes.begin(), s1->axes.end(), a)) r.axis = a;
    if (!s1->keepDims && r.axis != rank - 1)
      return decline("mean with keepdims=0 does not broadcast back along channel axis " +
                     std::to_string(r.axis));
  }

  // Denominator: sqrt(var [+ eps]).
  const Value* den = div.input(1);
  const Value* inner = nullptr;
  if (den && den->producer && den->producer->kind == OpKind::Sqrt) {
    inner = den->producer->input(0);
  } else if (den && den->producer && den->producer->kind == OpKind::Pow) {
    auto e = scalarConstant(den->producer->input(1));
    if (!e || *e != 0.5) return decline("denominator is a Pow with exponent " + (e ? fmt(*e) : std::string("?")) + ", not 0.5");
    inner = den->producer->input(0);
  } else {
    return decline("denominator is not a square root of the variance");
  }
  if (inner->producer && inner->producer->kind == OpKind::Add) {
    const Node* add = inner->producer;
    for (int i = 0; i < 2; ++i) {
      auto eps = scalarConstant(add->input(i));
      if (eps && !constantOf(add->input(1 - i))) {
        if (*eps < 0) return decline("epsilon " + fmt(*eps) + " is negative");
        r.epsilon = *eps;
        inner = add->input(1 - i);
        break;
      }
    }
  }

  // Variance: ReduceMean(square(x - mean)) times optional count factors (n/(n-1) for std()).
  std::vector<Lin> num, den2;
  for (int guard = 0; guard < 4 && inner->producer &&
                      (inner->producer->kind == OpKind::Mul || inner->producer->kind == OpKind::Div);
       ++guard) {
    const Node* p = inner->producer;
    if (p->kind == OpKind::Div) {
      auto l = linearCount(p->input(1), x, r.wholeTensor, 6);
      if (!l) break;
      den2.push_back(*l);
      inner = p->input(0);
    } else if (auto l = linearCount(p->input(1), x, r.wholeTensor, 6)) {
      num.push_back(*l);
      inner = p->input(0);
    } else if (auto l0 = linearCount(p->input(0), x, r.wholeTensor, 6)) {
      num.push_back(*l0);
      inner = p->input(1);
    } else {
      break;
    }
  }
  const Node* vm = inner->producer;
  if (!vm || vm->kind != OpKind::ReduceMean)
    return decline("variance is not a ReduceMean of squared deviations (found " +
                   describeSource(inner) + ")");
  auto s2 = reduceSetOf(*vm, rank);
  if (!s2 || !(*s2 == *s1)) return decline("variance reduces over other axes than the mean");
  const Value* sq = vm->input(0);
  const Node* sqn = sq ? sq->producer : nullptr;
  const Value* d2 = nullptr;
  if (sqn && sqn->kind == OpKind::Mul && sqn->input(0) == sqn->input(1)) {
    d2 = sqn->input(0);
  } else if (sqn && sqn->kind == OpKind::Pow) {
    auto e = scalarConstant(sqn->input(1));
    if (!e || *e != 2.0) return decline("deviations are raised to the power " + (e ? fmt(*e) : std::string("?")) + ", not 2");
    d2 = sqn->input(0);
  } else {
    return decline("variance does not average squared deviations");
  }
  if (!centeredOf(d2, x, *s1, rank))
    return decline("variance is not taken around the mean of the same tensor over the same axes");

  // Correction factor F(n) = prod(num) / prod(den): 1 (population variance) or n/(n-1)
  // (unbiased, torch.std / torch.var default).
  std::optional<double> n;
  {
    double count = 1;
    bool known = true;
    for (int64_t a : s1->axes) {
      known = known && x->shape[a].isKnown();
      if (known) count *= static_cast<double>(x->shape[a].value);
    }
    if (known) n = count;
  }
  auto factorAt = [&](double nv) {
    double f = 1;
    for (const Lin& l : num) f *= l.at(nv);
    for (const Lin& l : den2) f /= l.at(nv);
    return f;
  };
  bool symbolic = false;
  for (const Lin& l : num) symbolic = symbolic || l.c1 != 0;
  for (const Lin& l : den2) symbolic = symbolic || l.c1 != 0;
  std::vector<double> samples;
  if (symbolic) samples = {2, 3, 5, 8, 13, 100, 1000, 65537};
  else if (n && *n > 1) samples = {*n};
  if (num.empty() && den2.empty()) {
    r.unbiasedVar = false;
  } else if (samples.empty()) {
    return decline("variance is scaled by " + fmt(factorAt(0)) +
                   " and the number of reduced elements is not static, so n/(n-1) cannot be checked");
  } else {
    bool unbiased = true, population = true;
    for (double s : samples) {
      unbiased = unbiased && close(factorAt(s), s / (s - 1));
      population = population && close(factorAt(s), 1.0);
    }
    if (!unbiased && !population) {
      const double s = samples.front();
      return decline("variance correction factor " + fmt(factorAt(s)) + " at n = " + fmt(s) +
                     " is neither 1 nor n/(n-1) = " + fmt(s / (s - 1)));
    }
    r.unbiasedVar = unbiased;
  }
  r.status = Status::Matched;
  return r;
}

}  // namespace kiln::bn
