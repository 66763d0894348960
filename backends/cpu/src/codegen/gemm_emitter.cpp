// The register-blocked GEMM micro-kernel as LLVM IR (see gemm_emitter.h).
#include "codegen/gemm_emitter.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/Intrinsics.h>

#include "codegen/moment_sums.h"

namespace kiln::cpu {

namespace {

using llvm::Value;

// B packed as [ceil(N/NR)][K][NR] floats, columns past N zero, K in row-major order of the
// reduction variables.
llvm::GlobalVariable* packB(llvm::Module& m, const Program& p, const Kernel& k, const GemmMatch& g) {
  const Tensor& t = *p.buffers[static_cast<size_t>(g.bBuf)].data;
  const std::span<const float> src = t.data<float>();
  const int rank = static_cast<int>(k.domain.size());
  std::vector<int64_t> stride(t.dims.size(), 1);
  for (size_t d = t.dims.size(); d-- > 1;) stride[d - 1] = stride[d] * t.dims[d];
  std::vector<int64_t> ext;
  for (const Poly& e : k.reduce->extents) ext.push_back(e.constValue());
  const int64_t blocks = (g.n + g.nr - 1) / g.nr;
  std::vector<float> out(static_cast<size_t>(blocks * g.k * g.nr), 0.0f);
  std::vector<int64_t> red(ext.size(), 0);
  int64_t colStride = 0;
  for (size_t d = 0; d < t.dims.size(); ++d)
    if (g.bDimVar[d] == g.colVar) colStride = stride[d];
  for (int64_t kf = 0; kf < g.k; ++kf) {
    for (int64_t rest = kf, d = static_cast<int64_t>(ext.size()) - 1; d >= 0; --d) {
      red[static_cast<size_t>(d)] = rest % ext[static_cast<size_t>(d)];
      rest /= ext[static_cast<size_t>(d)];
    }
    int64_t base = 0;
    for (size_t d = 0; d < t.dims.size(); ++d)
      if (g.bDimVar[d] != g.colVar) base += red[static_cast<size_t>(g.bDimVar[d] - rank)] * stride[d];
    for (int64_t c = 0; c < g.n; ++c)
      out[static_cast<size_t>(((c / g.nr) * g.k + kf) * g.nr + c % g.nr)] = src[static_cast<size_t>(base + c * colStride)];
  }
  auto* init = llvm::ConstantDataArray::get(m.getContext(), llvm::ArrayRef<float>(out));
  auto* gv = new llvm::GlobalVariable(m, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init,
                                      "w.packed." + p.buffers[static_cast<size_t>(g.bBuf)].name);
  gv->setAlignment(llvm::Align(64));
  return gv;
}

// Dot form: B packed as [N][Kpad] floats (Kpad = K rounded up to whole vectors, zero-padded),
// so a column's K values are contiguous like A's row.
llvm::GlobalVariable* packBDot(llvm::Module& m, const Program& p, const GemmMatch& g) {
  const Tensor& t = *p.buffers[static_cast<size_t>(g.bBuf)].data;
  const std::span<const float> src = t.data<float>();
  std::vector<int64_t> stride(t.dims.size(), 1);
  for (size_t d = t.dims.size(); d-- > 1;) stride[d - 1] = stride[d] * t.dims[d];
  int64_t colStride = 0, kStride = 0;
  for (size_t d = 0; d < t.dims.size(); ++d) (g.bDimVar[d] == g.colVar ? colStride : kStride) = stride[d];
  const int64_t kpad = (g.k + g.lanes - 1) / g.lanes * g.lanes;
  std::vector<float> out(static_cast<size_t>(g.n * kpad), 0.0f);
  for (int64_t c = 0; c < g.n; ++c)
    for (int64_t kf = 0; kf < g.k; ++kf) out[static_cast<size_t>(c * kpad + kf)] = src[static_cast<size_t>(c * colStride + kf * kStride)];
  auto* init = llvm::ConstantDataArray::get(m.getContext(), llvm::ArrayRef<float>(out));
  auto* gv = new llvm::GlobalVariable(m, init->getType(), true, llvm::GlobalValue::PrivateLinkage, init,
                                      "w.packed." + p.buffers[static_cast<size_t>(g.bBuf)].name);
  gv->setAlignment(llvm::Align(64));
  return gv;
}

class GemmEmitter {
 public:
  GemmEmitter(llvm::Module& m, const Program& p, const Kernel& k, const GemmMatch& g,
              llvm::IRBuilder<>& b, ExprEmitter& ex, MomentAccumulator* sums)
      : m_(m), p_(p), k_(k), g_(g), b_(b), ex_(ex), sums_(sums), rank_(static_cast<int>(k.domain.size())),
        nv_(g.rowVector ? 0 : g.nr / g.lanes) {
    f32_ = b.getFloatTy();
    vec_ = llvm::FixedVectorType::get(f32_, static_cast<unsigned>(g.lanes));
    llvm::Function* fn = b.GetInsertBlock()->getParent();
    // Let the x86 backend keep <16 x float> in zmm registers (instead of splitting to ymm).
    if (g.lanes * 32 > 256) fn->addFnAttr("min-legal-vector-width", std::to_string(g.lanes * 32));
    llvm::IRBuilder<> eb(&fn->getEntryBlock(), fn->getEntryBlock().begin());
    const int numAccs = g.rowVector ? g.nr * g.rowVectors : g.dot ? g.mr * g.nr : g.mr * nv_ * kSplit;
    for (int i = 0; i < numAccs; ++i) accs_.push_back(eb.CreateAlloca(vec_, nullptr, "gacc"));
    tmp_ = eb.CreateAlloca(f32_, b.getInt64(static_cast<uint64_t>(g.mr * g.nr)), "gtile");
    tmp_->setAlignment(llvm::Align(64));
    packed_ = g.dot ? packBDot(m, p, g) : packB(m, p, k, g);
  }

