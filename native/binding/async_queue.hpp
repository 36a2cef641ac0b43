// What every wrapped native object (ModelWrap, MlpWrap) shares: each JS method is built once as an
// Operation, its arguments read and copied on the main thread, and then either run at once (the
// sync method) or queued on the libuv pool (the ...Async method, returning a Promise).
//
// Async operations on one object run one at a time in call order, so that a core which is not
// thread-safe is never entered twice and results match the order of the calls. A sync call made
// while any is pending fails with ERR_INDEE_BUSY instead of racing them. dispose() frees the
// native object at once, or once the operations already queued have run; every call after it
// fails with ERR_INDEE_DISPOSED.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace indee::binding {

// compute may run on a worker thread, so it touches only the native object and inputs copied
// beforehand. to_js of an async operation must not touch the native object at all: dispose() may
// have freed it between compute and to_js, when the queue drained.
struct Operation {
  std::function<void()> compute;
  std::function<Napi::Value(Napi::Env)> to_js;
};

class AsyncOperation;

// The FIFO and the disposal state of one object, apart from its native type so that the worker
// and the error texts exist once.
class OperationQueue {
 public:
  // noun names the object in error messages ("model", "network"). release frees the native object
  // once it is disposed and no operation is pending; a second dispose() calls it again.
  OperationQueue(const char* noun, std::function<void()> release)
      : noun_(noun), release_(std::move(release)) {}
  OperationQueue(const OperationQueue&) = delete;
  OperationQueue& operator=(const OperationQueue&) = delete;

  Napi::Value run_sync(Napi::Env env, const std::function<Operation()>& make);
  // self is the JS object, kept alive until the operation settles.
  Napi::Promise run_async(Napi::Env env, Napi::Object self, const std::function<Operation()>& make);
  void dispose();
  std::size_t pending() const { return queued_.size() + (running_ != nullptr ? 1 : 0); }
  void throw_if_disposed(Napi::Env env) const;

 private:
  friend class AsyncOperation;
  void finished_async();

  std::string noun_;
  std::function<void()> release_;
  bool disposed_ = false;
  AsyncOperation* running_ = nullptr;
  std::deque<AsyncOperation*> queued_;
};

// The JS-facing half: Derived defines its operations as `Operation f(const Napi::CallbackInfo&)`
// and exposes each with sync_method<&Derived::f>("f") and async_method<&Derived::f>("fAsync").
template <class Derived, class Native>
class QueuedObjectWrap : public Napi::ObjectWrap<Derived> {
 protected:
  using Factory = Operation (Derived::*)(const Napi::CallbackInfo&);
  using Descriptor = Napi::ClassPropertyDescriptor<Derived>;

  QueuedObjectWrap(const Napi::CallbackInfo& info, const char* noun)
      : Napi::ObjectWrap<Derived>(info), queue_(noun, [this] { release(); }) {}
  ~QueuedObjectWrap() override { release(); }

  // Takes the native object and tells V8 how much memory it holds: a JS wrapper of a few bytes
  // would otherwise never look worth collecting, and models dropped without dispose() would pile up.
  void adopt(std::unique_ptr<Native> native, std::size_t bytes) {
    native_ = std::move(native);
    external_bytes_ = static_cast<std::int64_t>(bytes);
    Napi::MemoryManagement::AdjustExternalMemory(this->Env(), external_bytes_);
  }

  // The method pointers are passed at run time: as template arguments they would have to be
  // Derived's own members, which these inherited ones are not.
  template <Factory make>
  static Descriptor sync_method(const char* name) {
    return Napi::ObjectWrap<Derived>::InstanceMethod(name, &QueuedObjectWrap::run_sync<make>);
  }
  template <Factory make>
  static Descriptor async_method(const char* name) {
    return Napi::ObjectWrap<Derived>::InstanceMethod(name, &QueuedObjectWrap::run_async<make>);
  }
  static Descriptor dispose_method() {
    return Napi::ObjectWrap<Derived>::InstanceMethod("dispose", &QueuedObjectWrap::dispose);
  }
  static Descriptor pending_method() {
    return Napi::ObjectWrap<Derived>::InstanceMethod("pending", &QueuedObjectWrap::pending);
  }

  // For the factories: throws ERR_INDEE_DISPOSED once disposed.
  Native& native() {
    queue_.throw_if_disposed(this->Env());
    return *native_;
  }

  std::unique_ptr<Native> native_;  // set by Derived's constructor

 private:
  template <Factory make>
  Napi::Value run_sync(const Napi::CallbackInfo& info) {
    return queue_.run_sync(info.Env(), [&] { return (static_cast<Derived*>(this)->*make)(info); });
  }
  template <Factory make>
  Napi::Value run_async(const Napi::CallbackInfo& info) {
    return queue_.run_async(info.Env(), info.This().As<Napi::Object>(),
                            [&] { return (static_cast<Derived*>(this)->*make)(info); });
  }
  Napi::Value dispose(const Napi::CallbackInfo& info) {
    queue_.dispose();
    return info.Env().Undefined();
  }
  Napi::Value pending(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(queue_.pending())); }

  void release() {
    native_.reset();
    if (external_bytes_ == 0) return;
    Napi::MemoryManagement::AdjustExternalMemory(this->Env(), -external_bytes_);
    external_bytes_ = 0;
  }

  std::int64_t external_bytes_ = 0;
  OperationQueue queue_;
};

}  // namespace indee::binding
