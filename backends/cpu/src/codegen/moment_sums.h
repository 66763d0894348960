#pragma once
/// Batch statistics (MomentSums in plan/kernel_plan.h) as LLVM IR: the partials of a kernel
/// that accumulates, the per-element sums, and the Finalize kernel.
#include <llvm/IR/IRBuilder.h>

#include <functional>

#include "codegen/expr_emitter.h"
#include "codegen/plan_types.h"

namespace kiln::cpu {

/// Adds element values into the slots of one partial of a kernel's moment sums.
class MomentAccumulator {
 public:
  /// `slot` points at buf[q][0][0] of the partial q.
  MomentAccumulator(const Program& prog, const MomentSums& m, llvm::IRBuilder<>& b, ExprEmitter& ex,
                    llvm::Value* slot);
  /// Adds float `v`, the value of the element at the emitter's current variables, and v * v.
  void add(llvm::Value* v);
  /// Marks the innermost loop around add() (ending in `latch`) to be vectorised, not fully
  /// unrolled before: unrolled, its sums into one slot become a scalar chain of dependent adds.
  static void keepRolled(llvm::BranchInst* latch);

 private:
  const MomentSums& m_;
  llvm::IRBuilder<>& b_;
  ExprEmitter& ex_;
  llvm::Value* slot_;
  llvm::Value* groups_;
};

/// The body of an accumulating kernel for its parallel iterations (partials) [begin, end):
/// partial q clears its slots, then runs `body(sums, lo, hi)` over its chunk
/// [lo, hi) = [q*T/P, (q+1)*T/P) of the kernel's T = `natural` iterations (P = partials).
void emitMomentPartials(const Program& prog, const Kernel& k, llvm::IRBuilder<>& b, ExprEmitter& ex,
                        const Expr& natural, llvm::Value* begin, llvm::Value* end,
                        const std::function<void(MomentAccumulator&, llvm::Value*, llvm::Value*)>& body);

/// The body of a Finalize kernel for groups [begin, end).
void emitMomentsFinalize(const Program& prog, const Kernel& k, llvm::IRBuilder<>& b, ExprEmitter& ex,
                         llvm::Value* begin, llvm::Value* end);

}  // namespace kiln::cpu