  void emit(Value* begin, Value* end) {
    ex_.vars.assign(static_cast<size_t>(rank_) + k_.reduce->extents.size(), nullptr);
    Value* rows = ex_.poly(k_.domain[static_cast<size_t>(g_.rowVar)]);
    Value* rowBlocks = b_.CreateSDiv(b_.CreateAdd(rows, b_.getInt64(g_.mr - 1)), b_.getInt64(g_.mr));
    Value* colBlocks = b_.getInt64((g_.n + g_.nr - 1) / g_.nr);
    std::vector<int> outer;
    for (int d = 0; d < rank_; ++d)
      if (d != g_.rowVar && d != g_.colVar) outer.push_back(d);
    emitLoop(b_, begin, end, "gemm.it", [&](Value* it) {
      Value* rest = b_.CreateSDiv(it, rowBlocks);
      Value* row0 = b_.CreateMul(b_.CreateSRem(it, rowBlocks), b_.getInt64(g_.mr));
      for (size_t i = outer.size(); i-- > 0;) {
        const int d = outer[i];
        Value* n = ex_.poly(k_.domain[static_cast<size_t>(d)]);
        ex_.vars[static_cast<size_t>(d)] = i == 0 ? rest : b_.CreateSRem(rest, n);
        if (i > 0) rest = b_.CreateSDiv(rest, n);
      }
      if (g_.rowVector) {
        emitLoop(b_, b_.getInt64(0), colBlocks, "gemm.nbv", [&](Value* nb) { rowVectorBlock(row0, rows, nb); });
        return;
      }
      Value* full = b_.CreateICmpSLE(b_.CreateAdd(row0, b_.getInt64(g_.mr)), rows);
      llvm::Function* fn = b_.GetInsertBlock()->getParent();
      auto* fullBB = llvm::BasicBlock::Create(b_.getContext(), "gemm.full", fn);
      auto* partBB = llvm::BasicBlock::Create(b_.getContext(), "gemm.part", fn);
      auto* joinBB = llvm::BasicBlock::Create(b_.getContext(), "gemm.join", fn);
      b_.CreateCondBr(full, fullBB, partBB);
      b_.SetInsertPoint(fullBB);
      if (g_.interior) {
        // Interior / border split: blocks whose rows are all away from the padding run
        // without the per-tap guard.
        auto* innerBB = llvm::BasicBlock::Create(b_.getContext(), "gemm.interior", fn);
        auto* borderBB = llvm::BasicBlock::Create(b_.getContext(), "gemm.border", fn);
        b_.CreateCondBr(b_.CreateAnd(interiorAt(row0), interiorAt(b_.CreateAdd(row0, b_.getInt64(g_.mr - 1)))),
                        innerBB, borderBB);
        b_.SetInsertPoint(innerBB);
        emitLoop(b_, b_.getInt64(0), colBlocks, "gemm.nbi", [&](Value* nb) { block(g_.mr, row0, nb, true); });
        b_.CreateBr(joinBB);
        b_.SetInsertPoint(borderBB);
      }
      emitLoop(b_, b_.getInt64(0), colBlocks, "gemm.nb", [&](Value* nb) { block(g_.mr, row0, nb); });
      b_.CreateBr(joinBB);
      b_.SetInsertPoint(partBB);
      emitLoop(b_, row0, rows, "gemm.row", [&](Value* r) {
        emitLoop(b_, b_.getInt64(0), colBlocks, "gemm.nb1", [&](Value* nb) { block(1, r, nb); });
      });
      b_.CreateBr(joinBB);
      b_.SetInsertPoint(joinBB);
    });
  }

