#pragma once
#include "kiln/passes/pass.h"

namespace kiln {

/// kiln.ScaleShift folded into the weights (and bias) of the Conv / ConvTranspose / Gemm / MatMul(+Add) that produces its input, when that is exact.
/// Returns true if the graph changed.
bool foldScaleShiftBackward(Graph& g, PassContext& ctx);

}  // namespace kiln
