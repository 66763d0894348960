#include "kiln/support/error.h"

namespace kiln {

const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidModel: return "invalid model";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::InvalidInput: return "invalid input";
    case ErrorCode::Io: return "i/o error";
    case ErrorCode::Internal: return "internal error";
  }
  return "error";
}

}  // namespace kiln