 private:
  static constexpr int kSplit = 4;  // K-split accumulators of the one-row block (FMA latency)
  llvm::Module& m_;
  const Program& p_;
  const Kernel& k_;
  const GemmMatch& g_;
  llvm::IRBuilder<>& b_;
  ExprEmitter& ex_;
  MomentAccumulator* sums_;
  const int rank_, nv_;
  llvm::Type* f32_;
  llvm::FixedVectorType* vec_;
  std::vector<llvm::AllocaInst*> accs_;
  llvm::AllocaInst* tmp_;
  llvm::GlobalVariable* packed_;

  llvm::AllocaInst* acc(int r, int v, int u) const { return accs_[static_cast<size_t>((r * nv_ + v) * kSplit + u)]; }

  // Row-vector block: rows row0 .. row0+mr-1 (masked past `rows`) x columns nb*nr .. +nr.
  void rowVectorBlock(Value* row0, Value* rows, Value* nb) {
    const int rv = g_.rowVectors, nc = g_.nr, lanes = g_.lanes;
    auto accAt = [&](int c, int v) { return accs_[static_cast<size_t>(c * rv + v)]; };
    for (int c = 0; c < nc; ++c)
      for (int v = 0; v < rv; ++v) b_.CreateStore(llvm::Constant::getNullValue(vec_), accAt(c, v));
    // Lane masks and vector start rows (a start past the end is replaced by row0: its mask is
    // all false, and the address stays inside the tensor).
    std::vector<Value*> masks, starts;
    std::vector<llvm::Constant*> laneIds;
    for (int l = 0; l < lanes; ++l) laneIds.push_back(b_.getInt64(static_cast<uint64_t>(l)));
    Value* ids = llvm::ConstantVector::get(laneIds);
    for (int v = 0; v < rv; ++v) {
      Value* s = b_.CreateAdd(row0, b_.getInt64(v * lanes));
      masks.push_back(b_.CreateICmpSLT(b_.CreateAdd(b_.CreateVectorSplat(static_cast<unsigned>(lanes), s), ids),
                                       b_.CreateVectorSplat(static_cast<unsigned>(lanes), rows)));
      starts.push_back(b_.CreateSelect(b_.CreateICmpSLT(s, rows), s, row0));
    }
    Value* panel = b_.CreateInBoundsGEP(f32_, packed_, b_.CreateMul(nb, b_.getInt64(g_.k * nc)));
    const size_t red0 = static_cast<size_t>(rank_);
    auto kstep = [&](Value* kf) {
      std::vector<Value*> a;
      for (int v = 0; v < rv; ++v) {
        ex_.pushScope();
        ex_.vars[static_cast<size_t>(g_.rowVar)] = starts[static_cast<size_t>(v)];
        Value* ptr = ex_.address(static_cast<int>(g_.aLoad->i), g_.aLoad->args);
        ex_.popScope();
        a.push_back(b_.CreateMaskedLoad(vec_, ptr, llvm::Align(4), masks[static_cast<size_t>(v)],
                                        llvm::Constant::getNullValue(vec_)));
      }
      Value* bp = b_.CreateInBoundsGEP(f32_, panel, b_.CreateMul(kf, b_.getInt64(nc)));
      for (int c = 0; c < nc; ++c) {
        Value* w = b_.CreateVectorSplat(static_cast<unsigned>(lanes),
                                        b_.CreateLoad(f32_, b_.CreateConstInBoundsGEP1_64(f32_, bp, c)));
        for (int v = 0; v < rv; ++v) {
          Value* old = b_.CreateLoad(vec_, accAt(c, v));
          b_.CreateStore(b_.CreateIntrinsic(llvm::Intrinsic::fmuladd, {vec_}, {w, a[static_cast<size_t>(v)], old}), accAt(c, v));
        }
      }
    };
    std::function<void(size_t, Value*)> nest = [&](size_t d, Value* prefix) {
      const int64_t ext = k_.reduce->extents[d].constValue();
      emitLoop(b_, b_.getInt64(0), b_.getInt64(ext), "gemm.kv", [&](Value* iv) {
        ex_.vars[red0 + d] = iv;
        Value* kf = prefix ? b_.CreateAdd(b_.CreateMul(prefix, b_.getInt64(ext)), iv) : iv;
        if (d + 1 == k_.reduce->extents.size()) return kstep(kf);
        nest(d + 1, kf);
      });
    };
    nest(0, nullptr);
    // Tile [column][row] (already row-contiguous), then the epilogue along the rows.
    const int span = rv * lanes;
    for (int c = 0; c < nc; ++c)
      for (int v = 0; v < rv; ++v)
        b_.CreateAlignedStore(b_.CreateLoad(vec_, accAt(c, v)),
                              b_.CreateConstInBoundsGEP1_64(f32_, tmp_, c * span + v * lanes), llvm::Align(32));
    Value* col0 = b_.CreateMul(nb, b_.getInt64(nc));
    Value* colsLeft = b_.CreateSub(b_.getInt64(g_.n), col0);
    Value* cols = b_.CreateSelect(b_.CreateICmpSLT(colsLeft, b_.getInt64(nc)), colsLeft, b_.getInt64(nc));
    Value* rowsLeft = b_.CreateSub(rows, row0);
    Value* rowCount = b_.CreateSelect(b_.CreateICmpSLT(rowsLeft, b_.getInt64(span)), rowsLeft, b_.getInt64(span));
    const std::vector<Expr> index = vars(static_cast<size_t>(rank_));
    emitLoop(b_, b_.getInt64(0), cols, "gemm.colv", [&](Value* j) {
      llvm::BranchInst* latch = emitLoop(b_, b_.getInt64(0), rowCount, "gemm.rowv", [&](Value* r) {
        ex_.pushScope();
        ex_.vars[static_cast<size_t>(g_.rowVar)] = b_.CreateAdd(row0, r);
        ex_.vars[static_cast<size_t>(g_.colVar)] = b_.CreateAdd(col0, j);
        ex_.acc = b_.CreateLoad(f32_, b_.CreateInBoundsGEP(f32_, tmp_, b_.CreateAdd(b_.CreateMul(j, b_.getInt64(span)), r)));
        storeElement(index);
        ex_.popScope();
      });
      requestTailFolding(latch);
      elementLoop(latch);
    });
  }

