// The JS class wrapping one indee::Stack. Every operation is built once as an Operation (its
// arguments read and copied on the main thread) and then either run at once (the sync method)
// or queued on the libuv pool (the ...Async method, returning a Promise). Async operations on one
// model run one at a time in call order; sync calls made while any are pending fail with
// ERR_INDEE_BUSY instead of racing them.
#pragma once

#include <napi.h>

#include <deque>
#include <functional>
#include <memory>

#include "core/stack.hpp"

namespace indee::binding {

struct Operation {
  std::function<void()> compute;                // any thread: touches only the core and copied inputs
  std::function<Napi::Value(Napi::Env)> to_js;  // main thread: turns the result into JS values
};

class AsyncOperation;

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ModelWrap(const Napi::CallbackInfo& info);

 private:
  using Factory = Operation (ModelWrap::*)(const Napi::CallbackInfo&);
  template <Factory make>
  Napi::Value run_sync(const Napi::CallbackInfo& info);
  template <Factory make>
  Napi::Value run_async(const Napi::CallbackInfo& info);

  Operation collect(const Napi::CallbackInfo& info);
  Operation learn(const Napi::CallbackInfo& info);
  Operation objectives(const Napi::CallbackInfo& info);
  Operation objective_gradient(const Napi::CallbackInfo& info);
  Operation encode(const Napi::CallbackInfo& info);
  Operation decode(const Napi::CallbackInfo& info);
  Operation infer(const Napi::CallbackInfo& info);
  Operation completion_gradient(const Napi::CallbackInfo& info);
  Operation layer_state(const Napi::CallbackInfo& info);
  Operation snapshot(const Napi::CallbackInfo& info);
  Operation restore_layer(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value pending(const Napi::CallbackInfo& info);

  indee::Stack& stack();  // throws ERR_INDEE_DISPOSED once disposed
  void start_or_queue(AsyncOperation* operation);
  void finished_async();
  friend class AsyncOperation;

  std::unique_ptr<indee::Stack> stack_;
  bool disposed_ = false;
  AsyncOperation* running_ = nullptr;
  std::deque<AsyncOperation*> queued_;
};

}  // namespace indee::binding
