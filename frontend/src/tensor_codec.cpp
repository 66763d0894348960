#include "tensor_codec.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "external_data.h"
#include "kiln/support/error.h"

namespace kiln::fe {

using onnx::TensorProto;

std::optional<DType> dtypeFromOnnx(int32_t elemType) {
  switch (elemType) {
    case TensorProto::FLOAT:
      return DType::F32;
    case TensorProto::DOUBLE:
      return DType::F64;
    case TensorProto::INT64:
      return DType::I64;
    case TensorProto::INT32:
      return DType::I32;
    case TensorProto::INT8:
      return DType::I8;
    case TensorProto::UINT8:
      return DType::U8;
    case TensorProto::BOOL:
      return DType::Bool;
    default:
      return std::nullopt;
  }
}

int32_t dtypeToOnnx(DType t) {
  switch (t) {
    case DType::F32:
      return TensorProto::FLOAT;
    case DType::F64:
      return TensorProto::DOUBLE;
    case DType::I64:
      return TensorProto::INT64;
    case DType::I32:
      return TensorProto::INT32;
    case DType::I8:
      return TensorProto::INT8;
    case DType::U8:
      return TensorProto::UINT8;
    case DType::Bool:
      return TensorProto::BOOL;
  }
  return TensorProto::UNDEFINED;
}

std::string onnxTypeName(int32_t elemType) {
  if (onnx::TensorProto_DataType_IsValid(elemType))
    return onnx::TensorProto_DataType_Name(static_cast<TensorProto::DataType>(elemType));
  // Types newer than the onnx.proto kiln is built against (libonnx-dev 1.12).
  static const char* const kNewer[] = {"FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
                                       "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1"};
  if (elemType >= 17 && elemType < 17 + static_cast<int32_t>(std::size(kNewer)))
    return kNewer[elemType - 17];
  return "unknown type code " + std::to_string(elemType);
}

int64_t checkedElementCount(const std::vector<int64_t>& dims, size_t elemSize,
                            const std::string& label) {
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0)
      throw Error(ErrorCode::InvalidModel, label + ": negative dimension " + std::to_string(d));
    if (__builtin_mul_overflow(count, d, &count))
      throw Error(ErrorCode::InvalidModel, label + ": element count overflows");
  }
  int64_t bytes = 0;
  if (__builtin_mul_overflow(count, static_cast<int64_t>(elemSize), &bytes))
    throw Error(ErrorCode::InvalidModel, label + ": byte size overflows");
  return count;
}

namespace {

std::string dimsToString(const std::vector<int64_t>& dims) { return shapeToString(shapeOf(dims)); }

// Copies a repeated numeric field into `t`, converting each element to the tensor's type.
template <typename Field>
void copyTyped(const Field& field, const char* fieldName, Tensor& t, const std::string& label) {
  if (static_cast<int64_t>(field.size()) != t.size())
    throw Error(ErrorCode::InvalidModel, label + ": " + fieldName + " holds " +
                                             std::to_string(field.size()) + " values but dims " +
                                             dimsToString(t.dims) + " need " +
                                             std::to_string(t.size()));
  t.bytes.resize(static_cast<size_t>(t.size()) * dtypeSize(t.dtype));
  for (int64_t i = 0; i < t.size(); ++i) {
    auto v = field.Get(static_cast<int>(i));
    switch (t.dtype) {
      case DType::F32:
        t.data<float>()[i] = static_cast<float>(v);
        break;
      case DType::F64:
        t.data<double>()[i] = static_cast<double>(v);
        break;
      case DType::I64:
        t.data<int64_t>()[i] = static_cast<int64_t>(v);
        break;
      case DType::I32:
        t.data<int32_t>()[i] = static_cast<int32_t>(v);
        break;
      case DType::I8:
        t.data<int8_t>()[i] = static_cast<int8_t>(v);
        break;
      case DType::U8:
        t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
        break;
      case DType::Bool:
        t.data<uint8_t>()[i] = v != 0 ? 1 : 0;
        break;
    }
  }
}

void decodeTypedFields(const TensorProto& p, Tensor& t, const std::string& label) {
  switch (t.dtype) {
    case DType::F32:
      return copyTyped(p.float_data(), "float_data", t, label);
    case DType::F64:
      return copyTyped(p.double_data(), "double_data", t, label);
    case DType::I64:
      return copyTyped(p.int64_data(), "int64_data", t, label);
    case DType::I32:
    case DType::I8:
    case DType::U8:
    case DType::Bool:
      return copyTyped(p.int32_data(), "int32_data", t, label);
  }
}

}  // namespace

Tensor decodeTensor(const TensorProto& p, const TensorOrigin& origin) {
  const std::string& label = origin.label;
  std::optional<DType> dtype = dtypeFromOnnx(p.data_type());
  if (!dtype)
    throw Error(ErrorCode::Unsupported,
                label + ": element type " + onnxTypeName(p.data_type()) + " is not supported");
  if (p.has_segment())
    throw Error(ErrorCode::Unsupported, label + ": segmented tensors are not supported");
  std::vector<int64_t> dims(p.dims().begin(), p.dims().end());
  int64_t count = checkedElementCount(dims, dtypeSize(*dtype), label);
  uint64_t byteCount = static_cast<uint64_t>(count) * dtypeSize(*dtype);

  Tensor t;
  t.dtype = *dtype;
  t.dims = std::move(dims);
  if (p.data_location() == TensorProto::EXTERNAL) {
    const std::string file = readExternalData(p, label, origin.baseDir, byteCount, t.bytes);
    if (origin.filesRead && std::find(origin.filesRead->begin(), origin.filesRead->end(), file) == origin.filesRead->end())
      origin.filesRead->push_back(file);
    return t;
  }
  if (p.has_raw_data()) {
    if (p.raw_data().size() != byteCount)
      throw Error(ErrorCode::InvalidModel,
                  label + ": raw_data has " + std::to_string(p.raw_data().size()) +
                      " bytes but dims " + dimsToString(t.dims) + " of " + dtypeName(t.dtype) +
                      " need " + std::to_string(byteCount));
    t.bytes.assign(p.raw_data().begin(), p.raw_data().end());
    return t;
  }
  decodeTypedFields(p, t, label);
  return t;
}

void encodeTensor(const Tensor& t, const std::string& name, TensorProto* out) {
  out->set_name(name);
  out->set_data_type(dtypeToOnnx(t.dtype));
  for (int64_t d : t.dims) out->add_dims(d);
  out->set_raw_data(t.bytes.data(), t.bytes.size());
}

}  // namespace kiln::fe
