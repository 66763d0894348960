#pragma once
/// Emits kernel-plan expressions (plan/expr.h) as LLVM IR inside one function.
#include <llvm/IR/IRBuilder.h>

#include <vector>

#include "codegen/plan_types.h"

namespace kiln::cpu {

/// LLVM element type of a buffer dtype.
llvm::Type* elementType(llvm::LLVMContext& ctx, DType t);
/// LLVM type of an expression type (float, i64, i1).
llvm::Type* exprType(llvm::LLVMContext& ctx, EType t);

/// Emits expressions in one function. Symbol-only values (sizes, strides) are hoisted to the
/// end of the function's entry block and computed once; loop variables and the accumulator
/// are set by the kernel emitter. Equal subtrees (same node) are emitted once per scope.
class ExprEmitter {
 public:
  /// `entry` inserts before the terminator of the function's entry block; `symbols` points
  /// to the int64 symbol values; `buffers` holds the base pointer of each buffer's root (null
  /// for buffers the function does not use).
  ExprEmitter(const Program& prog, llvm::IRBuilder<>& b, llvm::IRBuilder<>& entry,
              llvm::Value* symbols, std::vector<llvm::Value*> buffers);

  llvm::Value* emit(const Expr& e);
  /// A symbolic size, hoisted to the entry block.
  llvm::Value* poly(const Poly& p);
  /// Address of element `index` of buffer `buf`.
  llvm::Value* address(int buf, const std::vector<Expr>& index);
  /// The root buffers address() was asked for so far (the memory this code touches; a GEMM's
  /// B packed at compile time is not among them).
  const std::vector<bool>& addressedRoots() const { return addressed_; }
  /// Converts an expression value to the buffer's element type and stores it.
  void store(int buf, const std::vector<Expr>& index, llvm::Value* v, EType t);

  std::vector<llvm::Value*> vars;  ///< loop variables by id
  llvm::Value* acc = nullptr;      ///< the accumulated reduction value

  /// Starts / ends a memoisation scope (values emitted inside do not leak out).
  void pushScope() { memo_.emplace_back(); }
  void popScope() { memo_.pop_back(); }

 private:
  const Program& prog_;
  llvm::IRBuilder<>& b_;
  llvm::IRBuilder<>& entry_;
  llvm::Value* symbols_;
  std::vector<llvm::Value*> buffers_;
  std::vector<bool> addressed_;
  std::vector<llvm::Value*> symVals_;
  std::vector<std::pair<Poly, llvm::Value*>> polys_;
  std::vector<std::vector<std::pair<const ExprNode*, llvm::Value*>>> memo_;

  llvm::Value* emitNode(const Expr& e);
  llvm::Value* emitSelect(const Expr& e);
  llvm::Value* emitLoad(const Expr& e);
  llvm::Value* emitUnary(EOp op, llvm::Value* a, EType t);
  llvm::Value* emitBinary(EOp op, llvm::Value* a, llvm::Value* b, EType t);
  llvm::Value* emitCast(llvm::Value* a, EType from, EType to);
  llvm::Value* intrinsic(llvm::Intrinsic::ID id, llvm::Value* a, llvm::Value* b = nullptr);
  /// The module's integer power function (defined on first use).
  llvm::Function* integerPow();
};

/// Emits `for (iv = lo; iv < hi; ++iv) body(iv)` at the builder's position (zero-trip safe);
/// the builder ends up after the loop. Returns the loop's back-edge branch (for loop metadata).
llvm::BranchInst* emitLoop(llvm::IRBuilder<>& b, llvm::Value* lo, llvm::Value* hi, const char* name,
                           const std::function<void(llvm::Value*)>& body);

/// Asks the loop vectoriser to fold the remainder of the loop ending in `latch` into masked
/// vector iterations instead of a scalar epilogue (short loops: pool rows, epilogue tiles).
void requestTailFolding(llvm::BranchInst* latch);

}  // namespace kiln::cpu
