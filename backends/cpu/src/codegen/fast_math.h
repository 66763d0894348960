#pragma once
/// Inline float math the loop vectoriser can widen (a libm call such as expf is scalar and
/// costs a call per element).
#include <llvm/IR/IRBuilder.h>

namespace kiln::cpu {

/// exp(x) for a float value: Cephes-style range reduction x = n ln2 + r, |r| <= ln2/2, a
/// degree-6 polynomial for e^r and the exponent bits for 2^n (about 2 ulp). Returns +inf above
/// 88.72, about 1e-38 (the smallest normal float) below -87.34, and NaN for NaN.
llvm::Value* emitExpF(llvm::IRBuilder<>& b, llvm::Value* x);

}  // namespace kiln::cpu
