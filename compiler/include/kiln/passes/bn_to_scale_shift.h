#pragma once
#include "kiln/passes/pass.h"

namespace kiln {

/// Eval-mode BatchNormalization, and the hand-written BN pattern (elementwise Sub/Div/Sqrt/Mul/Add on constant statistics), -> kiln.ScaleShift on the channel axis.
/// Returns true if the graph changed.
bool batchNormToScaleShift(Graph& g, PassContext& ctx);

}  // namespace kiln
