// The JS class NativeMlp wrapping one indee::Mlp (core/baselines/mlp.hpp), the backpropagation
// baseline of the continual-learning evaluation. Its methods run like ModelWrap's, through
// QueuedObjectWrap (async_queue.hpp): sync or queued as ...Async, ERR_INDEE_BUSY while async work
// is pending, ERR_INDEE_DISPOSED after dispose(), the network freed once the queue has drained.
//
//   new NativeMlp({ sizes: number[], seed: number, rate: number })
//   trainBatch(x: Float32Array, labels: Int32Array): { loss: number, predicted: Int32Array }
//   logits(x: Float32Array): Float32Array                    (rows × outputs)
//   consolidate(x: Float32Array, labels: Int32Array, lambda: number): undefined
//   (each with an ...Async twin), dispose(), pending(): number
#pragma once

#include <napi.h>

#include "async_queue.hpp"
#include "core/baselines/mlp.hpp"

namespace indee::binding {

class MlpWrap : public QueuedObjectWrap<MlpWrap, indee::Mlp> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit MlpWrap(const Napi::CallbackInfo& info);

 private:
  Operation train_batch(const Napi::CallbackInfo& info);
  Operation logits(const Napi::CallbackInfo& info);
  Operation consolidate(const Napi::CallbackInfo& info);
};

}  // namespace indee::binding
