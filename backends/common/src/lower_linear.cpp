// Gemm and MatMul as reductions over the inner dimension.
#include "lower.h"

namespace kiln::plan {

// y[m, n] = alpha * sum_k a(m, k) * b(k, n) + beta * C[broadcast(m, n)]
void lowerGemm(LowerCtx& c) {
  const GemmAttrs& at = c.node.as<GemmAttrs>();
  if (c.rank(0) != 2 || c.rank(1) != 2) c.unsupported("A and B must be 2-D");
  const std::vector<Poly> a = c.shape(0);
  const std::vector<Poly> b = c.shape(1);
  Kernel k;
  k.domain = {at.transA ? a[1] : a[0], at.transB ? b[0] : b[1]};
  const Poly K = at.transA ? a[0] : a[1];
  const Expr m = var(0), n = var(1), kk = var(2);
  Expr av = at.transA ? c.ldIn(0, {kk, m}) : c.ldIn(0, {m, kk});
  Expr bv = at.transB ? c.ldIn(1, {n, kk}) : c.ldIn(1, {kk, n});
  k.reduce = Reduction{ReduceKind::Sum, {K}, mul(av, bv)};
  if (c.gemmOperandB(1)) k.kind = KernelKind::Gemm;
  const Expr sum = acc(k.reduce->body->type);
  Expr value = at.alpha == 1.0f ? sum : mul(constF(at.alpha), sum);
  if (c.has(2) && at.beta != 0.0f) {
    if (!broadcastShape(c.shape(2), k.domain)) c.unsupported("C does not broadcast to [M, N]");
    Expr cv = c.ldBroadcast(2, {m, n});
    value = add(value, at.beta == 1.0f ? cv : mul(constF(at.beta), cv));
  }
  k.value = value;
  k.out = c.output(0, k.domain);
  c.kernel("", std::move(k));
}

// numpy.matmul: 1-D operands are promoted (the added axis is dropped again), leading batch
// dims broadcast.
void lowerMatMul(LowerCtx& c) {
  std::vector<Poly> ad = c.shape(0), bd = c.shape(1);
  const bool aVec = ad.size() == 1, bVec = bd.size() == 1;
  if (ad.empty() || bd.empty()) c.unsupported("operands must have rank >= 1");
  if (aVec) ad.insert(ad.begin(), Poly(1));
  if (bVec) bd.push_back(Poly(1));
  const std::vector<Poly> aBatch(ad.begin(), ad.end() - 2), bBatch(bd.begin(), bd.end() - 2);
  auto batch = broadcastShape(aBatch, bBatch);
  if (!batch) c.unsupported("batch dims do not broadcast");
  const Poly M = ad[ad.size() - 2], K = ad.back(), N = bd.back();
  if (!(bd[bd.size() - 2] == K)) c.unsupported("inner dimensions differ");

  Kernel k;
  k.domain = *batch;
  if (!aVec) k.domain.push_back(M);
  if (!bVec) k.domain.push_back(N);
  const size_t nb = batch->size();
  const std::vector<Expr> v = vars(k.domain.size());
  const Expr kk = var(static_cast<int>(k.domain.size()));
  const std::vector<Expr> bv(v.begin(), v.begin() + nb);
  // Index of an operand: its broadcast batch dims, then the two matrix dims.
  auto operand = [&](const std::vector<Poly>& batchDims, std::vector<Expr> tail) {
    std::vector<Expr> idx;
    for (size_t d = 0; d < batchDims.size(); ++d)
      idx.push_back(batchDims[d] == Poly(1) ? constI(0) : bv[nb - batchDims.size() + d]);
    idx.insert(idx.end(), tail.begin(), tail.end());
    return idx;
  };
  const Expr m = aVec ? nullptr : v[nb];
  const Expr n = bVec ? nullptr : v[nb + (aVec ? 0 : 1)];
  std::vector<Expr> ai = operand(aBatch, aVec ? std::vector<Expr>{kk} : std::vector<Expr>{m, kk});
  std::vector<Expr> bi = operand(bBatch, bVec ? std::vector<Expr>{kk} : std::vector<Expr>{kk, n});
  k.reduce = Reduction{ReduceKind::Sum, {K}, mul(c.ldIn(0, ai), c.ldIn(1, bi))};
  if (c.gemmOperandB(1) && bd.size() == 2 && !bVec) k.kind = KernelKind::Gemm;
  k.value = acc(k.reduce->body->type);
  k.out = c.output(0, k.domain);
  c.kernel("", std::move(k));
}

}  // namespace kiln::plan
