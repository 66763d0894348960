// The artifact around the kernels: weights, signature tables, `plan`, `run` and the exported
// descriptor, laid out exactly as kiln_artifact.h declares them.
#include "codegen/module_builder.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/checked_sizes.h"
#include "codegen/expr_emitter.h"
#include "kiln/plan/artifact_abi.h"
#include "kiln/kiln_artifact.h"
#include "kiln/support/error.h"

namespace kiln::cpu {

namespace {

// Alignment the generated code assumes of input and output pointers: every access to them is
// element-aligned (scalar loads/stores, loops the vectoriser widens with align 4, masked loads
// with align 4), so an 8-byte-aligned caller buffer (any float32/int64 array from malloc or
// numpy) is used in place. Requiring 64 here made the runtime copy such buffers on every run.
// Weights and the runtime's workspace stay 64-byte aligned.
constexpr uint32_t kIoAlignment = 8;
// Up to this many weight buffers, `run` stores their pointers one by one (see emitRun).
constexpr size_t kMaxConstantStores = 256;

using llvm::Constant;
using llvm::Value;

class Builder {
 public:
  Builder(const Program& p, llvm::Module& m, const CodegenTuning& t) : p_(p), m_(m), ctx_(m.getContext()), syms_(p), tuning_(t) {
    ptr_ = llvm::PointerType::get(ctx_, 0);
    i32_ = llvm::Type::getInt32Ty(ctx_);
    i64_ = llvm::Type::getInt64Ty(ctx_);
  }

  void build(const std::string& producer) {
    for (size_t i = 0; i < p_.kernels.size(); ++i)
      kernels_.push_back(emitKernel(m_, p_, p_.kernels[i], static_cast<int>(i), tuning_));
    llvm::Function* plan = emitPlan();
    llvm::Function* run = emitRun();
    emitDescriptor(producer, plan, run);
    if (!tuning_.cpuFeatures.empty()) {
      Constant* text = llvm::ConstantDataArray::getString(ctx_, tuning_.cpuFeatures);
      new llvm::GlobalVariable(m_, text->getType(), true, llvm::GlobalValue::ExternalLinkage, text,
                               KILN_ARTIFACT_CPU_FEATURES_SYMBOL);
    }
    emitChecksum();
  }

 private:
  const Program& p_;
  llvm::Module& m_;
  llvm::LLVMContext& ctx_;
  SymbolTable syms_;
  CodegenTuning tuning_;
  llvm::PointerType* ptr_;
  llvm::IntegerType *i32_, *i64_;
  std::vector<KernelFunction> kernels_;

  // KILN_ARTIFACT_CHECKSUM_SYMBOL: every constant array of the module (weights, packed
  // weights, dims, names, the CPU-feature list), with the checksum of their bytes as
  // compiled; the loader recomputes it over the same memory.
  void emitChecksum() {
    std::vector<Constant*> blobs;
    std::vector<uint64_t> sizes;
    uint64_t h = KILN_CHECKSUM64_SEED;
    const llvm::DataLayout& dl = m_.getDataLayout();
    for (llvm::GlobalVariable& g : m_.globals()) {
      if (!g.isConstant() || !g.hasInitializer()) continue;
      const Constant* init = g.getInitializer();
      std::string zeros;
      llvm::StringRef bytes;
      if (const auto* data = llvm::dyn_cast<llvm::ConstantDataSequential>(init)) {
        bytes = data->getRawDataValues();
      } else if (llvm::isa<llvm::ConstantAggregateZero>(init)) {
        zeros.assign(dl.getTypeAllocSize(init->getType()), '\0');
        bytes = zeros;
      } else {
        continue;  // the descriptor and signature structs: pointers, relocated at load
      }
      h = kiln_checksum64(h, bytes.data(), bytes.size());
      blobs.push_back(&g);
      sizes.push_back(bytes.size());
    }
    auto* i64 = llvm::Type::getInt64Ty(ctx_);
    Constant* blobTable = blobs.empty() ? llvm::ConstantPointerNull::get(ptr_)
                                        : global(llvm::ConstantArray::get(llvm::ArrayType::get(ptr_, blobs.size()), blobs), "checksum.blobs");
    Constant* sizeTable = sizes.empty() ? llvm::ConstantPointerNull::get(ptr_)
                                        : global(llvm::ConstantDataArray::get(ctx_, sizes), "checksum.sizes");
    auto* ty = llvm::StructType::get(ctx_, {i64, i64, ptr_, ptr_});
    Constant* init = llvm::ConstantStruct::get(
        ty, {llvm::ConstantInt::get(i64, h), llvm::ConstantInt::get(i64, blobs.size()), blobTable, sizeTable});
    auto* g = new llvm::GlobalVariable(m_, ty, true, llvm::GlobalValue::ExternalLinkage, init,
                                       KILN_ARTIFACT_CHECKSUM_SYMBOL);
    g->setAlignment(llvm::Align(8));
  }

