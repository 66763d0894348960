#pragma once
#include "kiln/passes/pass.h"

namespace kiln {

/// kiln.ScaleShift folded into the weights and bias of a following Conv/Gemm/MatMul when exact (through AveragePool/Flatten, through MaxPool only for positive scales, never across zero padding).
/// Returns true if the graph changed.
bool foldScaleShiftForward(Graph& g, PassContext& ctx);

}  // namespace kiln
