#include "codegen/fast_math.h"

#include <limits>

namespace kiln::cpu {

llvm::Value* emitExpF(llvm::IRBuilder<>& b, llvm::Value* x) {
  llvm::Type* f32 = b.getFloatTy();
  auto c = [&](double v) { return llvm::ConstantFP::get(f32, v); };
  auto fma = [&](llvm::Value* a, llvm::Value* m, llvm::Value* add) {
    return b.CreateIntrinsic(llvm::Intrinsic::fmuladd, {f32}, {a, m, add});
  };
  // Clamp so that n stays within the exponent range (n - 1 in [-127, 127]).
  llvm::Value* xc = b.CreateSelect(b.CreateFCmpOLT(x, c(-87.33654475)), c(-87.33654475), x);
  xc = b.CreateSelect(b.CreateFCmpOGT(xc, c(88.72283935546875)), c(88.72283935546875), xc);
  // n = round(x / ln2); r = x - n ln2 with ln2 split in two for exactness.
  llvm::Value* n = b.CreateUnaryIntrinsic(llvm::Intrinsic::floor, fma(xc, c(1.44269504088896341), c(0.5)));
  llvm::Value* r = fma(n, c(-0.693359375), xc);
  r = fma(n, c(2.12194440e-4), r);
  // e^r ~ 1 + r + r^2 (1/2 + r (1/6 + ...)) (Cephes expf coefficients).
  llvm::Value* p = c(1.9875691500e-4);
  for (double k : {1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1})
    p = fma(p, r, c(k));
  llvm::Value* r2 = b.CreateFMul(r, r);
  p = b.CreateFAdd(fma(p, r2, r), c(1.0));
  // 2^n = 2^h * 2^(n-h), h = n >> 1: both factors are normal floats for n in [-126, 128].
  llvm::Value* ni = b.CreateFPToSI(n, b.getInt32Ty());
  llvm::Value* h = b.CreateAShr(ni, 1);
  auto pow2 = [&](llvm::Value* e) { return b.CreateBitCast(b.CreateShl(b.CreateAdd(e, b.getInt32(127)), 23), f32); };
  llvm::Value* y = b.CreateFMul(b.CreateFMul(p, pow2(h)), pow2(b.CreateSub(ni, h)));
  y = b.CreateSelect(b.CreateFCmpOGT(x, c(88.72283935546875)), c(std::numeric_limits<double>::infinity()), y);
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, y);
}

}  // namespace kiln::cpu
