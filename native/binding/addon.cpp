// Module entry: exports the NativeModel class. The addon keeps no global state: every model is
// owned by its JS object, so the module loads independently in each worker thread.
#include <napi.h>

#include "arguments.hpp"
#include "backend/cpu/blas.hpp"
#include "errors.hpp"
#include "blas_timing.hpp"
#include "model_wrap.hpp"
#include "mlp_wrap.hpp"

namespace {

// setThreads(count): the BLAS thread pool is process-wide (OpenBLAS's), not per model.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return indee::binding::with_js_errors(info.Env(), [&] {
    indee::blas::set_threads(indee::binding::read_count(info[0], "threads", 1, 1024));
    return info.Env().Undefined();
  });
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(indee::blas::threads())); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Function model = indee::binding::ModelWrap::Define(env);
  exports.Set("NativeModel", model);
  exports.Set("NativeMlp", indee::binding::MlpWrap::Define(env));  // the continual-learning baselines
  indee::binding::register_blas_timing(env, exports);  // timeBlas, blasInfo: for scripts/bench
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("threads", Napi::Function::New(env, Threads, "threads"));
  return exports;
}

}  // namespace

NODE_API_MODULE(indeependence, Init)
