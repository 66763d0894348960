#pragma once
/// Shape and dtype inference, one rule per op (generated dispatch from ops.def).
#include "kiln/ir/graph.h"

namespace kiln {

/// Infers dtype and shape of every node output in graph order, keeping symbolic dims
/// symbolic (a batch dim "N" stays "N" through Conv/Gemm/Reshape). Also normalises
/// attributes: negative axes made positive, kernel/strides/dilations/pads made explicit,
/// auto_pad resolved into pads. Tracks Value::symbolicContent through shape subgraphs.
/// Throws Error(InvalidModel) naming node, op and value for inconsistent shapes (e.g. Conv
/// channels vs weight, BN parameter length vs channels, Gemm inner dims).
void inferShapes(Graph& g);

/// Same for a single node whose inputs already have shapes.
void inferNodeShapes(Graph& g, Node& n);

}  // namespace kiln
