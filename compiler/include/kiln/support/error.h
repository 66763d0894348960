#pragma once
/// Errors raised by kiln for user mistakes (bad model, bad input, unsupported op).
/// Internal invariants use assert(); everything a user can cause throws kiln::Error,
/// whose message names the file, node, op or value involved.
#include <stdexcept>
#include <string>

namespace kiln {

/// What kind of user-visible failure happened; maps 1:1 onto the C API status codes.
enum class ErrorCode {
  InvalidModel,   ///< malformed file, dangling input, cycle, inconsistent shapes
  Unsupported,    ///< op, domain, opset, dtype or attribute kiln does not handle
  InvalidInput,   ///< run-time input of wrong name, shape or dtype
  Io,             ///< file could not be read or written
  Internal,       ///< a bug in kiln
};

/// Name of an ErrorCode, e.g. "invalid model".
const char* errorCodeName(ErrorCode code);

/// The exception every kiln layer throws for user-facing failures.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace kiln
