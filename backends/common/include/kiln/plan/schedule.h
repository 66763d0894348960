#pragma once
/// Program-level transformations between lowering and code generation.
#include "kiln/plan/kernel_plan.h"

namespace kiln::plan {

/// Fuses kernels through intermediate buffers with a single reader:
///  - a producer without reduction is inlined into its reader's loads (into a reduction body
///    only when it is pure data movement: padding, transposes, ...), which chains elementwise
///    ops into one loop;
///  - an elementwise reader of a reduction kernel's output (bias, ScaleShift, activation,
///    residual Add) becomes that kernel's epilogue, run at the reader's position;
/// then a BatchNorm statistics pass (MomentSums Accumulate, out = -1) over a buffer that only
/// that BatchNorm reads folds into the buffer's producer, which sums the values it stores.
/// Returns the number of fusions done.
int fuseKernels(Program& p);

/// Static memory plan: every Temp buffer gets a byte offset in one workspace; buffers whose
/// live ranges (first writer .. last reader in kernel order) do not overlap share a slot.
/// Slot sizes are maxima of symbolic sizes, 64-byte aligned; sets p.workspaceBytes.
void planMemory(Program& p);

/// Size in bytes of a buffer.
Poly bufferBytes(const Buffer& b);

}  // namespace kiln::plan
