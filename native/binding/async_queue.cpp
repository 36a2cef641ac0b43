#include "async_queue.hpp"

#include "errors.hpp"

namespace indee::binding {

class AsyncOperation : public Napi::AsyncWorker {
 public:
  AsyncOperation(Napi::Env env, OperationQueue* queue, Napi::Object self, Operation operation)
      : Napi::AsyncWorker(env, "indeependence"),
        deferred_(Napi::Promise::Deferred::New(env)),
        queue_(queue),
        self_(Napi::Persistent(self)),
        operation_(std::move(operation)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      operation_.compute();
    } catch (...) {
      failed_ = true;
      try {
        failure_ = capture_current_exception();
      } catch (...) {  // out of memory while describing the failure: keep the default description
      }
    }
  }

  void OnOK() override {
    queue_->finished_async();  // the next queued operation may start while this one settles
    try {
      settle();
    } catch (...) {
      // Even rejecting failed: the environment can no longer run JavaScript. That is the case when
      // a worker thread is terminated with operations pending: Node still completes them while it
      // tears the worker down, and no one can observe the promise any more. Nothing may escape
      // from here: node-addon-api would rethrow it out of its C callback (std::terminate), which
      // aborted the whole process, not only the worker.
    }
  }

 private:
  void settle() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (failed_) return deferred_.Reject(to_js_error(env, failure_).Value());
    try {
      deferred_.Resolve(operation_.to_js(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(to_js_error(env, capture_current_exception()).Value());
    }
  }

  Napi::Promise::Deferred deferred_;
  OperationQueue* queue_;       // lives in the wrapper that self_ keeps alive
  Napi::ObjectReference self_;  // keeps the wrapper, and so the queue, alive while pending
  Operation operation_;
  Failure failure_;
  bool failed_ = false;
};

namespace {
Failure state_failure(const char* code, const std::string& message) { return {Failure::Kind::Plain, code, message}; }
}  // namespace

Napi::Value OperationQueue::run_sync(Napi::Env env, const std::function<Operation()>& make) {
  if (running_ != nullptr)
    throw to_js_error(env, state_failure("ERR_INDEE_BUSY", "an async operation on this " + noun_ +
                                                               " is still pending: await it before calling a "
                                                               "synchronous method"));
  return with_js_errors(env, [&] {
    Operation operation = make();
    operation.compute();
    return operation.to_js(env);
  });
}

// Argument and state errors reject the promise rather than throw, so that callers of an async
// method handle every failure in one place.
Napi::Promise OperationQueue::run_async(Napi::Env env, Napi::Object self, const std::function<Operation()>& make) {
  try {
    Operation operation = with_js_errors(env, make);
    auto* worker = new AsyncOperation(env, this, self, std::move(operation));
    if (running_ == nullptr) {
      running_ = worker;
      worker->Queue();
    } else {
      queued_.push_back(worker);
    }
    return worker->promise();
  } catch (const Napi::Error& e) {
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  }
}

void OperationQueue::finished_async() {
  running_ = nullptr;
  if (!queued_.empty()) {
    running_ = queued_.front();
    queued_.pop_front();
    running_->Queue();
  } else if (disposed_) {
    release_();
  }
}

void OperationQueue::dispose() {
  disposed_ = true;
  if (running_ == nullptr) release_();  // otherwise when the queue drains
}

void OperationQueue::throw_if_disposed(Napi::Env env) const {
  if (disposed_) throw to_js_error(env, state_failure("ERR_INDEE_DISPOSED", "this " + noun_ + " has been disposed"));
}

}  // namespace indee::binding
