// The one place where failures become JS errors. Every error carries a `code`: Node's own
// ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for bad arguments (TypeError / RangeError), and
// ERR_INDEE_* for the library's own conditions.
#pragma once

#include <napi.h>

#include <string>

namespace indee::binding {

// A failure captured where no JS is allowed (a worker thread), to be raised later.
struct Failure {
  enum class Kind { Type, Range, Plain };
  Kind kind = Kind::Plain;
  std::string code = "ERR_INDEE_INTERNAL";
  std::string message = "native failure (its description could not be recorded)";
};

// Call inside `catch (...)`: describes the exception in flight (indee::Error, std::bad_alloc,
// any std::exception or anything else). May itself throw std::bad_alloc while copying the message.
Failure capture_current_exception();

Napi::Error to_js_error(Napi::Env env, const Failure& failure);

// Runs `body`; any exception leaves as the corresponding JS error (a thrown Napi::Error).
template <class Body>
auto with_js_errors(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw to_js_error(env, capture_current_exception());
  }
}

}  // namespace indee::binding
