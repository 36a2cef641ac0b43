#include "error.hpp"

namespace indee {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::InvalidArgument: return "ERR_INVALID_ARG_TYPE";
    case ErrorCode::OutOfRange: return "ERR_OUT_OF_RANGE";
    case ErrorCode::Numerical: return "ERR_INDEE_NUMERICAL";
    case ErrorCode::OutOfMemory: return "ERR_INDEE_OUT_OF_MEMORY";
    case ErrorCode::Unavailable: return "ERR_INDEE_DEVICE_UNAVAILABLE";
    case ErrorCode::Device: return "ERR_INDEE_DEVICE";
    case ErrorCode::Internal: return "ERR_INDEE_INTERNAL";
  }
  return "ERR_INDEE_INTERNAL";
}

}  // namespace indee
