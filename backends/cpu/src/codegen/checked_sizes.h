#pragma once
/// Size arithmetic in the generated `plan` with overflow detection: derived symbols, output
/// dims and the workspace size are polynomials in the input dims, which a caller controls; a
/// value that does not fit in int64 must fail the run, not wrap into a small workspace the
/// kernels then write past.
#include <llvm/IR/IRBuilder.h>

#include "codegen/plan_types.h"

namespace kiln::cpu {

class CheckedSizes {
 public:
  /// `symbols` points to the int64 symbol values (bound ones set by the runtime).
  CheckedSizes(const Program& p, llvm::IRBuilder<>& b, llvm::Value* symbols);

  /// p's value; sets the overflow flag when a product or sum overflows or a size is negative.
  llvm::Value* poly(const Poly& p);
  /// A size expression (constants, Size, Add, Mul, Max, FloorDiv by a positive constant: what
  /// the memory plan builds), checked the same way.
  llvm::Value* expr(const Expr& e);
  /// i1: some value computed so far overflowed.
  llvm::Value* overflowed() const { return overflow_; }

 private:
  const Program& p_;
  llvm::IRBuilder<>& b_;
  llvm::Value* symbols_;
  llvm::Value* overflow_;

  llvm::Value* arith(llvm::Intrinsic::ID id, llvm::Value* a, llvm::Value* b);
  llvm::Value* nonNegative(llvm::Value* v);
};

}  // namespace kiln::cpu
