#pragma once
#include "kiln/passes/pass.h"

namespace kiln {

/// Nodes whose inputs are all constant are evaluated and replaced by constants (weight Transposes, shape subgraphs).
/// Returns true if the graph changed.
bool constantFold(Graph& g, PassContext& ctx);

}  // namespace kiln
