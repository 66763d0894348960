#pragma once
#include "kiln/passes/pass.h"

namespace kiln {

/// Removes nodes whose outputs reach no graph output, and unused values.
/// Returns true if the graph changed.
bool eliminateDeadCode(Graph& g, PassContext& ctx);

}  // namespace kiln
