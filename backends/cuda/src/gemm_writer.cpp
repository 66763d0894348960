// Gemm-kind kernels (plan/gemm_shape.h: out(rows, col) = epilogue(sum_k A(rows, k) * B(col, k)),
// B a float32 constant) as shared-memory tiles: a block of 256 threads computes BM x BN outputs,
// each thread RM x RN of them in registers, staging BK-deep slices of A (the kernel's A
// expression: im2col for a convolution, padding guard included) and of B in shared memory.
// Each output still sums its K products in order, in a float accumulator, with fp32 FMA (as
// the generic form, whose `acc += a * b` contracts the same way): no TF32, no reordering.
// Tiles are grid-strided, so any grid is correct; the epilogue (bias, scale/shift, activation,
// residual) runs on the accumulators and stores the valid elements.
#include "expr_writer.h"
#include "kernel_frame.h"
#include "kernel_writer.h"
#include "kiln/plan/gemm_shape.h"

namespace kiln::cuda {

namespace {

constexpr int kThreads = 256, kRM = 4, kRN = 4, kBK = 16;

struct Tile {
  int bm, bn;
};

// BM * BN = 256 threads * RM * RN outputs; narrow GEMMs (few output channels) get taller tiles.
Tile tileFor(int64_t n) {
  if (n <= 16) return {256, 16};
  if (n <= 32) return {128, 32};
  return {64, 64};
}

}  // namespace

std::optional<Launch> writeTiledGemm(const Program& p, const Kernel& k, const std::string& name,
                                     const CudaOptions& o, bool errorWord, CodeWriter& out) {
  const std::optional<plan::GemmShape> g = plan::matchGemmShape(p, k);
  if (!g || k.moments) return std::nullopt;
  const Tile t = tileFor(g->n);
  const int rank = static_cast<int>(k.domain.size());
  const int nred = static_cast<int>(k.reduce->extents.size());
  std::vector<Poly> rowExtents;
  std::vector<int> rowIds, redIds;
  for (int v = 0; v < rank; ++v)
    if (v != g->colVar) rowExtents.push_back(k.domain[static_cast<size_t>(v)]), rowIds.push_back(v);
  for (int d = 0; d < nred; ++d) redIds.push_back(rank + d);
  const Poly rows = plan::product(rowExtents);
  const std::string bm = std::to_string(t.bm), bn = std::to_string(t.bn), bk = std::to_string(kBK);
  const std::string n = std::to_string(g->n), kk = std::to_string(g->k);
  const int64_t colTiles = (g->n + t.bn - 1) / t.bn;
  std::vector<Expr> bIndex;
  for (int v : g->bDimVar) bIndex.push_back(plan::var(v));
  const Expr bLoad = plan::load(g->bBuf, EType::F32, bIndex);

  CodeWriter w(1);
  ExprWriter ex(p, w);
  ex.vars.assign(static_cast<size_t>(rank + nred), "");
  const std::string m = ex.poly(rows);
  w.line("__shared__ float kiln_as[" + bk + "][" + bm + "];");
  w.line("__shared__ float kiln_bs[" + bk + "][" + bn + "];");
  w.line("const int kiln_tr = threadIdx.x / " + std::to_string(t.bn / kRN) + ", kiln_tc = threadIdx.x % " +
         std::to_string(t.bn / kRN) + ";");
  w.line("const i64 kiln_tiles = (" + m + " + " + bm + "LL - 1LL) / " + bm + "LL * " + std::to_string(colTiles) + "LL;");
  w.open("for (i64 kiln_tile = blockIdx.x; kiln_tile < kiln_tiles; kiln_tile += gridDim.x)");
  w.line("const i64 kiln_row0 = kiln_tile / " + std::to_string(colTiles) + "LL * " + bm + "LL;");
  w.line("const i64 kiln_col0 = kiln_tile % " + std::to_string(colTiles) + "LL * " + bn + "LL;");
  w.line("float kiln_acc[" + std::to_string(kRM) + "][" + std::to_string(kRN) + "] = {};");
  w.open("for (i64 kiln_k0 = 0; kiln_k0 < " + kk + "LL; kiln_k0 += " + bk + "LL)");
  // A slice: BK x BM elements of the A expression (0 beyond the rows or K).
  w.open("for (int kiln_e = threadIdx.x; kiln_e < " + bk + " * " + bm + "; kiln_e += " + std::to_string(kThreads) + ")");
  w.line("const i64 kiln_row = kiln_row0 + kiln_e % " + bm + ", kiln_kx = kiln_k0 + kiln_e / " + bm + ";");
  w.line("float kiln_a = 0.0f;");
  w.open("if (kiln_row < " + m + " && kiln_kx < " + kk + "LL)");
  ex.pushScope();
  unravel(ex, w, "kiln_row", rowExtents, rowIds);
  unravel(ex, w, "kiln_kx", k.reduce->extents, redIds);
  w.line("kiln_a = " + ex.emit(g->a) + ";");
  ex.popScope();
  w.close();
  w.line("kiln_as[kiln_e / " + bm + "][kiln_e % " + bm + "] = kiln_a;");
  w.close();
  // B slice: BK x BN elements of the constant B (0 beyond the columns or K).
  w.open("for (int kiln_e = threadIdx.x; kiln_e < " + bk + " * " + bn + "; kiln_e += " + std::to_string(kThreads) + ")");
  w.line("const i64 kiln_col = kiln_col0 + kiln_e % " + bn + ", kiln_kx = kiln_k0 + kiln_e / " + bn + ";");
  w.line("float kiln_b = 0.0f;");
  w.open("if (kiln_col < " + n + "LL && kiln_kx < " + kk + "LL)");
  ex.pushScope();
  unravel(ex, w, "kiln_col", {k.domain[static_cast<size_t>(g->colVar)]}, std::vector<int>{g->colVar});
  unravel(ex, w, "kiln_kx", k.reduce->extents, redIds);
  w.line("kiln_b = " + ex.emit(bLoad) + ";");
  ex.popScope();
  w.close();
  w.line("kiln_bs[kiln_e / " + bn + "][kiln_e % " + bn + "] = kiln_b;");
  w.close();
  w.line("__syncthreads();");
  // K products in order; a slice's tail beyond K adds 0 * 0.
  w.open("for (int kiln_kk = 0; kiln_kk < " + bk + "; ++kiln_kk)");
  w.line("#pragma unroll");
  w.open("for (int i = 0; i < " + std::to_string(kRM) + "; ++i)");
  w.line("const float kiln_ai = kiln_as[kiln_kk][kiln_tr * " + std::to_string(kRM) + " + i];");
  w.line("#pragma unroll");
  w.line("for (int j = 0; j < " + std::to_string(kRN) + "; ++j) kiln_acc[i][j] += kiln_ai * kiln_bs[kiln_kk][kiln_tc * " +
         std::to_string(kRN) + " + j];");
  w.close();
  w.close();
  w.line("__syncthreads();");
  w.close();
  // Epilogue per accumulator.
  w.line("#pragma unroll");
  w.open("for (int i = 0; i < " + std::to_string(kRM) + "; ++i)");
  w.line("#pragma unroll");
  w.open("for (int j = 0; j < " + std::to_string(kRN) + "; ++j)");
  w.line("const i64 kiln_row = kiln_row0 + kiln_tr * " + std::to_string(kRM) + " + i;");
  w.line("const i64 kiln_col = kiln_col0 + kiln_tc * " + std::to_string(kRN) + " + j;");
  w.open("if (kiln_row < " + m + " && kiln_col < " + n + "LL)");
  ex.pushScope();
  unravel(ex, w, "kiln_row", rowExtents, rowIds);
  unravel(ex, w, "kiln_col", {k.domain[static_cast<size_t>(g->colVar)]}, std::vector<int>{g->colVar});
  ex.acc = "kiln_acc[i][j]";
  const std::string v = ex.emit(k.value);
  ex.store(k.out, k.store.empty() ? plan::vars(static_cast<size_t>(rank)) : k.store, v, k.value->type);
  ex.popScope();
  w.close();
  w.close();
  w.close();
  w.close();

  const Expr tiles = plan::mul(plan::floorDiv(plan::add(plan::size(rows), plan::constI(t.bm - 1)), plan::constI(t.bm)),
                               plan::constI(colTiles));
  const KernelFrame frame(p, plan::rootBuffersOf(p, k), writtenRoots(p, k), errorWord);
  (void)o;
  return frame.write(out, name, k.name + " (tiled GEMM " + bm + "x" + bn + "x" + bk + ")",
                     plan::mul(tiles, plan::constI(kThreads)), kThreads, ex, w);
}

}  // namespace kiln::cuda