  // The epilogue value of the element at the emitter's variables (ex_.acc set), stored and
  // added to the moment sums (the statistics of what is stored, activation included).
  void storeElement(const std::vector<Expr>& index) {
    Value* v = ex_.emit(k_.value);
    ex_.store(k_.out, index, v, k_.value->type);
    if (sums_) sums_->add(v);
  }
  // Called with the latch of the innermost loop around storeElement.
  void elementLoop(llvm::BranchInst* latch) {
    if (sums_) MomentAccumulator::keepRolled(latch);
  }

  Value* interiorAt(Value* row) {
    ex_.pushScope();
    ex_.vars[static_cast<size_t>(g_.rowVar)] = row;
    Value* v = ex_.emit(g_.interior);
    ex_.popScope();
    return v;
  }

  // One K step: rows row0 .. row0+mr-1 times the NR columns of panel row kf, into split u.
  void step(int mr, Value* row0, Value* panel, Value* kf, int u, bool interior) {
    Value* bp = b_.CreateInBoundsGEP(f32_, panel, b_.CreateMul(kf, b_.getInt64(g_.nr)));
    std::vector<Value*> bv;
    for (int v = 0; v < nv_; ++v)
      bv.push_back(b_.CreateAlignedLoad(vec_, b_.CreateConstInBoundsGEP1_64(f32_, bp, v * g_.lanes), llvm::Align(32)));
    for (int r = 0; r < mr; ++r) {
      ex_.pushScope();
      ex_.vars[static_cast<size_t>(g_.rowVar)] = r == 0 ? row0 : b_.CreateAdd(row0, b_.getInt64(r));
      Value* a = b_.CreateVectorSplat(static_cast<unsigned>(g_.lanes), ex_.emit(interior ? g_.aInterior : g_.a));
      ex_.popScope();
      for (int v = 0; v < nv_; ++v) {
        Value* old = b_.CreateLoad(vec_, acc(r, v, u));
        b_.CreateStore(b_.CreateIntrinsic(llvm::Intrinsic::fmuladd, {vec_}, {a, bv[static_cast<size_t>(v)], old}), acc(r, v, u));
      }
    }
  }

