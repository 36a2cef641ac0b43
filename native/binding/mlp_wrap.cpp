#include "mlp_wrap.hpp"

#include <cstring>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "core/error.hpp"
#include "errors.hpp"

namespace indee::binding {
namespace {

constexpr std::size_t kMaxSize = std::size_t(1) << 20;
constexpr std::size_t kMaxSafeInteger = 9007199254740991;  // 2⁵³ - 1

Failure state_failure(const char* code, const std::string& message) { return {Failure::Kind::Plain, code, message}; }

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

// ---- the async machinery (ModelWrap's, for this class) ------------------------------------------

class MlpOperation : public Napi::AsyncWorker {
 public:
  MlpOperation(Napi::Env env, MlpWrap* owner, Napi::Object self, Operation operation)
      : Napi::AsyncWorker(env, "indeependence"),
        deferred_(Napi::Promise::Deferred::New(env)),
        owner_(owner),
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
    owner_->finished_async();  // the next queued operation may start while this one settles
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

 private:
  Napi::Promise::Deferred deferred_;
  MlpWrap* owner_;
  Napi::ObjectReference self_;  // keeps the network alive while the operation is pending
  Operation operation_;
  Failure failure_;
  bool failed_ = false;
};

void MlpWrap::start_or_queue(MlpOperation* operation) {
  if (running_ == nullptr) {
    running_ = operation;
    operation->Queue();
  } else {
    queued_.push_back(operation);
  }
}

void MlpWrap::finished_async() {
  running_ = nullptr;
  if (!queued_.empty()) {
    MlpOperation* next = queued_.front();
    queued_.pop_front();
    running_ = next;
    next->Queue();
  } else if (disposed_) {
    mlp_.reset();
  }
}

template <MlpWrap::Factory make>
Napi::Value MlpWrap::run_sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (running_ != nullptr)
    throw to_js_error(env, state_failure("ERR_INDEE_BUSY",
                                         "an async operation on this network is still pending: await it before "
                                         "calling a synchronous method"));
  return with_js_errors(env, [&] {
    Operation operation = (this->*make)(info);
    operation.compute();
    return operation.to_js(env);
  });
}

template <MlpWrap::Factory make>
Napi::Value MlpWrap::run_async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    Operation operation = with_js_errors(env, [&] { return (this->*make)(info); });
    auto* worker = new MlpOperation(env, this, info.This().As<Napi::Object>(), std::move(operation));
    start_or_queue(worker);
    return worker->promise();
  } catch (const Napi::Error& e) {
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  }
}

// ---- construction and lifetime ------------------------------------------------------------------

Napi::Function MlpWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeMlp",
                     {
                         InstanceMethod<&MlpWrap::run_sync<&MlpWrap::train_batch>>("trainBatch"),
                         InstanceMethod<&MlpWrap::run_async<&MlpWrap::train_batch>>("trainBatchAsync"),
                         InstanceMethod<&MlpWrap::run_sync<&MlpWrap::logits>>("logits"),
                         InstanceMethod<&MlpWrap::run_async<&MlpWrap::logits>>("logitsAsync"),
                         InstanceMethod<&MlpWrap::run_sync<&MlpWrap::consolidate>>("consolidate"),
                         InstanceMethod<&MlpWrap::run_async<&MlpWrap::consolidate>>("consolidateAsync"),
                         InstanceMethod<&MlpWrap::dispose>("dispose"),
                         InstanceMethod<&MlpWrap::pending>("pending"),
                     });
}

// {sizes: number[], seed: number, rate: number}
MlpWrap::MlpWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MlpWrap>(info) {
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
    mlp_ = std::make_unique<indee::Mlp>(std::move(n), seed, rate);  // checks the sizes' count and the rate
  });
}

indee::Mlp& MlpWrap::mlp() {
  if (disposed_) throw to_js_error(Env(), state_failure("ERR_INDEE_DISPOSED", "this network has been disposed"));
  return *mlp_;
}

Napi::Value MlpWrap::dispose(const Napi::CallbackInfo& info) {
  disposed_ = true;
  if (running_ == nullptr) mlp_.reset();  // otherwise freed when the queue drains
  return info.Env().Undefined();
}

Napi::Value MlpWrap::pending(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(queued_.size() + (running_ != nullptr ? 1 : 0)));
}

// ---- the operations -----------------------------------------------------------------------------

Operation MlpWrap::train_batch(const Napi::CallbackInfo& info) {
  indee::Mlp& net = mlp();
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
  indee::Mlp& net = mlp();
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
  indee::Mlp& net = mlp();
  auto x = std::make_shared<Batch>(read_batch(info[0], "x", net.inputs()));
  auto labels = std::make_shared<std::vector<std::int32_t>>(read_labels(info[1], "labels", x->rows, net.outputs()));
  const double lambda = read_number(info[2], "lambda");
  if (lambda < 0.0 || lambda > 3.4e38)
    throw Error(ErrorCode::OutOfRange, "lambda must be a number in [0, 3.4e38], got " + std::to_string(lambda));
  return {[&net, x, labels, lambda] { net.consolidate(x->values.data(), labels->data(), x->rows, float(lambda)); },
          [](Napi::Env env) { return env.Undefined(); }};
}

}  // namespace indee::binding
