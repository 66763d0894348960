#include "codegen/expr_emitter.h"

#include "codegen/fast_math.h"

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Module.h>

namespace kiln::cpu {

using llvm::Value;

llvm::Type* elementType(llvm::LLVMContext& ctx, DType t) {
  switch (t) {
    case DType::F32: return llvm::Type::getFloatTy(ctx);
    case DType::F64: return llvm::Type::getDoubleTy(ctx);
    case DType::I64: return llvm::Type::getInt64Ty(ctx);
    case DType::I32: return llvm::Type::getInt32Ty(ctx);
    case DType::I8:
    case DType::U8:
    case DType::Bool: return llvm::Type::getInt8Ty(ctx);
  }
  return nullptr;
}

llvm::Type* exprType(llvm::LLVMContext& ctx, EType t) {
  switch (t) {
    case EType::F32: return llvm::Type::getFloatTy(ctx);
    case EType::F64: return llvm::Type::getDoubleTy(ctx);
    case EType::I64: return llvm::Type::getInt64Ty(ctx);
    case EType::Bool: return llvm::Type::getInt1Ty(ctx);
  }
  return nullptr;
}

llvm::BranchInst* emitLoop(llvm::IRBuilder<>& b, Value* lo, Value* hi, const char* name,
                           const std::function<void(Value*)>& body) {
  llvm::Function* fn = b.GetInsertBlock()->getParent();
  llvm::LLVMContext& ctx = b.getContext();
  auto* pre = b.GetInsertBlock();
  auto* loop = llvm::BasicBlock::Create(ctx, std::string(name) + ".body", fn);
  auto* exit = llvm::BasicBlock::Create(ctx, std::string(name) + ".exit", fn);
  b.CreateCondBr(b.CreateICmpSLT(lo, hi), loop, exit);
  b.SetInsertPoint(loop);
  llvm::PHINode* iv = b.CreatePHI(b.getInt64Ty(), 2, name);
  iv->addIncoming(lo, pre);
  body(iv);
  Value* next = b.CreateNSWAdd(iv, b.getInt64(1));
  iv->addIncoming(next, b.GetInsertBlock());
  llvm::BranchInst* latch = b.CreateCondBr(b.CreateICmpSLT(next, hi), loop, exit);
  b.SetInsertPoint(exit);
  return latch;
}

void requestTailFolding(llvm::BranchInst* latch) {
  llvm::LLVMContext& ctx = latch->getContext();
  auto flag = [&](const char* name) {
    return llvm::MDNode::get(ctx, {llvm::MDString::get(ctx, name),
                                   llvm::ConstantAsMetadata::get(llvm::ConstantInt::getTrue(ctx))});
  };
  llvm::TempMDTuple self = llvm::MDNode::getTemporary(ctx, {});
  llvm::MDNode* id = llvm::MDNode::getDistinct(
      ctx, {self.get(), flag("llvm.loop.vectorize.enable"), flag("llvm.loop.vectorize.predicate.enable")});
  id->replaceOperandWith(0, id);
  latch->setMetadata(llvm::LLVMContext::MD_loop, id);
}

ExprEmitter::ExprEmitter(const Program& prog, llvm::IRBuilder<>& b, llvm::IRBuilder<>& entry,
                         Value* symbols, std::vector<Value*> buffers)
    : prog_(prog), b_(b), entry_(entry), symbols_(symbols), buffers_(std::move(buffers)),
      addressed_(prog.buffers.size(), false) {
  memo_.emplace_back();
}

Value* ExprEmitter::poly(const Poly& p) {
  for (auto& [q, v] : polys_)
    if (q == p) return v;
  if (symVals_.empty())
    for (size_t i = 0; i < prog_.symbols.size(); ++i)
      symVals_.push_back(entry_.CreateLoad(entry_.getInt64Ty(),
                                           entry_.CreateConstGEP1_64(entry_.getInt64Ty(), symbols_, i),
                                           prog_.symbols[i]));
  Value* sum = entry_.getInt64(0);
  for (const auto& [mono, coef] : p.terms()) {
    Value* t = entry_.getInt64(coef);
    for (int s : mono) t = entry_.CreateNSWMul(t, symVals_[s]);
    sum = entry_.CreateNSWAdd(sum, t);
  }
  polys_.emplace_back(p, sum);
  return sum;
}

Value* ExprEmitter::address(int buf, const std::vector<Expr>& index) {
  const Buffer& B = prog_.buffers[buf];
  addressed_.at(static_cast<size_t>(prog_.root(buf))) = true;
  Value* base = buffers_.at(prog_.root(buf));
  Value* flat = b_.getInt64(0);
  if (index.size() == B.shape.size()) {
    const std::vector<Poly> strides = stridesOf(B.shape);
    for (size_t d = 0; d < index.size(); ++d)
      flat = b_.CreateNSWAdd(flat, b_.CreateNSWMul(emit(index[d]), poly(strides[d])));
  } else if (index.size() == 1) {
    flat = emit(index[0]);  // a flat element index
  }
  return b_.CreateInBoundsGEP(elementType(b_.getContext(), B.dtype), base, flat);
}

Value* ExprEmitter::emitLoad(const Expr& e) {
  const DType t = prog_.buffers[e->i].dtype;
  llvm::Type* et = elementType(b_.getContext(), t);
  Value* v = b_.CreateLoad(et, address(static_cast<int>(e->i), e->args));
  switch (t) {
    case DType::F32:
    case DType::F64:
    case DType::I64: return v;
    case DType::I32:
    case DType::I8: return b_.CreateSExt(v, b_.getInt64Ty());
    case DType::U8:
    case DType::Bool: return b_.CreateZExt(v, b_.getInt64Ty());
  }
  return v;
}

void ExprEmitter::store(int buf, const std::vector<Expr>& index, Value* v, EType t) {
  const DType dt = prog_.buffers[buf].dtype;
  llvm::Type* et = elementType(b_.getContext(), dt);
  if (t == EType::Bool) v = b_.CreateZExt(v, b_.getInt64Ty()), t = EType::I64;
  if (isFloatE(t)) {
    v = isFloat(dt) ? b_.CreateFPCast(v, et) : b_.CreateFPToSI(v, et);
  } else {
    if (isFloat(dt)) v = b_.CreateSIToFP(v, et);
    else if (dt == DType::Bool) v = b_.CreateZExt(b_.CreateICmpNE(v, b_.getInt64(0)), et);
    else if (et != v->getType()) v = b_.CreateTrunc(v, et);
  }
  b_.CreateStore(v, address(buf, index));
}

Value* ExprEmitter::intrinsic(llvm::Intrinsic::ID id, Value* a, Value* b) {
  if (b) return b_.CreateBinaryIntrinsic(id, a, b);
  return b_.CreateUnaryIntrinsic(id, a);
}

Value* ExprEmitter::emit(const Expr& e) {
  for (auto it = memo_.rbegin(); it != memo_.rend(); ++it)
    for (auto& [n, v] : *it)
      if (n == e.get()) return v;
  Value* v = emitNode(e);
  memo_.back().emplace_back(e.get(), v);
  return v;
}

Value* ExprEmitter::emitNode(const Expr& e) {
  switch (e->op) {
    case EOp::ConstF: return llvm::ConstantFP::get(exprType(b_.getContext(), e->type), e->f);
    case EOp::ConstI: return b_.getInt64(e->i);
    case EOp::Size: return poly(e->size);
    case EOp::Var: return vars.at(e->i);
    case EOp::Acc: return acc;
    case EOp::Load: return emitLoad(e);
    case EOp::Select: return emitSelect(e);
    case EOp::Cast: return emitCast(emit(e->args[0]), e->args[0]->type, e->type);
    case EOp::Not: return b_.CreateNot(emit(e->args[0]));
    default: break;
  }
  if (e->args.size() == 1) return emitUnary(e->op, emit(e->args[0]), e->type);
  Value* a = emit(e->args[0]);
  Value* b = emit(e->args[1]);
  return emitBinary(e->op, a, b, e->args[0]->type);
}

// Branches instead of a select when an arm loads memory: the guard of a padded tap protects
// an out-of-bounds address.
Value* ExprEmitter::emitSelect(const Expr& e) {
  Value* c = emit(e->args[0]);
  if (!hasLoad(e->args[1]) && !hasLoad(e->args[2])) return b_.CreateSelect(c, emit(e->args[1]), emit(e->args[2]));
  llvm::Function* fn = b_.GetInsertBlock()->getParent();
  auto& ctx = b_.getContext();
  auto* thenBB = llvm::BasicBlock::Create(ctx, "then", fn);
  auto* elseBB = llvm::BasicBlock::Create(ctx, "else", fn);
  auto* join = llvm::BasicBlock::Create(ctx, "join", fn);
  b_.CreateCondBr(c, thenBB, elseBB);
  auto arm = [&](llvm::BasicBlock* bb, const Expr& x) {
    b_.SetInsertPoint(bb);
    pushScope();
    Value* v = emit(x);
    popScope();
    auto* end = b_.GetInsertBlock();
    b_.CreateBr(join);
    return std::make_pair(v, end);
  };
  auto [tv, tEnd] = arm(thenBB, e->args[1]);
  auto [fv, fEnd] = arm(elseBB, e->args[2]);
  b_.SetInsertPoint(join);
  llvm::PHINode* phi = b_.CreatePHI(tv->getType(), 2);
  phi->addIncoming(tv, tEnd);
  phi->addIncoming(fv, fEnd);
  return phi;
}

Value* ExprEmitter::emitCast(Value* a, EType from, EType to) {
  if (from == to) return a;
  if (isFloatE(to)) {
    llvm::Type* t = exprType(b_.getContext(), to);
    if (isFloatE(from)) return b_.CreateFPCast(a, t);
    return from == EType::Bool ? b_.CreateUIToFP(a, t) : b_.CreateSIToFP(a, t);
  }
  // Float -> integer truncates and saturates, NaN gives 0, as the evaluator's conversion (a
  // plain fptosi is poison out of range).
  if (to == EType::I64)
    return from == EType::Bool ? b_.CreateZExt(a, b_.getInt64Ty())
                               : b_.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {b_.getInt64Ty(), a->getType()}, {a});
  return isFloatE(from) ? b_.CreateFCmpUNE(a, llvm::ConstantFP::get(a->getType(), 0.0))
                            : b_.CreateICmpNE(a, b_.getInt64(0));
}