  // Dot-form block: rows row0 .. row0+mr-1 x all n columns; vectors along K, each
  // accumulator summed across its lanes into the tile at the end.
  void dotBlock(int mr, Value* row0) {
    const int n = g_.nr, lanes = g_.lanes;
    const int64_t kpad = (g_.k + lanes - 1) / lanes * lanes, full = g_.k / lanes, rem = g_.k % lanes;
    auto accAt = [&](int r, int c) { return accs_[static_cast<size_t>(r * n + c)]; };
    for (int r = 0; r < mr; ++r)
      for (int c = 0; c < n; ++c) b_.CreateStore(llvm::Constant::getNullValue(vec_), accAt(r, c));
    const size_t red = static_cast<size_t>(rank_);
    std::vector<Value*> rowPtr;  // &A[row][0]
    for (int r = 0; r < mr; ++r) {
      ex_.pushScope();
      ex_.vars[static_cast<size_t>(g_.rowVar)] = r == 0 ? row0 : b_.CreateAdd(row0, b_.getInt64(r));
      ex_.vars[red] = b_.getInt64(0);
      rowPtr.push_back(ex_.address(static_cast<int>(g_.aLoad->i), g_.aLoad->args));
      ex_.popScope();
    }
    auto kstep = [&](Value* off, Value* mask) {
      std::vector<Value*> a;
      for (int r = 0; r < mr; ++r) {
        Value* ptr = b_.CreateInBoundsGEP(f32_, rowPtr[static_cast<size_t>(r)], off);
        a.push_back(mask ? static_cast<Value*>(b_.CreateMaskedLoad(vec_, ptr, llvm::Align(4), mask,
                                                                   llvm::Constant::getNullValue(vec_)))
                         : b_.CreateAlignedLoad(vec_, ptr, llvm::Align(4)));
      }
      for (int c = 0; c < n; ++c) {
        Value* bp = b_.CreateInBoundsGEP(f32_, packed_, b_.CreateAdd(off, b_.getInt64(c * kpad)));
        Value* bv = b_.CreateAlignedLoad(vec_, bp, llvm::Align(64));
        for (int r = 0; r < mr; ++r) {
          Value* old = b_.CreateLoad(vec_, accAt(r, c));
          b_.CreateStore(b_.CreateIntrinsic(llvm::Intrinsic::fmuladd, {vec_}, {a[static_cast<size_t>(r)], bv, old}), accAt(r, c));
        }
      }
    };
    emitLoop(b_, b_.getInt64(0), b_.getInt64(full), "gemm.kd", [&](Value* kv) { kstep(b_.CreateMul(kv, b_.getInt64(lanes)), nullptr); });
    if (rem > 0) {
      std::vector<llvm::Constant*> bits;
      for (int l = 0; l < lanes; ++l) bits.push_back(b_.getInt1(l < rem));
      kstep(b_.getInt64(full * lanes), llvm::ConstantVector::get(bits));  // B's padding is zero
    }
    llvm::FastMathFlags reassoc;
    reassoc.setAllowReassoc();
    for (int r = 0; r < mr; ++r)
      for (int c = 0; c < n; ++c) {
        llvm::Value* sum = b_.CreateFAddReduce(llvm::ConstantFP::get(f32_, -0.0), b_.CreateLoad(vec_, accAt(r, c)));
        llvm::cast<llvm::Instruction>(sum)->setFastMathFlags(reassoc);
        b_.CreateStore(sum, b_.CreateConstInBoundsGEP1_64(f32_, tmp_, r * n + c));
      }
  }

