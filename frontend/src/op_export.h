#pragma once
/// Per-op export: kiln node -> standard ONNX (opset 17) node(s). One entry per OpKind.
#include "kiln/ir/graph.h"
#include "onnx_writer.h"

namespace kiln::fe {

/// Writes node `n` (and whatever helper nodes/initializers it needs) through `w`.
using OpExporter = void (*)(OnnxWriter& w, const Node& n);

/// The exporter for `kind`.
OpExporter opExporter(OpKind kind);

/// One row of an exporter table.
struct OpExporterEntry {
  OpKind kind;
  OpExporter exportNode;
};
/// Exporters for kiln-internal ops (ScaleShift, BatchNormTraining), expanded into ONNX.
std::vector<OpExporterEntry> internalOpExporters();

/// Writes `n` as the same-named ONNX op with its inputs, outputs and attributes.
void exportStandard(OnnxWriter& w, const Node& n);
/// Rank of `v` when known.
std::optional<int64_t> rankOf(const Value* v);

}  // namespace kiln::fe
