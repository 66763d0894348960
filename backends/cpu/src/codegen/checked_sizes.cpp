#include "codegen/checked_sizes.h"

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Module.h>

#include "kiln/support/error.h"

namespace kiln::cpu {

CheckedSizes::CheckedSizes(const Program& p, llvm::IRBuilder<>& b, llvm::Value* symbols)
    : p_(p), b_(b), symbols_(symbols), overflow_(b.getFalse()) {}

llvm::Value* CheckedSizes::arith(llvm::Intrinsic::ID id, llvm::Value* a, llvm::Value* b) {
  llvm::Value* r = b_.CreateBinaryIntrinsic(id, a, b);
  overflow_ = b_.CreateOr(overflow_, b_.CreateExtractValue(r, 1));
  return b_.CreateExtractValue(r, 0);
}

llvm::Value* CheckedSizes::nonNegative(llvm::Value* v) {
  overflow_ = b_.CreateOr(overflow_, b_.CreateICmpSLT(v, b_.getInt64(0)));
  return v;
}

llvm::Value* CheckedSizes::poly(const Poly& p) {
  llvm::Value* sum = b_.getInt64(0);
  for (const auto& [mono, coef] : p.terms()) {
    llvm::Value* t = b_.getInt64(coef);
    for (int s : mono) {
      llvm::Value* v = b_.CreateLoad(b_.getInt64Ty(), b_.CreateConstGEP1_64(b_.getInt64Ty(), symbols_, s));
      t = arith(llvm::Intrinsic::smul_with_overflow, t, v);
    }
    sum = arith(llvm::Intrinsic::sadd_with_overflow, sum, t);
  }
  return nonNegative(sum);
}

llvm::Value* CheckedSizes::expr(const Expr& e) {
  switch (e->op) {
    case EOp::ConstI: return b_.getInt64(e->i);
    case EOp::Size: return poly(e->size);
    case EOp::Add: return nonNegative(arith(llvm::Intrinsic::sadd_with_overflow, expr(e->args[0]), expr(e->args[1])));
    case EOp::Mul: return nonNegative(arith(llvm::Intrinsic::smul_with_overflow, expr(e->args[0]), expr(e->args[1])));
    case EOp::Max: {
      llvm::Value* a = expr(e->args[0]);
      llvm::Value* b = expr(e->args[1]);
      return b_.CreateSelect(b_.CreateICmpSLT(a, b), b, a);
    }
    case EOp::FloorDiv:
      if (e->args[1]->op == EOp::ConstI && e->args[1]->i > 0)
        return b_.CreateSDiv(expr(e->args[0]), b_.getInt64(e->args[1]->i));  // operands are >= 0
      break;
    default: break;
  }
  throw Error(ErrorCode::Internal, "CPU backend: a size expression uses an operator the size check does not know");
}

}  // namespace kiln::cpu