  void block(int mr, Value* row0, Value* nb, bool interior = false) {
    if (g_.dot) {
      dotBlock(mr, row0);
      finishTile(mr, row0, nb);
      return;
    }
    const int splits = (mr == 1 && k_.reduce->extents.size() == 1 && g_.k >= kSplit) ? kSplit : 1;
    for (int r = 0; r < mr; ++r)
      for (int v = 0; v < nv_; ++v)
        for (int u = 0; u < splits; ++u) b_.CreateStore(llvm::Constant::getNullValue(vec_), acc(r, v, u));
    Value* panel = b_.CreateInBoundsGEP(f32_, packed_, b_.CreateMul(nb, b_.getInt64(g_.k * g_.nr)));
    const size_t red0 = static_cast<size_t>(rank_);
    if (splits > 1) {
      const int64_t main = g_.k / splits;
      emitLoop(b_, b_.getInt64(0), b_.getInt64(main), "gemm.kq", [&](Value* kq) {
        for (int u = 0; u < splits; ++u) {
          Value* kf = b_.CreateAdd(b_.CreateMul(kq, b_.getInt64(splits)), b_.getInt64(u));
          ex_.vars[red0] = kf;
          step(mr, row0, panel, kf, u, interior);
        }
      });
      emitLoop(b_, b_.getInt64(main * splits), b_.getInt64(g_.k), "gemm.kr", [&](Value* kf) {
        ex_.vars[red0] = kf;
        step(mr, row0, panel, kf, 0, interior);
      });
    } else {
      std::function<void(size_t, Value*)> nest = [&](size_t d, Value* prefix) {
        const int64_t ext = k_.reduce->extents[d].constValue();
        emitLoop(b_, b_.getInt64(0), b_.getInt64(ext), "gemm.k", [&](Value* iv) {
          ex_.vars[red0 + d] = iv;
          Value* kf = prefix ? b_.CreateAdd(b_.CreateMul(prefix, b_.getInt64(ext)), iv) : iv;
          if (d + 1 == k_.reduce->extents.size()) return step(mr, row0, panel, kf, 0, interior);
          nest(d + 1, kf);
        });
      };
      nest(0, nullptr);
    }
    epilogue(mr, row0, nb, splits);
  }

