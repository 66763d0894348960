#pragma once
/// Reading tensor bytes stored outside the model file (data_location = EXTERNAL).
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/ir/tensor.h"

namespace kiln::fe {

/// Reads `byteCount` bytes of external data for `proto` into `out`.
/// The `location` key is resolved relative to `baseDir`; absolute paths, `..` escapes and
/// symlinks that lead outside `baseDir` are refused (InvalidModel), as are an offset/length
/// past the end of the file or a length that differs from `byteCount`. A missing or
/// unreadable file is Io. Every message names `label` and the path. Returns the file's path.
std::string readExternalData(const onnx::TensorProto& proto, const std::string& label,
                      const std::string& baseDir, uint64_t byteCount, TensorBytes& out);

}  // namespace kiln::fe
