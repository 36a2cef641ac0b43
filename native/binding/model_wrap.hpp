// The JS class NativeModel wrapping one indee::Stack; how its methods run (sync, or queued as
// ...Async), ERR_INDEE_BUSY, dispose() and pending() are QueuedObjectWrap's (async_queue.hpp).
#pragma once

#include <napi.h>

#include "async_queue.hpp"
#include "core/stack.hpp"

namespace indee::binding {

class ModelWrap : public QueuedObjectWrap<ModelWrap, indee::Stack> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ModelWrap(const Napi::CallbackInfo& info);

 private:
  Operation collect(const Napi::CallbackInfo& info);
  Operation learn(const Napi::CallbackInfo& info);
  Operation objectives(const Napi::CallbackInfo& info);
  Operation objective_gradient(const Napi::CallbackInfo& info);
  Operation encode(const Napi::CallbackInfo& info);
  Operation decode(const Napi::CallbackInfo& info);
  Operation infer(const Napi::CallbackInfo& info);
  Operation completion_gradient(const Napi::CallbackInfo& info);
  Operation layer_state(const Napi::CallbackInfo& info);
  Operation device_name(const Napi::CallbackInfo& info);
  Operation snapshot(const Napi::CallbackInfo& info);
  Operation restore_layer(const Napi::CallbackInfo& info);
  Operation restore_class_moments(const Napi::CallbackInfo& info);
};

}  // namespace indee::binding
