#pragma once
/// kiln Graph -> standard ONNX (opset 17) that onnxruntime can run.
#include <string>

#include "kiln/ir/graph.h"

namespace kiln {

/// Serialises `g` as an ONNX ModelProto. Internal ops are expanded into standard ONNX:
/// ScaleShift -> Mul + Add with [C,1,...] constants; BatchNormTraining ->
/// BatchNormalization(training_mode=1) (+ activation), or the equivalent ReduceMean/Sub/
/// Div chain for the whole-tensor form (also used when ONNX BatchNormalization would differ:
/// unbiased variance, channel axis != 1). Symbolic dims are written as dim_param; constants
/// become raw_data initializers; opset-17 input forms are kept (Reduce* axes as attribute,
/// legacy Softmax as Flatten/Softmax/Reshape). Throws Error(Unsupported) naming the node for
/// what opset 17 cannot express: unknown rank where a broadcast needs it, non-constant
/// ReduceMean axes, Pad mode 'wrap', AveragePool dilations, unbiased variance over symbolic
/// dims.
std::string exportOnnxBytes(const Graph& g);

/// Writes exportOnnxBytes(g) to `path` atomically (temp file + rename), never leaving a
/// partial file. Throws Error(Io) naming the path on failure.
void exportOnnxFile(const Graph& g, const std::string& path);

}  // namespace kiln