Value* ExprEmitter::emitUnary(EOp op, Value* a, EType t) {
  using llvm::Intrinsic::ID;
  const bool f = isFloatE(t);
  auto one = [&] { return llvm::ConstantFP::get(a->getType(), 1.0); };
  // float32 exp is kiln's vectorisable polynomial; float64 is libm's (via llvm.exp).
  auto exp = [&](Value* x) { return t == EType::F32 ? emitExpF(b_, x) : intrinsic(llvm::Intrinsic::exp, x); };
  switch (op) {
    case EOp::Neg: return f ? b_.CreateFNeg(a) : b_.CreateNeg(a);
    case EOp::Abs: return f ? intrinsic(llvm::Intrinsic::fabs, a) : b_.CreateSelect(b_.CreateICmpSLT(a, b_.getInt64(0)), b_.CreateNeg(a), a);
    case EOp::Sqrt: return intrinsic(llvm::Intrinsic::sqrt, a);
    case EOp::Exp: return exp(a);
    case EOp::Log: return intrinsic(llvm::Intrinsic::log, a);
    case EOp::Tanh: return intrinsic(llvm::Intrinsic::tanh, a);
    case EOp::Recip: return b_.CreateFDiv(one(), a);
    case EOp::Sigmoid: {
      // Stable logistic: e = exp(-|x|); x >= 0 ? 1/(1+e) : e/(1+e).
      Value* e = exp(b_.CreateFNeg(intrinsic(llvm::Intrinsic::fabs, a)));
      Value* s = b_.CreateFDiv(one(), b_.CreateFAdd(one(), e));
      return b_.CreateSelect(b_.CreateFCmpOGE(a, llvm::ConstantFP::get(a->getType(), 0.0)), s, b_.CreateFMul(e, s));
    }
    default: break;
  }
  return nullptr;
}

