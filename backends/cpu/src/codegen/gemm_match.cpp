// Blocking a GEMM-shaped kernel (plan/gemm_shape.h) for the register micro-kernel.
#include <algorithm>

#include "codegen/gemm_emitter.h"

namespace kiln::cpu {

namespace {

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
  auto without = [&](const Expr& x) { return !usesVar(x, var); };
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
    if (usesVar(a->args[d], g.rowVar)) return;
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
    if (usesVar(a->args[d], rank)) return;
  const std::vector<Poly>& shape = p.buffers[static_cast<size_t>(a->i)].shape;
  if (shape.empty() || !(shape.back() == Poly(g.k))) return;
  g.dot = true;
  g.aLoad = a;
  g.nr = static_cast<int>(g.n);
  g.mr = static_cast<int>(std::clamp<int64_t>(24 / g.n, 1, 4));  // mr x n <= 24 accumulators
}

}  // namespace

std::optional<GemmMatch> matchGemm(const Program& p, const Kernel& k, int lanes) {
  std::optional<GemmShape> shape = matchGemmShape(p, k);
  if (!shape) return std::nullopt;
  GemmMatch g;
  static_cast<GemmShape&>(g) = std::move(*shape);
  g.lanes = lanes;
  g.nr = chooseCols(g.n, lanes);
  g.mr = chooseRows(k.domain[static_cast<size_t>(g.rowVar)], g.nr / lanes, lanes);
  if (!g.guarded) chooseRowVector(p, k, g);
  if (!g.guarded && !g.rowVector) chooseDot(p, k, g);
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
