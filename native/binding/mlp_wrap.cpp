#include "mlp_wrap.hpp"

#include <cstring>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "core/error.hpp"
#include "errors.hpp"

namespace indee::binding {
namespace {


// Class labels: an Int32Array of exactly `rows` values in [0, classes), copied.
std::vector<std::int32_t> read_labels(const Napi::Value& value, const std::string& name, std::size_t rows,
                                      std::size_t classes) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Error(ErrorCode::InvalidArgument, name + " must be an Int32Array");
  const Napi::Int32Array array = value.As<Napi::Int32Array>();
  if (array.ElementLength() != rows)
    throw Error(ErrorCode::OutOfRange, name + " must have length " + std::to_string(rows) + " (one label per row), got " +
                                           std::to_string(array.ElementLength()));
  std::vector<std::int32_t> labels(array.Data(), array.Data() + rows);
  for (std::size_t r = 0; r < rows; ++r)
    if (labels[r] < 0 || std::size_t(labels[r]) >= classes)
      throw Error(ErrorCode::OutOfRange, name + "[" + std::to_string(r) + "] must be a class in [0, " +
                                             std::to_string(classes - 1) + "], got " + std::to_string(labels[r]));
  return labels;
}

}  // namespace

// ---- construction -------------------------------------------------------------------------------

Napi::Function MlpWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeMlp",
                     {
                         sync_method<&MlpWrap::train_batch>("trainBatch"),
                         async_method<&MlpWrap::train_batch>("trainBatchAsync"),
                         sync_method<&MlpWrap::logits>("logits"),
                         async_method<&MlpWrap::logits>("logitsAsync"),
                         sync_method<&MlpWrap::consolidate>("consolidate"),
                         async_method<&MlpWrap::consolidate>("consolidateAsync"),
                         dispose_method(),
                         pending_method(),
                     });
}

// {sizes: number[], seed: number, rate: number}
MlpWrap::MlpWrap(const Napi::CallbackInfo& info) : QueuedObjectWrap(info, "network") {
  with_js_errors(info.Env(), [&] {
    if (!info[0].IsObject()) throw Error(ErrorCode::InvalidArgument, "options must be an object");
    const Napi::Object o = info[0].As<Napi::Object>();
    const Napi::Value sizes = o.Get("sizes");
    if (!sizes.IsArray()) throw Error(ErrorCode::InvalidArgument, "sizes must be an array of layer sizes");
    const Napi::Array array = sizes.As<Napi::Array>();
    std::vector<std::size_t> n;
    for (std::uint32_t i = 0; i < array.Length(); ++i)
      n.push_back(read_count(array.Get(i), "sizes[" + std::to_string(i) + "]", 1, kMaxSize));
    const std::size_t seed = read_count(o.Get("seed"), "seed", 0, kMaxSafeInteger);
    const float rate = static_cast<float>(read_number(o.Get("rate"), "rate"));
    auto net = std::make_unique<indee::Mlp>(std::move(n), seed, rate);  // checks the sizes' count and the rate
    // θ with its gradient and Adam moments (EWC's anchor and Fisher come and go with tasks).
    const std::size_t bytes = 4 * sizeof(float) * net->parameter_count();
    adopt(std::move(net), bytes);
  });
}

// ---- the operations -----------------------------------------------------------------------------

Operation MlpWrap::train_batch(const Napi::CallbackInfo& info) {
  indee::Mlp& net = native();
  auto x = std::make_shared<Batch>(read_batch(info[0], "x", net.inputs()));
  auto labels = std::make_shared<std::vector<std::int32_t>>(read_labels(info[1], "labels", x->rows, net.outputs()));
  auto predicted = std::make_shared<std::vector<std::int32_t>>(x->rows);
  auto loss = std::make_shared<double>(0.0);
  return {[&net, x, labels, predicted, loss] {
            *loss = net.train_batch(x->values.data(), labels->data(), x->rows, predicted->data());
          },
          [predicted, loss](Napi::Env env) -> Napi::Value {
            Napi::Object out = Napi::Object::New(env);
            out.Set("loss", *loss);
            Napi::Int32Array p = Napi::Int32Array::New(env, predicted->size());
            std::memcpy(p.Data(), predicted->data(), predicted->size() * sizeof(std::int32_t));
            out.Set("predicted", p);
            return out;
          }};
}

Operation MlpWrap::logits(const Napi::CallbackInfo& info) {
  indee::Mlp& net = native();
  auto x = std::make_shared<Batch>(read_batch(info[0], "x", net.inputs()));
  auto out = std::make_shared<std::vector<float>>(x->rows * net.outputs());
  return {[&net, x, out] { net.logits(x->values.data(), x->rows, out->data()); },
          [out](Napi::Env env) -> Napi::Value {
            Napi::Float32Array array = Napi::Float32Array::New(env, out->size());
            std::memcpy(array.Data(), out->data(), out->size() * sizeof(float));
            return array;
          }};
}

Operation MlpWrap::consolidate(const Napi::CallbackInfo& info) {
  indee::Mlp& net = native();
  auto x = std::make_shared<Batch>(read_batch(info[0], "x", net.inputs()));
  auto labels = std::make_shared<std::vector<std::int32_t>>(read_labels(info[1], "labels", x->rows, net.outputs()));
  const double lambda = read_number(info[2], "lambda");
  if (lambda < 0.0 || lambda > 3.4e38)
    throw Error(ErrorCode::OutOfRange, "lambda must be a number in [0, 3.4e38], got " + std::to_string(lambda));
  return {[&net, x, labels, lambda] { net.consolidate(x->values.data(), labels->data(), x->rows, float(lambda)); },
          [](Napi::Env env) { return env.Undefined(); }};
}

}  // namespace indee::binding
