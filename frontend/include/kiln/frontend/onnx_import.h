#pragma once
/// ONNX model file -> kiln Graph.
#include <memory>
#include <string>

#include "kiln/ir/graph.h"

namespace kiln {

struct ImportOptions {
  /// Run inferShapes() and verify() on the imported graph (default on).
  bool inferShapes = true;
};

/// Loads an ONNX model. Supports default-domain opsets 7..21 for the ops in ops.def;
/// parses attributes into typed structs (normalising opset differences, see attrs.h);
/// initializers and Constant nodes become constant values; external data is read relative to
/// the model's folder (paths escaping it are refused; offset+length checked against the
/// file). Graph inputs that are also initializers are constants. Symbolic dims (dim_param,
/// or unnamed dynamic dims) stay symbolic.
/// Throws Error with a message that starts with "<path>: " and names, where relevant, the
/// node ("Conv node 'conv1'"), op, attribute, value or external-data path:
/// InvalidModel for unreadable/truncated/non-ONNX/empty files, dangling inputs, cycles and
/// inconsistent shapes, wrong attribute types, external data outside the model folder;
/// Unsupported for unknown ops, domains, opsets, dtypes or attribute values kiln does not
/// implement (BatchNormalization spatial=0, MaxPool Indices, training-mode Dropout); Io when the
/// model or an external-data file cannot be read.
std::unique_ptr<Graph> importOnnxFile(const std::string& path, const ImportOptions& opts = {});

/// Same from bytes already in memory; `baseDir` is used for external data ("" = refuse
/// external data), `displayName` in messages.
std::unique_ptr<Graph> importOnnxBytes(const std::string& bytes, const std::string& baseDir,
                                       const std::string& displayName,
                                       const ImportOptions& opts = {});

}  // namespace kiln
