#pragma once
#include "kiln/passes/pass.h"

namespace kiln {

/// Training-mode BatchNormalization (and the naive whole-tensor normalisation pattern) -> one kiln.BatchNormTraining node, with a following activation fused into it.
/// Returns true if the graph changed.
bool lowerTrainingBatchNorm(Graph& g, PassContext& ctx);

}  // namespace kiln
