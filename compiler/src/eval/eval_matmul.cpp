// Gemm and MatMul.
#include <algorithm>

#include "eval_kernels.h"

namespace kiln::eval {

namespace {

// y[m, n] = sum_k a(m, k) * b(k, n) with a(m, k) = a[m*am + k*ak], b(k, n) = b[k*bk + n*bn].
// Each output sums over k in increasing order, accumulating in T (wrapping for integers).
template <typename T>
void matmul(const T* a, int64_t am, int64_t ak, const T* b, int64_t bk, int64_t bn, T* y,
            int64_t M, int64_t K, int64_t N) {
  std::vector<Arith<T>> row(static_cast<size_t>(N));
  for (int64_t m = 0; m < M; ++m) {
    std::fill(row.begin(), row.end(), Arith<T>(0));
    for (int64_t k = 0; k < K; ++k) {
      const Arith<T> av = static_cast<Arith<T>>(a[m * am + k * ak]);
      const T* bRow = b + k * bk;
      for (int64_t n = 0; n < N; ++n) row[n] = static_cast<Arith<T>>(row[n] + av * static_cast<Arith<T>>(bRow[n * bn]));
    }
    for (int64_t n = 0; n < N; ++n) y[m * N + n] = static_cast<T>(row[n]);
  }
}

std::string dimsStr(const std::vector<int64_t>& d) { return shapeToString(shapeOf(d)); }

}  // namespace

Outputs evalGemm(const KernelCall& c) {
  const GemmAttrs& at = c.node.as<GemmAttrs>();
  const Tensor& A = c.input(0);
  const Tensor& B = c.input(1);
  const Tensor* C = c.optional(2);
  requireSameDtype(c, 0, 1);
  if (C) requireSameDtype(c, 0, 2);
  if (A.rank() != 2 || B.rank() != 2)
    c.fail("A and B must be 2-D, got " + dimsStr(A.dims) + " and " + dimsStr(B.dims));
  const int64_t M = at.transA ? A.dims[1] : A.dims[0];
  const int64_t K = at.transA ? A.dims[0] : A.dims[1];
  const int64_t Kb = at.transB ? B.dims[1] : B.dims[0];
  const int64_t N = at.transB ? B.dims[0] : B.dims[1];
  if (K != Kb)
    c.fail("inner dimensions differ: A " + dimsStr(A.dims) + (at.transA ? " (transposed)" : "") +
           " vs B " + dimsStr(B.dims) + (at.transB ? " (transposed)" : ""));
  const std::vector<int64_t> out{M, N};
  if (C && broadcastShapes(c, C->dims, out) != out)
    c.fail("C of shape " + dimsStr(C->dims) + " does not broadcast to " + dimsStr(out));

  return visitFloat(c, 0, A.dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor Y = makeTensor(c, A.dtype, out);
    auto y = Y.data<T>();
    matmul<T>(A.data<T>().data(), at.transA ? 1 : K, at.transA ? M : 1, B.data<T>().data(),
              at.transB ? 1 : N, at.transB ? K : 1, y.data(), M, K, N);
    const T alpha = static_cast<T>(at.alpha), beta = static_cast<T>(at.beta);
    for (T& v : y) v *= alpha;
    if (C && at.beta != 0.0f) {
      auto cs = C->data<T>();
      forEachBroadcast<1>(out, {broadcastStrides(C->dims, out)},
                          [&](int64_t o, const std::array<int64_t, 1>& off) {
                            y[o] += beta * cs[off[0]];
                          });
    }
    return Outputs{std::move(Y)};
  });
}

// numpy.matmul: 1-D operands are promoted (and the added axis removed again), leading
// batch dimensions broadcast.
Outputs evalMatMul(const KernelCall& c) {
  const Tensor& A = c.input(0);
  const Tensor& B = c.input(1);
  requireSameDtype(c, 0, 1);
  if (A.rank() == 0 || B.rank() == 0) c.fail("MatMul operands must have rank >= 1");
  std::vector<int64_t> ad = A.dims, bd = B.dims;
  if (A.rank() == 1) ad.insert(ad.begin(), 1);
  if (B.rank() == 1) bd.push_back(1);
  const int64_t M = ad[ad.size() - 2], K = ad.back(), N = bd.back();
  if (bd[bd.size() - 2] != K)
    c.fail("inner dimensions differ: " + dimsStr(A.dims) + " x " + dimsStr(B.dims));

  const std::vector<int64_t> aBatch(ad.begin(), ad.end() - 2), bBatch(bd.begin(), bd.end() - 2);
  const std::vector<int64_t> batch = broadcastShapes(c, aBatch, bBatch);
  std::vector<int64_t> full = batch;
  full.push_back(M);
  full.push_back(N);
  std::vector<int64_t> outDims = batch;
  if (A.rank() != 1) outDims.push_back(M);
  if (B.rank() != 1) outDims.push_back(N);

  return visitNumeric(c, 0, A.dtype, [&](auto tag) {
    using T = decltype(tag);
    Tensor Y = makeTensor(c, A.dtype, full);
    const T* a = A.data<T>().data();
    const T* b = B.data<T>().data();
    T* y = Y.data<T>().data();
    forEachBroadcast<2>(batch, {broadcastStrides(aBatch, batch), broadcastStrides(bBatch, batch)},
                        [&](int64_t o, const std::array<int64_t, 2>& off) {
                          matmul<T>(a + off[0] * M * K, K, 1, b + off[1] * K * N, N, 1,
                                    y + o * M * N, M, K, N);
                        });
    Y.dims = outDims;
    return Outputs{std::move(Y)};
  });
}

}  // namespace kiln::eval
