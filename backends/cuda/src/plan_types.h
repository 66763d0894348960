#pragma once
/// The shared plan's names inside the CUDA backend.
#include "kiln/plan/kernel_plan.h"

namespace kiln::cuda {
using plan::Buffer;
using plan::BufferKind;
using plan::EOp;
using plan::EType;
using plan::Expr;
using plan::ExprNode;
using plan::Kernel;
using plan::KernelKind;
using plan::MomentSums;
using plan::Poly;
using plan::Program;
using plan::RangeCheck;
using plan::ReduceKind;
}  // namespace kiln::cuda
