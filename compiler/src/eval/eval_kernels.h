#pragma once
/// Declarations of every reference kernel, grouped by the file that defines them. The
/// dispatch table in evaluator.cpp is generated from ops.def and names `eval<Op>` for each
/// op, so an op added to ops.def without a kernel declared here fails to compile.
#include "eval_util.h"

namespace kiln::eval {

// eval_conv.cpp
Outputs evalConv(const KernelCall& c);
Outputs evalConvTranspose(const KernelCall& c);
// eval_matmul.cpp
Outputs evalGemm(const KernelCall& c);
Outputs evalMatMul(const KernelCall& c);
// eval_norm.cpp
Outputs evalBatchNormalization(const KernelCall& c);
Outputs evalScaleShift(const KernelCall& c);
Outputs evalBatchNormTraining(const KernelCall& c);
Outputs evalInstanceNormalization(const KernelCall& c);
Outputs evalLRN(const KernelCall& c);
// eval_unary.cpp
Outputs evalRelu(const KernelCall& c);
Outputs evalLeakyRelu(const KernelCall& c);
Outputs evalSigmoid(const KernelCall& c);
Outputs evalTanh(const KernelCall& c);
Outputs evalClip(const KernelCall& c);
Outputs evalSqrt(const KernelCall& c);
Outputs evalNeg(const KernelCall& c);
Outputs evalExp(const KernelCall& c);
Outputs evalLog(const KernelCall& c);
Outputs evalAbs(const KernelCall& c);
Outputs evalReciprocal(const KernelCall& c);
Outputs evalCast(const KernelCall& c);
Outputs evalElu(const KernelCall& c);
Outputs evalSelu(const KernelCall& c);
Outputs evalSoftplus(const KernelCall& c);
Outputs evalHardSigmoid(const KernelCall& c);
Outputs evalHardSwish(const KernelCall& c);
Outputs evalSign(const KernelCall& c);
// eval_binary.cpp
Outputs evalAdd(const KernelCall& c);
Outputs evalSub(const KernelCall& c);
Outputs evalMul(const KernelCall& c);
Outputs evalDiv(const KernelCall& c);
Outputs evalPow(const KernelCall& c);
Outputs evalPRelu(const KernelCall& c);
Outputs evalSum(const KernelCall& c);
Outputs evalMax(const KernelCall& c);
Outputs evalMin(const KernelCall& c);
// eval_pool.cpp
Outputs evalMaxPool(const KernelCall& c);
Outputs evalAveragePool(const KernelCall& c);
Outputs evalGlobalAveragePool(const KernelCall& c);
// eval_reduce.cpp
Outputs evalReduceMean(const KernelCall& c);
Outputs evalReduceProd(const KernelCall& c);
Outputs evalSoftmax(const KernelCall& c);
Outputs evalReduceSum(const KernelCall& c);
Outputs evalLogSoftmax(const KernelCall& c);
// eval_tensor_ops.cpp
Outputs evalExpand(const KernelCall& c);
Outputs evalTile(const KernelCall& c);
Outputs evalConstantOfShape(const KernelCall& c);
Outputs evalSlice(const KernelCall& c);
Outputs evalSplit(const KernelCall& c);
// eval_shape_ops.cpp
Outputs evalFlatten(const KernelCall& c);
Outputs evalReshape(const KernelCall& c);
Outputs evalIdentity(const KernelCall& c);
Outputs evalDropout(const KernelCall& c);
Outputs evalShape(const KernelCall& c);
Outputs evalUnsqueeze(const KernelCall& c);
Outputs evalSqueeze(const KernelCall& c);
// eval_data_movement.cpp
Outputs evalTranspose(const KernelCall& c);
Outputs evalGather(const KernelCall& c);
Outputs evalConcat(const KernelCall& c);
Outputs evalPad(const KernelCall& c);

}  // namespace kiln::eval
