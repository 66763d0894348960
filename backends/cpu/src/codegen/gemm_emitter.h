#pragma once
/// Register-blocked micro-kernel for kernels of kind KernelKind::Gemm whose reduction body is
/// A(rows, k) * B(cols, k) with B a constant float32 buffer (Gemm/MatMul with constant weights,
/// Conv with group 1 as an implicit GEMM). B is packed at compile time into column panels of
/// NR floats ([ceil(N/NR)][K][NR], zero-padded); each block of MR rows x NR columns keeps its
/// MR x NR/L accumulators in <L x float> registers (L = 16 with AVX-512, else 8) across the K loop (FMA), then runs the
/// kernel's epilogue (bias, ScaleShift, activation) on them and stores the valid elements (and
/// adds them to the kernel's moment sums, if any).
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <optional>

#include "codegen/expr_emitter.h"
#include "kiln/plan/gemm_shape.h"

namespace kiln::cpu {

class MomentAccumulator;

/// How a Gemm-kind kernel maps onto the micro-kernel: its shape (plan/gemm_shape.h) and the
/// register block chosen for it.
struct GemmMatch : GemmShape {
  int mr = 4, nr = 16;      ///< block size
  int lanes = 8;            ///< floats per vector register
  /// Row-vector form, for few columns (Conv with <= 8 output channels) over rows that are the
  /// output's innermost, unit-stride dim: vectors run along the rows (masked loads of
  /// `aLoad`), B is broadcast per column; then mr = rowVectors * lanes and nr = columns.
  bool rowVector = false;
  int rowVectors = 1;
  Expr aLoad;               ///< the unguarded A load (its last index has unit stride in rowVar)
  /// Dot-product form, for few columns (n <= 12, e.g. a 10-class classifier) and a long
  /// reduction that is A's innermost, unit-stride dim: vectors run along K (loads of `aLoad`
  /// and of B packed [n][K rounded up to lanes]), mr rows x n columns of accumulators, each
  /// summed across its lanes at the end; then nr = n (one column block).
  bool dot = false;
};

/// The mapping, or nullopt when the kernel is not a (still) recognisable GEMM (the generic
/// loop nest is used then).
std::optional<GemmMatch> matchGemm(const Program& prog, const Kernel& k, int lanes);

/// Number of parallel iterations (outer dims x row blocks) over the symbols.
Expr gemmIterations(const Kernel& k, const GemmMatch& g);
/// Work of one parallel iteration (multiply-adds), for the grain size.
int64_t gemmWorkPerIteration(const GemmMatch& g);

/// Emits the body for parallel iterations [begin, end) at the builder's position; each stored
/// value is also added to `sums` when given (a kernel with Accumulate moments).
void emitGemmBody(llvm::Module& m, const Program& prog, const Kernel& k, const GemmMatch& g,
                  llvm::IRBuilder<>& b, ExprEmitter& ex, llvm::Value* begin, llvm::Value* end,
                  MomentAccumulator* sums);

}  // namespace kiln::cpu
