// Module entry: exports the NativeModel class. The addon keeps no global state: every model is
// owned by its JS object, so the module loads independently in each worker thread.
#include <napi.h>

#include "model_wrap.hpp"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Function model = indee::binding::ModelWrap::Define(env);
  exports.Set("NativeModel", model);
  return exports;
}

}  // namespace

NODE_API_MODULE(indeependence, Init)
