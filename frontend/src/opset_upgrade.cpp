#include "opset_upgrade.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <exception>
#include <string>

#include "kiln/support/error.h"

namespace kiln::fe {

onnx::ModelProto upgradeToOpset7(const onnx::ModelProto& model, int64_t from) {
  const std::string what = "upgrading opset " + std::to_string(from) + " to " + std::to_string(kDirectMinOpset);
  try {
    // The converter trusts its input: the checker first, so a malformed old model is refused
    // with the checker's reason instead of reaching the adapters.
    onnx::checker::check_model(model);
    // The adapters (e.g. Add's old broadcast attribute) need the operands' shapes: ONNX's
    // shape inference records them first (lenient: what it cannot infer stays unknown).
    onnx::ModelProto typed = model;
    onnx::shape_inference::InferShapes(typed);
    return onnx::version_conversion::ConvertVersion(typed, static_cast<int>(kDirectMinOpset));
  } catch (const std::exception& e) {
    std::string reason = e.what();
    if (reason.size() > 400) reason = reason.substr(0, 400) + "...";
    throw Error(ErrorCode::Unsupported, what + " with ONNX's version converter failed: " + reason);
  }
}

}  // namespace kiln::fe
