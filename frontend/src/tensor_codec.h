#pragma once
/// TensorProto <-> kiln::Tensor, and ONNX element type <-> DType.
#include <onnx/onnx_pb.h>

#include <optional>
#include <string>

#include "kiln/ir/tensor.h"

namespace kiln::fe {

/// DType for an ONNX TensorProto::DataType value; nullopt for types kiln does not handle.
std::optional<DType> dtypeFromOnnx(int32_t elemType);
/// ONNX TensorProto::DataType value of `t`.
int32_t dtypeToOnnx(DType t);
/// ONNX spelling of an element type ("FLOAT16", ...), for messages.
std::string onnxTypeName(int32_t elemType);

/// Where a tensor lives, for messages and external data.
struct TensorOrigin {
  std::string label;    ///< e.g. "initializer 'conv1.weight'"; every message starts with it
  std::string baseDir;  ///< model folder for external data; "" refuses external data
  std::vector<std::string>* filesRead = nullptr;  ///< when set, external data files are added
};

/// Decodes a TensorProto (raw_data, typed fields or external data). Throws Error:
/// Unsupported for element types kiln lacks, InvalidModel for negative dims or a byte /
/// element count that does not match the dims, plus the external-data errors.
Tensor decodeTensor(const onnx::TensorProto& proto, const TensorOrigin& origin);

/// Encodes `t` as a TensorProto named `name` with raw_data.
void encodeTensor(const Tensor& t, const std::string& name, onnx::TensorProto* out);

/// Product of `dims` with overflow and sign checks (InvalidModel naming `label`).
int64_t checkedElementCount(const std::vector<int64_t>& dims, size_t elemSize,
                            const std::string& label);

}  // namespace kiln::fe
