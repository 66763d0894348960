#include "artifact.h"

#include <cstring>
#include <fstream>

#include "kiln/support/error.h"

namespace kiln::cli {

namespace {

ErrorCode errorCodeOf(kiln_status s) {
  switch (s) {
    case KILN_STATUS_IO_ERROR: return ErrorCode::Io;
    case KILN_STATUS_UNSUPPORTED: return ErrorCode::Unsupported;
    case KILN_STATUS_NOT_AN_ARTIFACT:
    case KILN_STATUS_ABI_MISMATCH: return ErrorCode::InvalidModel;
    case KILN_STATUS_INVALID_INPUT:
    case KILN_STATUS_INVALID_ARGUMENT: return ErrorCode::InvalidInput;
    default: return ErrorCode::Internal;
  }
}

/// Runs `fn`, turning a runtime failure into kiln::Error with the runtime's message.
template <typename F> auto rethrowing(const std::string& context, F&& fn) {
  try {
    return fn();
  } catch (const rt::Error& e) {
    throw Error(errorCodeOf(e.status()), context + e.what());
  }
}

struct DTypeCode {
  DType dtype;
  int32_t code;
};
constexpr DTypeCode kDTypeCodes[] = {
    {DType::F32, KILN_DTYPE_FLOAT32}, {DType::F64, KILN_DTYPE_FLOAT64},
    {DType::I64, KILN_DTYPE_INT64},   {DType::I32, KILN_DTYPE_INT32},
    {DType::I8, KILN_DTYPE_INT8},     {DType::U8, KILN_DTYPE_UINT8},
    {DType::Bool, KILN_DTYPE_BOOL},
};

DType dtypeFromRuntime(int32_t code, const std::string& tensor) {
  for (const DTypeCode& c : kDTypeCodes)
    if (c.code == code) return c.dtype;
  throw Error(ErrorCode::Unsupported, "artifact tensor '" + tensor + "' has element type " +
                                          kiln_dtype_name(code) + ", which kiln's CLI cannot hold");
}

int32_t dtypeToRuntime(DType t) {
  for (const DTypeCode& c : kDTypeCodes)
    if (c.dtype == t) return c.code;
  return 0;
}

/// Declares one artifact input or output as a value of `g`.
Value* declare(Graph& g, const rt::TensorInfo& info) {
  Value* v = g.addValue(info.name, dtypeFromRuntime(info.dtype, info.name));
  v->hasShape = true;
  for (size_t d = 0; d < info.dims.size(); ++d)
    v->shape.push_back(info.dims[d] >= 0 ? Dim::known(info.dims[d]) : Dim::symbolic(info.dimNames[d]));
  return v;
}

kiln_tensor viewOf(const Tensor& t, const std::string& name) {
  kiln_tensor k{};
  k.data = const_cast<uint8_t*>(t.bytes.data());
  k.bytes = t.bytes.size();
  k.dtype = dtypeToRuntime(t.dtype);
  k.rank = t.dims.size();
  if (k.rank > KILN_MAX_RANK)
    throw Error(ErrorCode::InvalidInput, "input '" + name + "' has rank " +
                                             std::to_string(k.rank) + ", more than the runtime's " +
                                             std::to_string(KILN_MAX_RANK));
  for (size_t d = 0; d < k.rank; ++d) k.dims[d] = t.dims[d];
  k.name = name.c_str();
  return k;
}

/// Tensors of `inputs` in the artifact's input order, as views.
std::vector<kiln_tensor> inputViews(const Graph& signature, const TensorMap& inputs) {
  std::vector<kiln_tensor> views;
  for (const Value* v : signature.inputs) {
    auto it = inputs.find(v->name);
    if (it == inputs.end())
      throw Error(ErrorCode::InvalidInput, "no data for artifact input '" + v->name + "'");
    views.push_back(viewOf(it->second, v->name));
  }
  return views;
}

/// True when (b0, b1) begin a protobuf key of a ModelProto field with its wire type:
/// ir_version 1, model_version 5 (varint); producer_name 2, producer_version 3, domain 4,
/// doc_string 6, graph 7, opset_import 8, metadata_props 14, training_info 20, functions 25.
bool isModelProtoKey(unsigned char b0, unsigned char b1) {
  if (b0 & 0x80u) {  // two-byte key: field >= 16
    const unsigned key = (b0 & 0x7fu) | (static_cast<unsigned>(b1) << 7);
    return key == ((20u << 3) | 2u) || key == ((25u << 3) | 2u);
  }
  const unsigned field = b0 >> 3, wire = b0 & 7u;
  if (field == 1 || field == 5) return wire == 0;
  return wire == 2 && ((field >= 2 && field <= 8) || field == 14);
}

}  // namespace

ModelFileKind detectModelFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::Io, "cannot read '" + path + "'");
  unsigned char head[4] = {0, 0, 0, 0};
  f.read(reinterpret_cast<char*>(head), sizeof head);
  const std::streamsize got = f.gcount();
  if (got == 4 && std::memcmp(head, "\x7f" "ELF", 4) == 0) return ModelFileKind::Artifact;
  // An ONNX ModelProto starts with the protobuf key of one of its fields (exporters write
  // ir_version first: 0x08); anything else cannot be one.
  if (got > 0 && isModelProtoKey(head[0], got > 1 ? head[1] : 0)) return ModelFileKind::Onnx;
  throw Error(ErrorCode::InvalidModel,
              "'" + path + "' is neither an ONNX model nor a kiln artifact (a shared library " +
                  "written by 'kiln compile -o X.so')");
}

