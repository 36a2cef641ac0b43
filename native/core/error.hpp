// The one error type of the core. Nothing in the core aborts or exits: every failure is thrown as
// an indee::Error with a code, and the binding turns it into a JS error in one place.
#pragma once

#include <stdexcept>
#include <string>

namespace indee {

enum class ErrorCode {
  InvalidArgument,  // wrong shape, size or kind of argument (becomes a TypeError in JS)
  OutOfRange,       // a value outside what the model accepts (becomes a RangeError in JS)
  Numerical,        // a computation produced NaN or Inf
  OutOfMemory,      // an allocation failed
  Unavailable,      // the device asked for cannot be used here (no plugin, driver, GPU or cuBLAS)
  Device,           // a device or device-library call failed while computing
  Internal,         // a broken invariant: a bug in this library
};

const char* error_code_name(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// Throws Error(code, message) unless `condition` holds. The message is built before the call, so
// loops over many values test the condition themselves and build it only on failure.
inline void require(bool condition, ErrorCode code, const std::string& message) {
  if (!condition) throw Error(code, message);
}

}  // namespace indee
