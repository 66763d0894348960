#include "onnx_test_data.h"

#include <onnx/onnx_pb.h>

#include <fstream>
#include <set>
#include <sstream>

#include "kiln/support/error.h"

namespace kiln::test {

namespace {

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Io, "cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Copies a repeated proto field into the tensor, converting element by element.
template <typename Elem, typename Field> void copyField(Tensor& t, const Field& field) {
  auto out = t.data<Elem>();
  for (int64_t i = 0; i < t.size(); ++i) out[i] = static_cast<Elem>(field.Get(static_cast<int>(i)));
}

}  // namespace

Tensor loadTensorProto(const std::string& path, std::string* name) {
  onnx::TensorProto p;
  if (!p.ParseFromString(readAll(path)))
    throw Error(ErrorCode::InvalidModel, "'" + path + "' is not a TensorProto");
  if (name) *name = p.name();
  DType t;
  switch (p.data_type()) {
    case onnx::TensorProto::FLOAT: t = DType::F32; break;
    case onnx::TensorProto::DOUBLE: t = DType::F64; break;
    case onnx::TensorProto::INT64: t = DType::I64; break;
    case onnx::TensorProto::INT32: t = DType::I32; break;
    case onnx::TensorProto::INT8: t = DType::I8; break;
    case onnx::TensorProto::UINT8: t = DType::U8; break;
    case onnx::TensorProto::BOOL: t = DType::Bool; break;
    default:
      throw Error(ErrorCode::Unsupported,
                  "'" + path + "': tensor element type " +
                      onnx::TensorProto::DataType_Name(
                          static_cast<onnx::TensorProto::DataType>(p.data_type())) +
                      " is not supported by kiln");
  }
  if (p.data_location() == onnx::TensorProto::EXTERNAL)
    throw Error(ErrorCode::Unsupported, "'" + path + "': external tensor data");
  std::vector<int64_t> dims(p.dims().begin(), p.dims().end());
  for (int64_t d : dims)
    if (d < 0) throw Error(ErrorCode::InvalidModel, "'" + path + "': negative dim");
  Tensor out(t, dims);
  const size_t want = out.bytes.size();
  if (p.has_raw_data()) {
    if (p.raw_data().size() != want)
      throw Error(ErrorCode::InvalidModel, "'" + path + "': raw_data size does not match dims");
    std::copy(p.raw_data().begin(), p.raw_data().end(), out.bytes.begin());
    return out;
  }
  auto check = [&](int n) {
    if (n != out.size())
      throw Error(ErrorCode::InvalidModel, "'" + path + "': element count does not match dims");
  };
  switch (t) {
    case DType::F32: check(p.float_data_size()); copyField<float>(out, p.float_data()); break;
    case DType::F64: check(p.double_data_size()); copyField<double>(out, p.double_data()); break;
    case DType::I64: check(p.int64_data_size()); copyField<int64_t>(out, p.int64_data()); break;
    case DType::I32: check(p.int32_data_size()); copyField<int32_t>(out, p.int32_data()); break;
    case DType::I8: check(p.int32_data_size()); copyField<int8_t>(out, p.int32_data()); break;
    case DType::U8:
    case DType::Bool: check(p.int32_data_size()); copyField<uint8_t>(out, p.int32_data()); break;
  }
  return out;
}

OnnxModelInfo readOnnxModelInfo(const std::string& path) {
  onnx::ModelProto m;
  if (!m.ParseFromString(readAll(path)))
    throw Error(ErrorCode::InvalidModel, "'" + path + "' is not an ONNX model");
  OnnxModelInfo info;
  for (const auto& n : m.graph().node()) {
    info.opTypes.push_back(n.op_type());
    info.domains.push_back(n.domain() == "ai.onnx" ? "" : n.domain());
  }
  std::set<std::string> inits;
  for (const auto& t : m.graph().initializer()) inits.insert(t.name());
  for (const auto& v : m.graph().input())
    if (!inits.count(v.name())) info.inputs.push_back(v.name());
  for (const auto& v : m.graph().output()) info.outputs.push_back(v.name());
  return info;
}

}  // namespace kiln::test