ArtifactModel::ArtifactModel(const std::string& path)
    : path_(path),
      model_(rethrowing("cannot load '" + path + "': ", [&] { return rt::Model::load(path); })) {
  signature_.name = model_.name();
  for (size_t i = 0; i < model_.numInputs(); ++i)
    signature_.inputs.push_back(declare(signature_, model_.input(i)));
  for (size_t i = 0; i < model_.numOutputs(); ++i)
    signature_.outputs.push_back(declare(signature_, model_.output(i)));
}

TensorMap ArtifactModel::runChecked(const TensorMap& inputs, int threads) {
  BoundRun bound = bind(inputs);
  runBound(bound, threads);
  TensorMap out;
  for (size_t i = 0; i < signature_.outputs.size(); ++i) {
    Tensor& t = bound.outputStorage[i];
    const kiln_tensor& k = bound.outputs[i];
    t.dims.assign(k.dims, k.dims + k.rank);  // as the run reports them
    out.emplace(signature_.outputs[i]->name, std::move(t));
  }
  return out;
}

BoundRun ArtifactModel::bind(const TensorMap& inputs) const {
  BoundRun b;
  b.inputs = inputViews(signature_, inputs);
  b.outputs = rethrowing("", [&] { return model_.inferOutputs(b.inputs); });
  b.outputStorage.reserve(b.outputs.size());  // outputs[i].data points into these
  for (size_t i = 0; i < b.outputs.size(); ++i) {
    kiln_tensor& k = b.outputs[i];
    const Value* v = signature_.outputs[i];
    b.outputStorage.emplace_back(v->dtype, std::vector<int64_t>(k.dims, k.dims + k.rank));
    Tensor& t = b.outputStorage.back();
    if (t.bytes.size() != k.bytes)
      throw Error(ErrorCode::Internal, "output '" + v->name + "': runtime wants " +
                                           std::to_string(k.bytes) + " bytes, kiln computed " +
                                           std::to_string(t.bytes.size()));
    k.data = t.bytes.data();
    k.name = v->name.c_str();
  }
  return b;
}

void ArtifactModel::runBound(BoundRun& bound, int threads) const {
  rethrowing("", [&] {
    model_.run(bound.inputs, bound.outputs, threads);
    return 0;
  });
}

}  // namespace kiln::cli