// i64 kiln.ipow(i64 base, i64 e), as the evaluator's integer Pow: for e >= 0 the power by
// squaring with wrapping multiplications; for e < 0 through double (pow, truncated and
// saturated), which leaves 1, -1 or 0 but for a zero base.
llvm::Function* ExprEmitter::integerPow() {
  llvm::Module& m = *b_.GetInsertBlock()->getModule();
  if (llvm::Function* f = m.getFunction("kiln.ipow")) return f;
  llvm::LLVMContext& ctx = m.getContext();
  llvm::Type* i64 = llvm::Type::getInt64Ty(ctx);
  auto* f = llvm::Function::Create(llvm::FunctionType::get(i64, {i64, i64}, false),
                                   llvm::Function::InternalLinkage, "kiln.ipow", m);
  llvm::Value* base = f->getArg(0);
  llvm::Value* e = f->getArg(1);
  auto* entry = llvm::BasicBlock::Create(ctx, "entry", f);
  auto* negative = llvm::BasicBlock::Create(ctx, "negative", f);
  auto* loop = llvm::BasicBlock::Create(ctx, "loop", f);
  auto* done = llvm::BasicBlock::Create(ctx, "done", f);
  llvm::IRBuilder<> b(entry);
  b.CreateCondBr(b.CreateICmpSLT(e, b.getInt64(0)), negative, loop);

  b.SetInsertPoint(negative);
  llvm::Type* f64 = b.getDoubleTy();
  llvm::Value* p = b.CreateBinaryIntrinsic(llvm::Intrinsic::pow, b.CreateSIToFP(base, f64), b.CreateSIToFP(e, f64));
  b.CreateRet(b.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {i64, f64}, {p}));

  b.SetInsertPoint(loop);
  llvm::PHINode* result = b.CreatePHI(i64, 2, "result");
  llvm::PHINode* sq = b.CreatePHI(i64, 2, "square");
  llvm::PHINode* rest = b.CreatePHI(i64, 2, "rest");
  result->addIncoming(b.getInt64(1), entry);
  sq->addIncoming(base, entry);
  rest->addIncoming(e, entry);
  llvm::Value* done0 = b.CreateICmpEQ(rest, b.getInt64(0));
  llvm::Value* odd = b.CreateICmpNE(b.CreateAnd(rest, b.getInt64(1)), b.getInt64(0));
  llvm::Value* nextResult = b.CreateSelect(odd, b.CreateMul(result, sq), result);
  result->addIncoming(nextResult, loop);
  sq->addIncoming(b.CreateMul(sq, sq), loop);
  rest->addIncoming(b.CreateLShr(rest, b.getInt64(1)), loop);
  // Test before using: the values leave through `done` when rest was 0 on entry to the block.
  b.CreateCondBr(done0, done, loop);
  b.SetInsertPoint(done);
  b.CreateRet(result);
  return f;
}