  Constant* str(const std::string& s) {
    return llvm::IRBuilder<>(ctx_).CreateGlobalString(s, ".str", 0, &m_);
  }
  Constant* global(Constant* init, const std::string& name, uint64_t align = 8) {
    auto* g = new llvm::GlobalVariable(m_, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init, name);
    g->setAlignment(llvm::Align(align));
    return g;
  }

  Constant* weights(const Buffer& b) {
    const Tensor& t = *b.data;
    Constant* init = llvm::ConstantDataArray::getRaw(
        llvm::StringRef(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size()),
        static_cast<uint64_t>(t.size()), elementType(ctx_, t.dtype));
    if (t.size() == 0) init = llvm::ConstantAggregateZero::get(llvm::ArrayType::get(elementType(ctx_, t.dtype), 1));
    return global(init, "w." + b.name, KILN_ARTIFACT_DEFAULT_ALIGNMENT);
  }

  llvm::Function* function(const char* name, llvm::FunctionType* ty) {
    auto* f = llvm::Function::Create(ty, llvm::Function::InternalLinkage, name, m_);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    return f;
  }

  // int32_t plan(int64_t* symbols, int64_t* const* output_dims, uint64_t* workspace_bytes,
  //              char* error, uint64_t error_capacity)
  llvm::Function* emitPlan() {
    auto* f = function("kiln.plan", llvm::FunctionType::get(i32_, {ptr_, ptr_, ptr_, ptr_, i64_}, false));
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx_, "entry", f));
    // Every size here grows with the input dims: computed with overflow checks, and a size
    // beyond int64 fails the run (INVALID_INPUT) instead of wrapping.
    CheckedSizes sizes(p_, b, f->getArg(0));
    for (size_t i = 0; i < syms_.derived.size(); ++i)
      b.CreateStore(sizes.poly(syms_.derived[i]), b.CreateConstGEP1_64(i64_, f->getArg(0), syms_.bound + i));
    for (size_t o = 0; o < p_.outputs.size(); ++o) {
      Value* dims = b.CreateLoad(ptr_, b.CreateConstGEP1_64(ptr_, f->getArg(1), o));
      for (size_t d = 0; d < p_.outputs[o].dims.size(); ++d)
        b.CreateStore(sizes.poly(p_.outputs[o].dims[d]), b.CreateConstGEP1_64(i64_, dims, d));
    }
    // Every buffer's byte size, though only the workspace total is stored: a temporary larger
    // than int64 bytes could hide behind a wrapped product of the others.
    for (const Buffer& buf : p_.buffers)
      if (buf.kind == BufferKind::Temp || buf.kind == BufferKind::Output)
        sizes.poly(product(buf.shape) * Poly(static_cast<int64_t>(dtypeSize(buf.dtype))));
    b.CreateStore(sizes.expr(p_.workspaceBytes), f->getArg(2));
    auto* fail = llvm::BasicBlock::Create(ctx_, "overflow", f);
    auto* ok = llvm::BasicBlock::Create(ctx_, "ok", f);
    b.CreateCondBr(sizes.overflowed(), fail, ok);
    b.SetInsertPoint(fail);
    emitError(b, f->getArg(3), f->getArg(4),
              "the input dims make a size of model '" + p_.name + "' overflow 64 bits (too large a batch?)");
    b.CreateRet(b.getInt32(KILN_STATUS_INVALID_INPUT));
    b.SetInsertPoint(ok);
    b.CreateRet(b.getInt32(KILN_STATUS_OK));
    return f;
  }

