// Recognising a Gemm-kind kernel as A(rows, k) * B(cols, k) with a constant B, and choosing
// its register block.
#include <algorithm>

#include "codegen/gemm_emitter.h"

namespace kiln::cpu {

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

// Columns per block: as many vectors (up to 3 with 32 registers, 2 with 16) as pad no more
// columns than one vector would; more columns per block read each A element fewer times.
int chooseCols(int64_t n, int lanes) {
  auto padded = [&](int64_t block) { return (n + block - 1) / block * block; };
  for (int nv = lanes == 16 ? 3 : 2; nv > 1; --nv)
    if (padded(int64_t{nv} * lanes) == padded(lanes)) return nv * lanes;
  return lanes;
}

// Rows per block: as many as the registers allow (MR x NV accumulators + NV B vectors + one
// broadcast in 16 ymm / 32 zmm registers, at most 12), preferring a size that divides a known
// row count; 8 for a symbolic one (batch sizes are often multiples of 8).
int chooseRows(const Poly& rows, int nv, int lanes) {
  const int maxRows = std::min(12, ((lanes == 16 ? 32 : 16) - nv - 2) / nv);
  if (!rows.isConst()) return std::min(8, maxRows);
  const int64_t r = rows.constValue();
  int best = maxRows;
  for (int c = maxRows; c >= 4; --c)
    if (r % c < r % best) best = c;
  return best;
}

// True when e = rowVar + (terms without rowVar): unit stride along the rows.
bool unitStride(const Expr& e, int var) {
  auto without = [&](const Expr& x) { return !uses(x, [&](const ExprNode& n) { return n.op == EOp::Var && n.i == var; }); };
  if (e->op == EOp::Var) return e->i == var;
  if (e->op == EOp::Add) return (unitStride(e->args[0], var) && without(e->args[1])) || (unitStride(e->args[1], var) && without(e->args[0]));
  if (e->op == EOp::Sub) return unitStride(e->args[0], var) && without(e->args[1]);
  return false;
}

// Switches g to the row-vector form when it fits better: few columns, known rows that are
// the output's innermost dim, and an A that is one unguarded load with unit stride along the
// rows (no padding: valid Convs, or the ones whose padding a Pad op made explicit).
void chooseRowVector(const Program& p, const Kernel& k, GemmMatch& g) {
  const int rank = static_cast<int>(k.domain.size());
  const Poly& rows = k.domain[static_cast<size_t>(g.rowVar)];
  if (g.n > 8 || !k.store.empty() || g.rowVar != rank - 1 || !rows.isConst()) return;
  const Expr& a = g.a;
  if (a->op != EOp::Load || p.buffers[static_cast<size_t>(a->i)].dtype != DType::F32) return;
  for (size_t d = 0; d + 1 < a->args.size(); ++d)
    if (uses(a->args[d], [&](const ExprNode& n) { return n.op == EOp::Var && n.i == g.rowVar; })) return;
  if (a->args.empty() || !unitStride(a->args.back(), g.rowVar)) return;
  const int64_t r = rows.constValue();
  const int accRegs = g.lanes == 16 ? 24 : 12;
  const int rv = static_cast<int>(std::min<int64_t>((r + g.lanes - 1) / g.lanes, accRegs / std::min<int64_t>(g.n, accRegs / 2)));
  g.rowVector = true;
  g.rowVectors = std::max(1, rv);
  g.nr = static_cast<int>(std::min<int64_t>(g.n, accRegs / g.rowVectors));
  g.mr = g.rowVectors * g.lanes;
  g.aLoad = a;
}

// Switches g to the dot-product form when the column-vector block would leave many lanes
// idle (n <= 12 pads to 16) and K is one reduction variable, A's last index, with at least two
// vectors' worth of elements (the masked tail is then a small share).
void chooseDot(const Program& p, const Kernel& k, GemmMatch& g) {
  const int rank = static_cast<int>(k.domain.size());
  const bool rowInner = k.store.empty() && g.rowVar == rank - 1;
  if (g.n > 12 || g.n % g.lanes == 0 || k.reduce->extents.size() != 1 || g.k < 2 * g.lanes || rowInner) return;
  const Expr& a = g.a;
  if (a->op != EOp::Load || a->args.empty() || p.buffers[static_cast<size_t>(a->i)].dtype != DType::F32) return;
  const Expr& last = a->args.back();
  if (last->op != EOp::Var || last->i != rank) return;
  for (size_t d = 0; d + 1 < a->args.size(); ++d)
    if (uses(a->args[d], [&](const ExprNode& n) { return n.op == EOp::Var && n.i == rank; })) return;
  const std::vector<Poly>& shape = p.buffers[static_cast<size_t>(a->i)].shape;
  if (shape.empty() || !(shape.back() == Poly(g.k))) return;
  g.dot = true;
  g.aLoad = a;
  g.nr = static_cast<int>(g.n);
  g.mr = static_cast<int>(std::clamp<int64_t>(24 / g.n, 1, 4));  // mr x n <= 24 accumulators
}

}  // namespace

std::optional<GemmMatch> matchGemm(const Program& p, const Kernel& k, int lanes) {
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

  GemmMatch g;
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
  g.lanes = lanes;
  g.nr = chooseCols(g.n, lanes);
  g.mr = chooseRows(k.domain[static_cast<size_t>(g.rowVar)], g.nr / lanes, lanes);
  if (!guard) chooseRowVector(p, k, g);
  if (!guard && !g.rowVector) chooseDot(p, k, g);
  return g;
}

Expr gemmIterations(const Kernel& k, const GemmMatch& g) {
  std::vector<Poly> outer;
  for (size_t d = 0; d < k.domain.size(); ++d)
    if (static_cast<int>(d) != g.rowVar && static_cast<int>(d) != g.colVar) outer.push_back(k.domain[d]);
  const Expr rows = size(k.domain[static_cast<size_t>(g.rowVar)]);
  const Expr blocks = floorDiv(add(rows, constI(g.mr - 1)), constI(g.mr));
  return outer.empty() ? blocks : mul(size(product(outer)), blocks);
}

int64_t gemmWorkPerIteration(const GemmMatch& g) {
  return int64_t{g.mr} * ((g.n + g.nr - 1) / g.nr * g.nr) * g.k;
}

}  // namespace kiln::cpu