Value* ExprEmitter::emitBinary(EOp op, Value* a, Value* b, EType t) {
  const bool f = isFloatE(t);
  switch (op) {
    case EOp::Add: return f ? b_.CreateFAdd(a, b) : b_.CreateNSWAdd(a, b);
    case EOp::Sub: return f ? b_.CreateFSub(a, b) : b_.CreateNSWSub(a, b);
    case EOp::Mul: return f ? b_.CreateFMul(a, b) : b_.CreateNSWMul(a, b);
    case EOp::Div: {
      if (f) return b_.CreateFDiv(a, b);
      // sdiv traps on INT64_MIN / -1; -1 divides as a wrapping negation instead (the plan's
      // range check has already refused a zero divisor).
      Value* minusOne = b_.CreateICmpEQ(b, b_.getInt64(-1));
      Value* q = b_.CreateSDiv(a, b_.CreateSelect(minusOne, b_.getInt64(1), b));
      return b_.CreateSelect(minusOne, b_.CreateSub(b_.getInt64(0), a), q);
    }
    case EOp::Pow: return f ? intrinsic(llvm::Intrinsic::pow, a, b) : b_.CreateCall(integerPow(), {a, b});
    case EOp::Min: return b_.CreateSelect(f ? b_.CreateFCmpOLT(b, a) : b_.CreateICmpSLT(b, a), b, a);
    case EOp::Max: return b_.CreateSelect(f ? b_.CreateFCmpOLT(a, b) : b_.CreateICmpSLT(a, b), b, a);
    case EOp::FloorDiv:
    case EOp::Mod: {
      // Floored division for a positive divisor: truncate, then step down when the
      // remainder is negative.
      Value* q = b_.CreateSDiv(a, b);
      Value* r = b_.CreateSRem(a, b);
      Value* neg = b_.CreateICmpSLT(r, b_.getInt64(0));
      if (op == EOp::FloorDiv) return b_.CreateSub(q, b_.CreateZExt(neg, b_.getInt64Ty()));
      return b_.CreateSelect(neg, b_.CreateAdd(r, b), r);
    }
    case EOp::Lt: return f ? b_.CreateFCmpOLT(a, b) : b_.CreateICmpSLT(a, b);
    case EOp::Le: return f ? b_.CreateFCmpOLE(a, b) : b_.CreateICmpSLE(a, b);
    case EOp::Eq: return f ? b_.CreateFCmpOEQ(a, b) : b_.CreateICmpEQ(a, b);
    case EOp::And: return b_.CreateAnd(a, b);
    case EOp::Or: return b_.CreateOr(a, b);
    default: break;
  }
  return nullptr;
}

}  // namespace kiln::cpu
