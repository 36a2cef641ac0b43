#include "errors.hpp"

#include <new>

#include "core/error.hpp"

namespace indee::binding {

Failure capture_current_exception() {
  try {
    throw;
  } catch (const indee::Error& e) {
    Failure::Kind kind = Failure::Kind::Plain;
    if (e.code() == ErrorCode::InvalidArgument) kind = Failure::Kind::Type;
    if (e.code() == ErrorCode::OutOfRange) kind = Failure::Kind::Range;
    return {kind, error_code_name(e.code()), e.what()};
  } catch (const std::bad_alloc&) {
    return {Failure::Kind::Plain, error_code_name(ErrorCode::OutOfMemory), "out of memory"};
  } catch (const std::exception& e) {
    return {Failure::Kind::Plain, error_code_name(ErrorCode::Internal), e.what()};
  } catch (...) {
    return {Failure::Kind::Plain, error_code_name(ErrorCode::Internal), "unknown native exception"};
  }
}

Napi::Error to_js_error(Napi::Env env, const Failure& failure) {
  Napi::Error error = failure.kind == Failure::Kind::Type    ? Napi::TypeError::New(env, failure.message)
                      : failure.kind == Failure::Kind::Range ? Napi::RangeError::New(env, failure.message)
                                                             : Napi::Error::New(env, failure.message);
  error.Set("code", Napi::String::New(env, failure.code));
  return error;
}

}  // namespace indee::binding
