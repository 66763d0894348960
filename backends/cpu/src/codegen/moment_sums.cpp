// Batch statistics as LLVM IR (see moment_sums.h).
//
// Sums in double: a float squared is exact in double and each addition rounds once, so
// M2 = S2 - S1 * mean loses about 2 * log10(|mean| / std) of double's 16 digits to
// cancellation: 10 digits are left at |mean| / std = 1e3, far more than float's 7.
#include "codegen/moment_sums.h"

#include <llvm/IR/Intrinsics.h>

namespace kiln::cpu {

using llvm::Value;

namespace {

Value* groupCount(const Program& prog, const MomentSums& m, ExprEmitter& ex) {
  return ex.poly(prog.buffers[static_cast<size_t>(m.buf)].shape[2]);
}

// The emitter memoises values by expression node, so expressions built here are emitted in a
// scope that ends before they are freed.
Value* emitTemporary(ExprEmitter& ex, const std::function<Value*()>& emit) {
  ex.pushScope();
  Value* v = emit();
  ex.popScope();
  return v;
}

// Address of buf[0][0][0].
Value* sumsBase(const MomentSums& m, ExprEmitter& ex) {
  return emitTemporary(ex, [&] { return ex.address(m.buf, {constI(0), constI(0), constI(0)}); });
}

}  // namespace

MomentAccumulator::MomentAccumulator(const Program& prog, const MomentSums& m, llvm::IRBuilder<>& b,
                                     ExprEmitter& ex, Value* slot)
    : m_(m), b_(b), ex_(ex), slot_(slot), groups_(groupCount(prog, m, ex)) {}

void MomentAccumulator::add(Value* v) {
  llvm::Type* f64 = b_.getDoubleTy();
  Value* x = b_.CreateFPCast(v, f64);  // float64 data is summed as it is
  Value* s1 = b_.CreateInBoundsGEP(f64, slot_, ex_.emit(m_.group));
  Value* s2 = b_.CreateInBoundsGEP(f64, s1, groups_);
  // Reassociation lets the vectoriser keep a slot that a whole loop adds into (one channel
  // along a row, whole-tensor statistics) in vector lanes; the order of the additions is then
  // fixed by the generated code, never by the thread count.
  llvm::IRBuilder<>::FastMathFlagGuard guard(b_);
  llvm::FastMathFlags fmf;
  fmf.setAllowReassoc();
  b_.setFastMathFlags(fmf);
  b_.CreateStore(b_.CreateFAdd(b_.CreateLoad(f64, s1), x), s1);
  b_.CreateStore(b_.CreateFAdd(b_.CreateLoad(f64, s2), b_.CreateFMul(x, x)), s2);
}

void MomentAccumulator::keepRolled(llvm::BranchInst* latch) {
  llvm::LLVMContext& ctx = latch->getContext();
  llvm::SmallVector<llvm::Metadata*, 4> ops{nullptr};  // operand 0: the loop ID itself
  if (llvm::MDNode* old = latch->getMetadata(llvm::LLVMContext::MD_loop))
    ops.append(old->op_begin() + 1, old->op_end());  // e.g. requestTailFolding's hints
  ops.push_back(llvm::MDNode::get(ctx, {llvm::MDString::get(ctx, "llvm.loop.unroll.disable")}));
  ops.push_back(llvm::MDNode::get(ctx, {llvm::MDString::get(ctx, "llvm.loop.vectorize.enable"),
                                        llvm::ConstantAsMetadata::get(llvm::ConstantInt::getTrue(ctx))}));
  llvm::MDNode* id = llvm::MDNode::getDistinct(ctx, ops);
  id->replaceOperandWith(0, id);
  latch->setMetadata(llvm::LLVMContext::MD_loop, id);
}

void emitMomentPartials(const Program& prog, const Kernel& k, llvm::IRBuilder<>& b, ExprEmitter& ex,
                        const Expr& natural, Value* begin, Value* end,
                        const std::function<void(MomentAccumulator&, Value*, Value*)>& body) {
  const MomentSums& m = *k.moments;
  Value* total = emitTemporary(ex, [&] { return ex.emit(natural); });
  Value* partials = ex.emit(m.partials);
  Value* stride = b.CreateMul(groupCount(prog, m, ex), b.getInt64(2));
  Value* base = sumsBase(m, ex);
  emitLoop(b, begin, end, "partial", [&](Value* q) {
    Value* lo = b.CreateSDiv(b.CreateMul(q, total), partials);
    Value* hi = b.CreateSDiv(b.CreateMul(b.CreateAdd(q, b.getInt64(1)), total), partials);
    Value* slot = b.CreateInBoundsGEP(b.getDoubleTy(), base, b.CreateMul(q, stride));
    b.CreateMemSet(slot, b.getInt8(0), b.CreateMul(stride, b.getInt64(sizeof(double))), llvm::MaybeAlign(8));
    MomentAccumulator sums(prog, m, b, ex, slot);
    body(sums, lo, hi);
  });
}

void emitMomentsFinalize(const Program& prog, const Kernel& k, llvm::IRBuilder<>& b, ExprEmitter& ex,
                         Value* begin, Value* end) {
  const MomentSums& m = *k.moments;
  llvm::Type* f64 = b.getDoubleTy();
  llvm::Function* fn = b.GetInsertBlock()->getParent();
  llvm::IRBuilder<> eb(&fn->getEntryBlock(), fn->getEntryBlock().begin());
  llvm::AllocaInst* s1 = eb.CreateAlloca(f64, nullptr, "s1");
  llvm::AllocaInst* s2 = eb.CreateAlloca(f64, nullptr, "s2");
  Value* groups = groupCount(prog, m, ex);
  Value* stride = b.CreateMul(groups, b.getInt64(2));
  Value* partials = ex.emit(m.partials);
  Value* base = sumsBase(m, ex);
  Value* count = b.CreateSIToFP(ex.poly(m.count), f64);
  ex.vars.assign(1, nullptr);
  emitLoop(b, begin, end, "group", [&](Value* g) {
    b.CreateStore(llvm::ConstantFP::get(f64, 0.0), s1);
    b.CreateStore(llvm::ConstantFP::get(f64, 0.0), s2);
    Value* at = b.CreateInBoundsGEP(f64, base, g);
    // Partials in index order: the same sums whatever the thread count.
    emitLoop(b, b.getInt64(0), partials, "sum", [&](Value* q) {
      Value* p = b.CreateInBoundsGEP(f64, at, b.CreateMul(q, stride));
      b.CreateStore(b.CreateFAdd(b.CreateLoad(f64, s1), b.CreateLoad(f64, p)), s1);
      b.CreateStore(b.CreateFAdd(b.CreateLoad(f64, s2), b.CreateLoad(f64, b.CreateInBoundsGEP(f64, p, groups))), s2);
    });
    Value* sum = b.CreateLoad(f64, s1);
    Value* mean = b.CreateFDiv(sum, count);
    // M2 = S2 - S1 * mean, clamped: rounding may leave a tiny negative for constant data.
    Value* m2 = b.CreateBinaryIntrinsic(llvm::Intrinsic::maxnum, b.CreateFSub(b.CreateLoad(f64, s2), b.CreateFMul(sum, mean)),
                                        llvm::ConstantFP::get(f64, 0.0));
    ex.vars[0] = g;
    llvm::Type* outType = elementType(b.getContext(), prog.buffers[k.out].dtype);
    auto store = [&](int64_t row, Value* v) {  // out is [2, groups] of the input's float type
      Value* to = emitTemporary(ex, [&] { return ex.address(k.out, {constI(row), var(0)}); });
      b.CreateStore(b.CreateFPCast(v, outType), to);
    };
    store(0, mean);
    store(1, m2);
  });
}

}  // namespace kiln::cpu
