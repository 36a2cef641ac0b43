// The JS class NativeMlp wrapping one indee::Mlp (core/baselines/mlp.hpp), the backpropagation
// baseline of the continual-learning evaluation. Built like ModelWrap (model_wrap.hpp) and sharing
// its Operation: every method's arguments are read and copied on the main thread into an
// Operation, which then runs at once (the sync method) or on the libuv pool (the ...Async method,
// returning a Promise). Async operations on one network run one at a time in call order; a sync
// call while any is pending fails with ERR_INDEE_BUSY; after dispose() every call fails with
// ERR_INDEE_DISPOSED, and the network is freed once the operations already queued have run.
//
//   new NativeMlp({ sizes: number[], seed: number, rate: number })
//   trainBatch(x: Float32Array, labels: Int32Array): { loss: number, predicted: Int32Array }
//   logits(x: Float32Array): Float32Array                    (rows × outputs)
//   consolidate(x: Float32Array, labels: Int32Array, lambda: number): undefined
//   (each with an ...Async twin), dispose(), pending(): number
#pragma once

#include <napi.h>

#include <deque>
#include <memory>

#include "core/baselines/mlp.hpp"
#include "model_wrap.hpp"  // Operation

namespace indee::binding {

class MlpOperation;

class MlpWrap : public Napi::ObjectWrap<MlpWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit MlpWrap(const Napi::CallbackInfo& info);

 private:
  using Factory = Operation (MlpWrap::*)(const Napi::CallbackInfo&);
  template <Factory make>
  Napi::Value run_sync(const Napi::CallbackInfo& info);
  template <Factory make>
  Napi::Value run_async(const Napi::CallbackInfo& info);

  Operation train_batch(const Napi::CallbackInfo& info);
  Operation logits(const Napi::CallbackInfo& info);
  Operation consolidate(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value pending(const Napi::CallbackInfo& info);

  indee::Mlp& mlp();  // throws ERR_INDEE_DISPOSED once disposed
  void start_or_queue(MlpOperation* operation);
  void finished_async();
  friend class MlpOperation;

  std::unique_ptr<indee::Mlp> mlp_;
  bool disposed_ = false;
  MlpOperation* running_ = nullptr;
  std::deque<MlpOperation*> queued_;
};

}  // namespace indee::binding
