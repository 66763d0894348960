#include "kiln/plan/gemm_shape.h"

#include <algorithm>

namespace kiln::plan {

namespace {

bool uses(const Expr& e, const std::function<bool(const ExprNode&)>& pred) {
  bool found = false;
  visit(e, [&](const Expr& n) { found = found || pred(*n); });
  return found;
}

bool isConstantF32Load(const Program& p, const Expr& e) {
  if (e->op != EOp::Load) return false;
  const Buffer& buf = p.buffers[static_cast<size_t>(e->i)];
  return buf.kind == BufferKind::Constant && buf.data && buf.data->dtype == DType::F32 &&
         buf.data->rank() == static_cast<int64_t>(e->args.size());
}

}  // namespace

bool usesVar(const Expr& e, int var) {
  return uses(e, [&](const ExprNode& n) { return n.op == EOp::Var && n.i == var; });
}

std::optional<GemmShape> matchGemmShape(const Program& p, const Kernel& k) {
  if (k.kind != KernelKind::Gemm || !k.reduce || k.reduce->kind != ReduceKind::Sum) return std::nullopt;
  const int rank = static_cast<int>(k.domain.size());
  const int nred = static_cast<int>(k.reduce->extents.size());
  if (rank < 2 || nred < 1) return std::nullopt;
  Expr body = k.reduce->body, guard;
  if (body->op == EOp::Select) {
    const Expr& other = body->args[2];
    if (other->op != EOp::ConstF || other->f != 0.0) return std::nullopt;
    guard = body->args[0];
    body = body->args[1];
  }
  if (body->op != EOp::Mul || body->type != EType::F32) return std::nullopt;
  Expr a, bl;
  if (isConstantF32Load(p, body->args[1])) {
    a = body->args[0], bl = body->args[1];
  } else if (isConstantF32Load(p, body->args[0])) {
    a = body->args[1], bl = body->args[0];
  } else {
    return std::nullopt;
  }

  GemmShape g;
  g.bBuf = static_cast<int>(bl->i);
  std::vector<int> seen(static_cast<size_t>(nred), 0);
  for (const Expr& ix : bl->args) {
    if (ix->op != EOp::Var) return std::nullopt;
    const int v = static_cast<int>(ix->i);
    if (v < rank) {
      if (g.colVar >= 0) return std::nullopt;
      g.colVar = v;
    } else if (v - rank >= nred || seen[static_cast<size_t>(v - rank)]++) {
      return std::nullopt;
    }
    g.bDimVar.push_back(v);
  }
  if (g.colVar < 0 || std::count(seen.begin(), seen.end(), 1) != nred) return std::nullopt;
  if (!k.domain[static_cast<size_t>(g.colVar)].isConst()) return std::nullopt;
  g.n = k.domain[static_cast<size_t>(g.colVar)].constValue();
  g.k = 1;
  for (const Poly& e : k.reduce->extents) {
    if (!e.isConst()) return std::nullopt;
    g.k *= e.constValue();
  }
  if (g.n <= 0 || g.k <= 0) return std::nullopt;
  g.guarded = guard != nullptr;
  g.a = guard ? select(guard, a, constF(0)) : a;
  if (guard && k.interior) g.aInterior = a, g.interior = k.interior;
  const int col = g.colVar;
  if (uses(g.a, [&](const ExprNode& n) { return (n.op == EOp::Var && n.i == col) || n.op == EOp::Acc; }))
    return std::nullopt;
  for (int v = rank - 1; v >= 0; --v)
    if (v != g.colVar) {
      g.rowVar = v;
      break;
    }
  return g;
}

}  // namespace kiln::plan
