#pragma once
/// The structural half of recognising a GEMM in a kernel: which loads are A and B, which
/// domain variables are rows and columns, N and K. Every backend that has a matrix-multiply
/// kernel starts from this; how it blocks the product is its own.
#include <optional>
#include <vector>

#include "kiln/plan/kernel_plan.h"

namespace kiln::plan {

/// A Gemm-kind kernel whose reduction body is A(rows, k) * B(cols, k), with B a float32
/// constant buffer indexed by plain variables (Gemm/MatMul with constant weights, Conv with
/// group 1 as an implicit GEMM), optionally under a padding guard `select(guard, A*B, 0)`.
struct GemmShape {
  Expr a;                   ///< A element (guarded when the body was): over domain vars (not colVar) and reduction vars
  Expr aInterior;           ///< A without the padding guard, valid where `interior` holds
  Expr interior;            ///< Kernel::interior when the body had a guard, else null
  bool guarded = false;     ///< the body had a padding guard
  int bBuf = -1;            ///< the constant B buffer
  std::vector<int> bDimVar; ///< variable id indexing each dim of B
  int rowVar = -1;          ///< the innermost domain var other than colVar
  int colVar = -1;          ///< the domain var indexing B (output columns)
  int64_t n = 0;            ///< extent of colVar (known)
  int64_t k = 0;            ///< product of the reduction extents (known)
};

/// The shape, or nullopt when the kernel is not (or no longer, after fusion) such a GEMM.
std::optional<GemmShape> matchGemmShape(const Program& prog, const Kernel& k);

/// True when `e` reads loop variable `var` anywhere.
bool usesVar(const Expr& e, int var);

}  // namespace kiln::plan
