// One kernel of the plan as LLVM IR: an outer function with the parallel_for body signature
// loads the buffer pointers from the frame and calls an inner function whose pointer
// parameters are noalias (one per distinct root buffer), which holds the loop nest.
#include <llvm/IR/Module.h>

#include <algorithm>
#include <limits>

#include "codegen/expr_emitter.h"
#include "codegen/gemm_emitter.h"
#include "codegen/module_builder.h"
#include "codegen/moment_sums.h"

namespace kiln::cpu {

namespace {

using llvm::Value;

constexpr int64_t kRepresentative = 16;
constexpr int64_t kShortRow = 64;  // innermost extents up to this get a masked vector tail

// The loop nest for iterations [begin, end) of the flattened outer domain.
void emitBody(const Program& prog, const Kernel& k, llvm::IRBuilder<>& b, ExprEmitter& ex,
              Value* begin, Value* end, MomentAccumulator* sums) {
  const size_t rank = k.domain.size();
  ex.vars.assign(rank + (k.reduce ? k.reduce->extents.size() : 0), nullptr);
  llvm::AllocaInst* accSlot = nullptr;
  llvm::Type* accType = k.reduce ? exprType(b.getContext(), k.reduce->body->type) : nullptr;
  if (k.reduce) {
    llvm::IRBuilder<> eb(&b.GetInsertBlock()->getParent()->getEntryBlock(),
                         b.GetInsertBlock()->getParent()->getEntryBlock().begin());
    accSlot = eb.CreateAlloca(accType, nullptr, "acc");
  }
  auto element = [&] {
    ex.pushScope();
    if (k.reduce) {
      const Reduction& r = *k.reduce;
      const bool isMax = r.kind == ReduceKind::Max;
      // Integer reductions (ReduceSum of int64) start from 0 / INT64_MIN and combine exactly.
      const bool isInt = accType->isIntegerTy();
      b.CreateStore(isInt ? static_cast<Value*>(b.getInt64(isMax ? std::numeric_limits<int64_t>::min() : 0))
                          : llvm::ConstantFP::get(accType, isMax ? -std::numeric_limits<double>::infinity() : 0.0),
                    accSlot);
      std::function<void(size_t)> nest = [&](size_t d) {
        if (d == r.extents.size()) {
          ex.pushScope();
          Value* v = ex.emit(r.body);
          Value* a = b.CreateLoad(accType, accSlot);
          Value* n;
          if (isInt) {
            n = isMax ? b.CreateSelect(b.CreateICmpSLT(a, v), v, a) : b.CreateAdd(a, v);
          } else if (isMax) {
            n = b.CreateSelect(b.CreateFCmpOLT(a, v), v, a);
          } else {
            llvm::FastMathFlags fmf;
            fmf.setAllowReassoc();
            fmf.setAllowContract();
            llvm::IRBuilder<>::FastMathFlagGuard guard(b);
            b.setFastMathFlags(fmf);
            n = b.CreateFAdd(a, v);
          }
          b.CreateStore(n, accSlot);
          ex.popScope();
          return;
        }
        emitLoop(b, b.getInt64(0), ex.poly(r.extents[d]), "r", [&](Value* iv) {
          ex.vars[rank + d] = iv;
          nest(d + 1);
        });
      };
      nest(0);
      ex.acc = b.CreateLoad(accType, accSlot);
    }
    Value* v = ex.emit(k.value);
    if (k.out >= 0) ex.store(k.out, k.store.empty() ? vars(rank) : k.store, v, k.value->type);
    if (sums) sums->add(v);
    ex.popScope();
  };
  emitLoop(b, begin, end, "outer", [&](Value* f) {
    if (rank == 0) return element();
    if (rank == 1) {
      ex.vars[0] = f;
      return element();
    }
    // Unravel the flat outer index into domain variables 0 .. rank-2.
    Value* rest = f;
    for (size_t d = rank - 1; d-- > 0;) {
      Value* n = ex.poly(k.domain[d]);
      ex.vars[d] = d == 0 ? rest : b.CreateSRem(rest, n);
      if (d > 0) rest = b.CreateSDiv(rest, n);
    }
    llvm::BranchInst* latch = emitLoop(b, b.getInt64(0), ex.poly(k.domain[rank - 1]), "inner", [&](Value* iv) {
      ex.vars[rank - 1] = iv;
      element();
    });
    // Short rows (pool outputs, small feature maps) would spend most of their time in the
    // scalar remainder: fold it into masked vector iterations.
    const Poly& inner = k.domain[rank - 1];
    if (inner.isConst() && inner.constValue() <= kShortRow) requestTailFolding(latch);
    if (sums) MomentAccumulator::keepRolled(latch);
  });
}

// Iterations of the generic loop nest: the flattened outer dims (all but the innermost, or the
// only one).
Expr outerIterations(const Kernel& k) {
  const std::span<const Poly> d(k.domain);
  if (d.empty()) return constI(1);
  return size(product(d.size() == 1 ? d : d.first(d.size() - 1)));
}

}  // namespace

KernelFunction emitKernel(llvm::Module& m, const Program& prog, const Kernel& k, int index,
                          const CodegenTuning& tuning) {
  llvm::LLVMContext& ctx = m.getContext();
  auto* ptrTy = llvm::PointerType::get(ctx, 0);
  auto* i64 = llvm::Type::getInt64Ty(ctx);
  const std::vector<int> roots = rootBuffersOf(prog, k);
  const std::optional<GemmMatch> gemm = matchGemm(prog, k, tuning.vectorLanes);
  const bool finalize = k.moments && k.moments->step == MomentSums::Step::Finalize;

  // Inner function: (ptr noalias root..., ptr symbols, i64 begin, i64 end).
  std::vector<llvm::Type*> params(roots.size(), ptrTy);
  params.insert(params.end(), {ptrTy, i64, i64});
  auto* innerTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), params, false);
  const std::string name = "k" + std::to_string(index) + "." + k.name;
  auto* inner = llvm::Function::Create(innerTy, llvm::Function::InternalLinkage, name + ".impl", m);
  std::vector<bool> reads;
  for (size_t i = 0; i < roots.size(); ++i) inner->addParamAttr(static_cast<unsigned>(i), llvm::Attribute::NoAlias);
  inner->addFnAttr(llvm::Attribute::NoUnwind);
  {
    auto* entryBB = llvm::BasicBlock::Create(ctx, "entry", inner);
    auto* startBB = llvm::BasicBlock::Create(ctx, "start", inner);
    llvm::IRBuilder<> eb(entryBB);
    eb.CreateBr(startBB);
    eb.SetInsertPoint(entryBB->getTerminator());
    llvm::IRBuilder<> b(startBB);
    std::vector<Value*> bufs(prog.buffers.size(), nullptr);
    for (size_t i = 0; i < roots.size(); ++i) bufs[roots[i]] = inner->getArg(static_cast<unsigned>(i));
    const unsigned n = static_cast<unsigned>(roots.size());
    ExprEmitter ex(prog, b, eb, inner->getArg(n), bufs);
    auto loops = [&](Value* begin, Value* end, MomentAccumulator* sums) {
      if (gemm) emitGemmBody(m, prog, k, *gemm, b, ex, begin, end, sums);
      else emitBody(prog, k, b, ex, begin, end, sums);
    };
    Value* begin = inner->getArg(n + 1);
    Value* end = inner->getArg(n + 2);
    if (finalize)
      emitMomentsFinalize(prog, k, b, ex, begin, end);
    else if (k.moments)
      emitMomentPartials(prog, k, b, ex, gemm ? gemmIterations(k, *gemm) : outerIterations(k), begin, end,
                         [&](MomentAccumulator& sums, Value* lo, Value* hi) { loops(lo, hi, &sums); });
    else
      loops(begin, end, nullptr);
    b.CreateRetVoid();
    reads = ex.addressedRoots();
  }

  // Outer function: the parallel_for body.
  auto* bodyTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy, i64, i64}, false);
  auto* body = llvm::Function::Create(bodyTy, llvm::Function::InternalLinkage, name, m);
  body->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", body));
  Value* frame = body->getArg(0);
  Value* syms = b.CreateLoad(ptrTy, frame, "symbols");
  Value* table = b.CreateLoad(ptrTy, b.CreateConstGEP1_64(ptrTy, frame, 1), "buffers");
  std::vector<Value*> args;
  for (int r : roots) args.push_back(b.CreateLoad(ptrTy, b.CreateConstGEP1_64(ptrTy, table, r)));
  args.insert(args.end(), {syms, body->getArg(1), body->getArg(2)});
  b.CreateCall(inner, args);
  b.CreateRetVoid();

  // Moments: one parallel iteration per partial (the plan keeps them few and large);
  // Finalize: 2 * partials additions per group.
  if (finalize) return {body, size(k.domain[0]), std::max<int64_t>(1, tuning.grainWork / (2 * prog.maxPartials)), reads};
  if (k.moments) return {body, k.moments->partials, 1, reads};
  if (gemm)
    return {body, gemmIterations(k, *gemm), std::max<int64_t>(1, tuning.gemmGrainWork / gemmWorkPerIteration(*gemm)), reads};
  const size_t rank = k.domain.size();
  KernelFunction kf{body, outerIterations(k), 1, reads};
  int64_t work = 1;
  if (k.reduce)
    for (const Poly& e : k.reduce->extents) work *= std::max<int64_t>(1, e.evaluate(std::vector<int64_t>(prog.symbols.size(), kRepresentative)));
  if (rank >= 1) {
    if (rank >= 2) work *= std::max<int64_t>(1, k.domain.back().evaluate(std::vector<int64_t>(prog.symbols.size(), kRepresentative)));
    kf.grain = std::max<int64_t>(1, tuning.grainWork / work);
  }
  return kf;
}

}  // namespace kiln::cpu
