#pragma once
#include "kiln/passes/pass.h"

namespace kiln {

/// Identity and inference-mode Dropout removed; Reshape whose target is computed from shapes (Shape->Gather->Concat) rewritten with a constant target when symbolicContent allows (batch dim -> 0).
/// Returns true if the graph changed.
bool simplifyShapes(Graph& g, PassContext& ctx);

}  // namespace kiln