  // Accumulators -> tile -> the kernel's value expression per valid element -> output. When
  // the rows are the output's innermost dim (Conv: output positions), the tile is stored
  // transposed and the per-element loop runs along the rows, so loads and stores are
  // contiguous and the loop vectorises; otherwise (Gemm) it runs along the columns.
  void epilogue(int mr, Value* row0, Value* nb, int splits) {
    const bool rowInner = k_.store.empty() && g_.rowVar == rank_ - 1;
    for (int r = 0; r < mr; ++r)
      for (int v = 0; v < nv_; ++v) {
        Value* sum = b_.CreateLoad(vec_, acc(r, v, 0));
        for (int u = 1; u < splits; ++u) sum = b_.CreateFAdd(sum, b_.CreateLoad(vec_, acc(r, v, u)));
        if (!rowInner) {
          b_.CreateAlignedStore(sum, b_.CreateConstInBoundsGEP1_64(f32_, tmp_, r * g_.nr + v * g_.lanes), llvm::Align(32));
          continue;
        }
        for (int l = 0; l < g_.lanes; ++l)
          b_.CreateStore(b_.CreateExtractElement(sum, static_cast<uint64_t>(l)),
                         b_.CreateConstInBoundsGEP1_64(f32_, tmp_, (v * g_.lanes + l) * mr + r));
      }
    finishTile(mr, row0, nb);
  }

  // The tile (as epilogue laid it out) -> value expression per valid element -> output.
  void finishTile(int mr, Value* row0, Value* nb) {
    const bool rowInner = k_.store.empty() && g_.rowVar == rank_ - 1;
    Value* col0 = b_.CreateMul(nb, b_.getInt64(g_.nr));
    Value* left = b_.CreateSub(b_.getInt64(g_.n), col0);
    Value* cols = b_.CreateSelect(b_.CreateICmpSLT(left, b_.getInt64(g_.nr)), left, b_.getInt64(g_.nr));
    const std::vector<Expr> index = k_.store.empty() ? vars(static_cast<size_t>(rank_)) : k_.store;
    auto element = [&](Value* row, Value* j, Value* at) {
      ex_.pushScope();
      ex_.vars[static_cast<size_t>(g_.rowVar)] = row;
      ex_.vars[static_cast<size_t>(g_.colVar)] = b_.CreateAdd(col0, j);
      ex_.acc = b_.CreateLoad(f32_, b_.CreateInBoundsGEP(f32_, tmp_, at));
      storeElement(index);
      ex_.popScope();
    };
    if (rowInner) {
      emitLoop(b_, b_.getInt64(0), cols, "gemm.col", [&](Value* j) {
        elementLoop(emitLoop(b_, b_.getInt64(0), b_.getInt64(mr), "gemm.row", [&](Value* r) {
          element(b_.CreateAdd(row0, r), j, b_.CreateAdd(b_.CreateMul(j, b_.getInt64(mr)), r));
        }));
      });
      return;
    }
    for (int r = 0; r < mr; ++r) {
      Value* row = r == 0 ? row0 : b_.CreateAdd(row0, b_.getInt64(r));
      elementLoop(emitLoop(b_, b_.getInt64(0), cols, "gemm.col", [&](Value* j) {
        element(row, j, b_.CreateAdd(b_.getInt64(r * g_.nr), j));
      }));
    }
  }
};

}  // namespace

void emitGemmBody(llvm::Module& m, const Program& prog, const Kernel& k, const GemmMatch& g,
                  llvm::IRBuilder<>& b, ExprEmitter& ex, llvm::Value* begin, llvm::Value* end,
                  MomentAccumulator* sums) {
  GemmEmitter(m, prog, k, g, b, ex, sums).emit(begin, end);
}

}  // namespace kiln::cpu
