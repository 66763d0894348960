#pragma once
/// Structural checks on a Graph, run after import and after every pass in debug pipelines.
#include "kiln/ir/graph.h"

namespace kiln {

/// Checks: input/output counts against ops.def, every node input is a graph input, a
/// constant or the output of an earlier node (no dangling values, no cycles), each value has
/// one producer, graph outputs are defined, attribute structs match the op kind.
/// Throws Error(InvalidModel) with a message naming the node, op and value.
void verify(const Graph& g);

}  // namespace kiln
