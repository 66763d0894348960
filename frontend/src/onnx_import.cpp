// Entry points of the importer: read the file, parse and sanity-check the ModelProto, pick the
// opset, build the graph, run shape inference; every error leaves prefixed with the file name.
#include "kiln/frontend/onnx_import.h"

#include <onnx/onnx_pb.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>

#include "graph_import.h"
#include "opset_upgrade.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/ir/verifier.h"
#include "kiln/support/error.h"

namespace kiln {

namespace {

constexpr int64_t kMinOpset = 1;  // 1-6 through fe::upgradeToOpset7
constexpr int64_t kMaxOpset = 21;

std::string readFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st))
    throw Error(ErrorCode::Io, path + ": cannot open model file: no such file");
  if (fs::is_directory(st)) throw Error(ErrorCode::Io, path + ": is a directory, not a model file");
  // Devices and pipes could block or never end.
  if (!fs::is_regular_file(st)) throw Error(ErrorCode::Io, path + ": is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Io, path + ": cannot open model file for reading");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw Error(ErrorCode::Io, path + ": reading the model file failed");
  return std::move(buf).str();
}

onnx::ModelProto parseModel(const std::string& bytes) {
  if (bytes.empty()) throw Error(ErrorCode::InvalidModel, "file is empty, not an ONNX model");
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    throw Error(ErrorCode::InvalidModel,
                "file is larger than 2 GiB; store the weights as external data");
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw Error(ErrorCode::InvalidModel,
                "not a valid ONNX model (protobuf parsing failed: the file is truncated, "
                "corrupt or not ONNX)");
  if (model.ir_version() <= 0 || !model.has_graph())
    throw Error(ErrorCode::InvalidModel,
                "not a valid ONNX model (no ir_version or no graph: the file is truncated, "
                "corrupt or not ONNX)");
  return model;
}

int64_t defaultOpset(const onnx::ModelProto& model) {
  std::optional<int64_t> version;
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") version = op.version();
  if (!version)
    throw Error(ErrorCode::InvalidModel, "model imports no opset of the default ONNX domain");
  if (*version < kMinOpset || *version > kMaxOpset)
    throw Error(ErrorCode::Unsupported, "opset version " + std::to_string(*version) +
                                            " of the default ONNX domain is not supported "
                                            "(kiln supports " +
                                            std::to_string(kMinOpset) + " to " +
                                            std::to_string(kMaxOpset) + ")");
  return *version;
}

std::unique_ptr<Graph> importModel(const std::string& bytes, const std::string& baseDir,
                                   const ImportOptions& opts) {
  onnx::ModelProto model = parseModel(bytes);
  int64_t opset = defaultOpset(model);
  if (opset < fe::kDirectMinOpset) {
    model = fe::upgradeToOpset7(model, opset);
    opset = defaultOpset(model);
  }
  auto g = fe::importGraph(model.graph(), opset, baseDir);
  if (opts.inferShapes) {
    inferShapes(*g);
    verify(*g);
  }
  return g;
}

}  // namespace

std::unique_ptr<Graph> importOnnxBytes(const std::string& bytes, const std::string& baseDir,
                                       const std::string& displayName, const ImportOptions& opts) {
  try {
    return importModel(bytes, baseDir, opts);
  } catch (const Error& e) {
    throw Error(e.code(), displayName + ": " + e.what());
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCode::InvalidModel, displayName + ": out of memory while importing");
  } catch (const std::length_error&) {
    throw Error(ErrorCode::InvalidModel, displayName + ": a tensor or list is too large");
  }
}

std::unique_ptr<Graph> importOnnxFile(const std::string& path, const ImportOptions& opts) {
  std::string bytes = readFile(path);
  std::string dir = std::filesystem::path(path).parent_path().string();
  return importOnnxBytes(bytes, dir.empty() ? "." : dir, path, opts);
}

}  // namespace kiln
