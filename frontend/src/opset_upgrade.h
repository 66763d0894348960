#pragma once
/// Models of opsets 1-6 are upgraded to opset 7 at import with ONNX's own version converter
/// (libonnx), so kiln's importer only ever sees opsets 7 and later.
#include <onnx/onnx_pb.h>

namespace kiln::fe {

/// The oldest default-domain opset kiln imports directly.
constexpr int64_t kDirectMinOpset = 7;

/// `model` converted to opset 7. Error(Unsupported) naming the opset and the converter's
/// reason when ONNX cannot convert it (an op without an adapter, a malformed node).
onnx::ModelProto upgradeToOpset7(const onnx::ModelProto& model, int64_t from);

}  // namespace kiln::fe