  // int32_t run(const kiln_run_context_v1* ctx, const void* const* inputs, void* const* outputs)
  llvm::Function* emitRun() {
    // kiln_run_context_v1: symbols, workspace, workspace_bytes, num_threads, parallel_for,
    // parallel_ctx, error, error_capacity.
    auto* ctxTy = llvm::StructType::get(ctx_, {ptr_, ptr_, i64_, i32_, ptr_, ptr_, ptr_, i64_});
    auto* f = function("kiln.run", llvm::FunctionType::get(i32_, {ptr_, ptr_, ptr_}, false));
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx_, "entry", f));
    Value* rc = f->getArg(0);
    auto field = [&](unsigned i, llvm::Type* t) { return b.CreateLoad(t, b.CreateStructGEP(ctxTy, rc, i)); };
    Value* syms = field(0, ptr_);
    Value* ws = field(1, ptr_);
    Value* pf = field(4, ptr_);
    Value* pctx = field(5, ptr_);
    ExprEmitter ex(p_, b, b, syms, {});

    auto* table = b.CreateAlloca(ptr_, b.getInt64(std::max<size_t>(1, p_.buffers.size())), "buffers");
    // Weight pointers: stored one by one when there are few; with many (a long chain of
    // folded BatchNorms has two per node) one copy from a constant table, since thousands of
    // stores in one block make LLVM's instruction scheduler quadratic.
    // A weight no code reads (a GEMM's B, which its kernel packed at compile time) is left
    // out: the artifact holds the packed copy only.
    std::vector<bool> read(p_.buffers.size(), false);
    for (const KernelFunction& kf : kernels_)
      for (size_t i = 0; i < kf.reads.size(); ++i) read[i] = read[i] || kf.reads[i];
    for (const Kernel& k : p_.kernels)
      for (const RangeCheck& c : k.checks) read[static_cast<size_t>(p_.root(c.buf))] = true;
    auto weightsIfRead = [&](size_t i) -> Constant* {
      return read[i] ? weights(p_.buffers[i]) : llvm::ConstantPointerNull::get(ptr_);
    };
    size_t constants = 0;
    for (const Buffer& buf : p_.buffers) constants += buf.kind == BufferKind::Constant;
    const bool constantTable = constants > kMaxConstantStores;
    if (constantTable) {
      std::vector<Constant*> init;
      for (size_t i = 0; i < p_.buffers.size(); ++i)
        init.push_back(p_.buffers[i].kind == BufferKind::Constant ? weightsIfRead(i) : llvm::ConstantPointerNull::get(ptr_));
      Constant* pointers = global(llvm::ConstantArray::get(llvm::ArrayType::get(ptr_, init.size()), init), "weight_table");
      b.CreateMemCpy(table, llvm::MaybeAlign(8), pointers, llvm::MaybeAlign(8), init.size() * 8);
    }
    for (size_t i = 0; i < p_.buffers.size(); ++i) {
      const Buffer& buf = p_.buffers[i];
      Value* v = nullptr;
      switch (buf.kind) {
        case BufferKind::Input: v = b.CreateLoad(ptr_, b.CreateConstGEP1_64(ptr_, f->getArg(1), buf.index)); break;
        case BufferKind::Output: v = b.CreateLoad(ptr_, b.CreateConstGEP1_64(ptr_, f->getArg(2), buf.index)); break;
        case BufferKind::Constant: v = constantTable ? nullptr : weightsIfRead(i); break;
        case BufferKind::Temp:
          if (buf.offset) v = b.CreateInBoundsGEP(b.getInt8Ty(), ws, ex.emit(buf.offset));
          break;
        case BufferKind::Alias: break;
      }
      if (v) b.CreateStore(v, b.CreateConstGEP1_64(ptr_, table, i));
    }
    auto* frameTy = llvm::StructType::get(ctx_, {ptr_, ptr_});
    auto* frame = b.CreateAlloca(frameTy, nullptr, "frame");
    b.CreateStore(syms, b.CreateStructGEP(frameTy, frame, 0));
    b.CreateStore(table, b.CreateStructGEP(frameTy, frame, 1));
    auto* pfTy = llvm::FunctionType::get(b.getVoidTy(), {ptr_, i64_, i64_, ptr_, ptr_}, false);
    for (size_t k = 0; k < kernels_.size(); ++k) {
      for (const RangeCheck& c : p_.kernels[k].checks) emitRangeCheck(b, ex, table, rc, ctxTy, c);
      const KernelFunction& kf = kernels_[k];
      b.CreateCall(pfTy, pf, {pctx, ex.emit(kf.iterations), b.getInt64(kf.grain), kf.body, frame});
    }
    b.CreateRet(b.getInt32(KILN_STATUS_OK));
    return f;
  }

  // Serial loop over c.buf's elements; the first one outside [c.lo, c.hi] (or 0 for a nonZero
  // check) writes c.message
  // into the run context's error buffer (truncated to its capacity) and returns
  // KILN_STATUS_INVALID_INPUT from `run`.
  void emitRangeCheck(llvm::IRBuilder<>& b, ExprEmitter& ex, Value* table, Value* rc,
                      llvm::StructType* ctxTy, const RangeCheck& c) {
    llvm::Function* f = b.GetInsertBlock()->getParent();
    const Buffer& buf = p_.buffers[static_cast<size_t>(c.buf)];
    llvm::Type* et = elementType(ctx_, buf.dtype);
    Value* data = b.CreateLoad(ptr_, b.CreateConstGEP1_64(ptr_, table, p_.root(c.buf)));
    Value* n = ex.poly(product(buf.shape));
    Value* lo = ex.poly(c.lo);
    Value* hi = ex.poly(c.hi);
    llvm::BasicBlock* pre = b.GetInsertBlock();
    auto* head = llvm::BasicBlock::Create(ctx_, "check.head", f);
    auto* body = llvm::BasicBlock::Create(ctx_, "check.body", f);
    auto* fail = llvm::BasicBlock::Create(ctx_, "check.fail", f);
    auto* done = llvm::BasicBlock::Create(ctx_, "check.done", f);
    b.CreateBr(head);
    b.SetInsertPoint(head);
    llvm::PHINode* i = b.CreatePHI(i64_, 2);
    i->addIncoming(b.getInt64(0), pre);
    b.CreateCondBr(b.CreateICmpSLT(i, n), body, done);
    b.SetInsertPoint(body);
    Value* v = b.CreateSExtOrTrunc(b.CreateLoad(et, b.CreateInBoundsGEP(et, data, i)), i64_);
    i->addIncoming(b.CreateAdd(i, b.getInt64(1)), body);
    Value* bad = b.CreateOr(b.CreateICmpSLT(v, lo), b.CreateICmpSGT(v, hi));
    if (c.nonZero) bad = b.CreateOr(bad, b.CreateICmpEQ(v, b.getInt64(0)));
    b.CreateCondBr(bad, fail, head);
    b.SetInsertPoint(fail);
    emitError(b, b.CreateLoad(ptr_, b.CreateStructGEP(ctxTy, rc, 6)), b.CreateLoad(i64_, b.CreateStructGEP(ctxTy, rc, 7)),
              c.message);
    b.CreateRet(b.getInt32(KILN_STATUS_INVALID_INPUT));
    b.SetInsertPoint(done);
  }

  // Copies `message` into the caller's error buffer `err` of `cap` bytes (cap >= 1),
  // truncated to fit, NUL-terminated.
  void emitError(llvm::IRBuilder<>& b, Value* err, Value* cap, const std::string& message) {
    Value* len = b.CreateSelect(b.CreateICmpULT(b.getInt64(message.size()), cap), b.getInt64(message.size()),
                                b.CreateSub(cap, b.getInt64(1)));
    b.CreateMemCpy(err, llvm::MaybeAlign(1), str(message), llvm::MaybeAlign(1), len);
    b.CreateStore(b.getInt8(0), b.CreateInBoundsGEP(b.getInt8Ty(), err, len));
  }

  Constant* signature(const std::vector<Signature>& sigs, const char* what) {
    auto* tensorTy = llvm::StructType::get(ctx_, {ptr_, i32_, i32_, ptr_});
    std::vector<Constant*> entries;
    for (const Signature& s : sigs) {
      std::vector<int64_t> dims;
      for (const Poly& d : s.dims) dims.push_back(syms_.dimCode(d));
      Constant* dimsC = dims.empty() ? llvm::ConstantPointerNull::get(ptr_)
                                     : global(llvm::ConstantDataArray::get(ctx_, dims), std::string("dims.") + what);
      entries.push_back(llvm::ConstantStruct::get(
          tensorTy, {str(s.name), llvm::ConstantInt::get(i32_, abiDType(s.dtype)),
                     llvm::ConstantInt::get(i32_, s.dims.size()), dimsC}));
    }
    if (entries.empty()) return llvm::ConstantPointerNull::get(ptr_);
    return global(llvm::ConstantArray::get(llvm::ArrayType::get(tensorTy, entries.size()), entries), what);
  }

  void emitDescriptor(const std::string& producer, llvm::Function* plan, llvm::Function* run) {
    std::vector<Constant*> names;
    for (const std::string& n : syms_.names) names.push_back(str(n));
    Constant* symbolNames = names.empty() ? llvm::ConstantPointerNull::get(ptr_)
                                          : global(llvm::ConstantArray::get(llvm::ArrayType::get(ptr_, names.size()), names), "symbol_names");
    auto* headerTy = llvm::StructType::get(ctx_, {i32_, i32_});
    auto* descTy = llvm::StructType::get(ctx_, {headerTy, ptr_, ptr_, i32_, i32_, ptr_, i32_, ptr_, i32_, ptr_, ptr_, ptr_});
    auto i32c = [&](int64_t v) { return llvm::ConstantInt::get(i32_, v); };
    Constant* desc = llvm::ConstantStruct::get(
        descTy, {llvm::ConstantStruct::get(headerTy, {i32c(KILN_ARTIFACT_MAGIC), i32c(KILN_ARTIFACT_ABI_VERSION)}),
                 str(p_.name), str(producer), i32c(kIoAlignment),
                 i32c(static_cast<int64_t>(names.size())), symbolNames,
                 i32c(static_cast<int64_t>(p_.inputs.size())), signature(p_.inputs, "inputs"),
                 i32c(static_cast<int64_t>(p_.outputs.size())), signature(p_.outputs, "outputs"), plan, run});
    Constant* g = global(desc, "kiln.descriptor");
    auto* get = llvm::Function::Create(llvm::FunctionType::get(ptr_, false), llvm::Function::ExternalLinkage,
                                       KILN_ARTIFACT_ENTRY_SYMBOL, m_);
    get->setVisibility(llvm::GlobalValue::DefaultVisibility);
    get->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx_, "entry", get));
    b.CreateRet(g);
  }
};

}  // namespace

std::unique_ptr<llvm::Module> buildModule(const Program& prog, llvm::LLVMContext& ctx,
                                          const llvm::DataLayout& layout,
                                          const std::string& triple, const std::string& producer,
                                          const CodegenTuning& tuning) {
  auto m = std::make_unique<llvm::Module>(prog.name, ctx);
  m->setDataLayout(layout);
  m->setTargetTriple(triple);
  Builder(prog, *m, tuning).build(producer);
  std::string err;
  llvm::raw_string_ostream os(err);
  if (llvm::verifyModule(*m, &os))
    throw Error(ErrorCode::Internal, "CPU backend produced invalid LLVM IR: " + os.str());
  return m;
}

}  // namespace kiln::cpu
