#pragma once
/// kiln Graph -> standard ONNX (opset 17) that onnxruntime can run.
#include <string>

#include "kiln/ir/graph.h"

namespace kiln {

/// Serialises `g` as an ONNX ModelProto. Internal ops are expanded into standard ONNX:
/// ScaleShift -> Mul + Add with [C,1,...] constants; BatchNormTraining ->
/// BatchNormalization(training_mode=1) (+ activation), or the equivalent ReduceMean/Sub/
/// Div chain for the whole-tensor form. Symbolic dims are written as dim_param.
std::string exportOnnxBytes(const Graph& g);

/// Writes exportOnnxBytes(g) to `path` atomically (temp file + rename), never leaving a
/// partial file. Throws Error(Io) naming the path on failure.
void exportOnnxFile(const Graph& g, const std::string& path);

}  // namespace kiln
