#pragma once
/// Reading the ONNX backend node tests' files (model.onnx, test_data_set_*/*.pb) straight
/// from protobuf, independently of kiln's frontend.
#include <string>
#include <vector>

#include "kiln/ir/tensor.h"

namespace kiln::test {

/// Reads a serialized onnx.TensorProto (input_*.pb / output_*.pb) into a Tensor; `name`
/// receives the proto's name. Throws Error(Unsupported) for element types kiln lacks
/// (float16, strings, ...) and Error(InvalidModel) for unparsable or inconsistent files.
Tensor loadTensorProto(const std::string& path, std::string* name = nullptr);

/// What the node-test runner needs to know about a model without importing it.
struct OnnxModelInfo {
  std::vector<std::string> opTypes;  ///< op_type of each node of the main graph, in order
  std::vector<std::string> domains;  ///< domain of each node ("" for ONNX)
  std::vector<std::string> inputs;   ///< graph inputs that are not initializers, in order
  std::vector<std::string> outputs;  ///< graph outputs, in order
};

/// Parses model.onnx just far enough to fill OnnxModelInfo. Throws Error(InvalidModel).
OnnxModelInfo readOnnxModelInfo(const std::string& path);

}  // namespace kiln::test
