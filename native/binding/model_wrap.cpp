#include "model_wrap.hpp"

#include <cstring>
#include <optional>

#include "arguments.hpp"
#include "core/error.hpp"
#include "errors.hpp"

namespace indee::binding {
namespace {

template <class Array, class T>
Array typed_array(Napi::Env env, const std::vector<T>& values) {
  Array array = Array::New(env, values.size());
  if (!values.empty()) std::memcpy(array.Data(), values.data(), values.size() * sizeof(T));
  return array;
}
Napi::Float32Array f32(Napi::Env env, const std::vector<float>& v) { return typed_array<Napi::Float32Array>(env, v); }
Napi::Float64Array f64(Napi::Env env, const std::vector<double>& v) { return typed_array<Napi::Float64Array>(env, v); }
Napi::Int32Array i32(Napi::Env env, const std::vector<std::int32_t>& v) { return typed_array<Napi::Int32Array>(env, v); }

// y may be omitted (null/undefined): unknown labels are zeros in the joint vector.
bool has_value(const Napi::Value& v) { return !v.IsUndefined() && !v.IsNull(); }

constexpr std::size_t kMaxSteps = 100000000;

}  // namespace

// ---- construction -------------------------------------------------------------------------------

Napi::Function ModelWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {
                         sync_method<&ModelWrap::collect>("collect"),
                         async_method<&ModelWrap::collect>("collectAsync"),
                         sync_method<&ModelWrap::learn>("learn"),
                         async_method<&ModelWrap::learn>("learnAsync"),
                         sync_method<&ModelWrap::encode>("encode"),
                         async_method<&ModelWrap::encode>("encodeAsync"),
                         sync_method<&ModelWrap::decode>("decode"),
                         async_method<&ModelWrap::decode>("decodeAsync"),
                         sync_method<&ModelWrap::infer>("infer"),
                         async_method<&ModelWrap::infer>("inferAsync"),
                         sync_method<&ModelWrap::objectives>("objectives"),
                         async_method<&ModelWrap::objectives>("objectivesAsync"),
                         sync_method<&ModelWrap::objective_gradient>("objectiveGradient"),
                         async_method<&ModelWrap::objective_gradient>("objectiveGradientAsync"),
                         sync_method<&ModelWrap::completion_gradient>("completionGradient"),
                         async_method<&ModelWrap::completion_gradient>("completionGradientAsync"),
                         sync_method<&ModelWrap::layer_state>("layerState"),
                         sync_method<&ModelWrap::device_name>("deviceName"),
                         sync_method<&ModelWrap::snapshot>("snapshot"),
                         async_method<&ModelWrap::snapshot>("snapshotAsync"),
                         sync_method<&ModelWrap::restore_layer>("restoreLayer"),
                         sync_method<&ModelWrap::restore_class_moments>("restoreClassMoments"),
                         dispose_method(),
                         pending_method(),
                     });
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : QueuedObjectWrap(info, "model") {
  with_js_errors(info.Env(), [&] {
    auto stack = std::make_unique<indee::Stack>(read_config(info[0]));
    const std::size_t bytes = stack->state_bytes();
    adopt(std::move(stack), bytes);
  });
}

// ---- the operations -----------------------------------------------------------------------------

Operation ModelWrap::collect(const Napi::CallbackInfo& info) {
  indee::Stack& s = native();
  const StackConfig& c = s.config();
  auto x = std::make_shared<Batch>(read_batch(info[0], "x", c.input_size));
  auto y = std::make_shared<PageVector<float>>();
  if (has_value(info[1])) *y = read_batch_rows(info[1], "y", c.label_size, x->rows);
  const float alpha = static_cast<float>(read_number(info[2], "alpha"));
  const BatchSemantics semantics =
      read_choice(info[3], "batch", {"sequential", "sum"}) == 0 ? BatchSemantics::Sequential : BatchSemantics::Sum;
  return {[&s, x, y, alpha, semantics] { s.collect(x->values.data(), y->empty() ? nullptr : y->data(), x->rows, alpha, semantics); },
          [](Napi::Env env) { return env.Undefined(); }};
}

Operation ModelWrap::learn(const Napi::CallbackInfo& info) {
  indee::Stack& s = native();
  const std::size_t steps = read_count(info[0], "steps", 0, kMaxSteps);
  auto values = std::make_shared<std::vector<double>>();
  return {[&s, steps, values] { *values = s.learn(steps); },
          [values](Napi::Env env) -> Napi::Value { return f64(env, *values); }};
}

Operation ModelWrap::objectives(const Napi::CallbackInfo&) {
  indee::Stack& s = native();
  auto values = std::make_shared<std::vector<double>>();
  return {[&s, values] { *values = s.objectives(); },
          [values](Napi::Env env) -> Napi::Value { return f64(env, *values); }};
}

Operation ModelWrap::objective_gradient(const Napi::CallbackInfo& info) {
  indee::Stack& s = native();
  const std::size_t l = read_count(info[0], "layer", 0, s.depth() - 1);
  auto result = std::make_shared<LayerObjective>();
  return {[&s, l, result] { *result = s.objective_gradient(l); },
          [result](Napi::Env env) -> Napi::Value {
            Napi::Object out = Napi::Object::New(env);
            out.Set("value", result->value);
            out.Set("gradient", f32(env, result->gradient));
            return out;
          }};
}

Operation ModelWrap::device_name(const Napi::CallbackInfo&) {
  indee::Stack& s = native();
  return {[] {}, [&s](Napi::Env env) -> Napi::Value { return Napi::String::New(env, s.device_name()); }};
}

Operation ModelWrap::encode(const Napi::CallbackInfo& info) {
  indee::Stack& s = native();
  auto x = std::make_shared<Batch>(read_batch(info[0], "x", s.config().input_size));
  auto y = std::make_shared<PageVector<float>>();
  if (has_value(info[1])) *y = read_batch_rows(info[1], "y", s.config().label_size, x->rows);
  auto codes = std::make_shared<std::vector<float>>();
  return {[&s, x, y, codes] { *codes = s.encode(x->values.data(), y->empty() ? nullptr : y->data(), x->rows); },
          [codes](Napi::Env env) -> Napi::Value { return f32(env, *codes); }};
}

Operation ModelWrap::decode(const Napi::CallbackInfo& info) {
  indee::Stack& s = native();
  auto h = std::make_shared<Batch>(read_batch(info[0], "codes", s.code_size()));
  auto decoded = std::make_shared<Decoded>();
  return {[&s, h, decoded] { *decoded = s.decode(h->values.data(), h->rows); },
          [decoded](Napi::Env env) -> Napi::Value {
            Napi::Object out = Napi::Object::New(env);
            out.Set("x", f32(env, decoded->x));
            out.Set("y", f32(env, decoded->y));
            out.Set("residue", f64(env, decoded->residue));
            return out;
          }};
}

Operation ModelWrap::infer(const Napi::CallbackInfo& info) {
  indee::Stack& s = native();
  auto x = std::make_shared<Batch>(read_batch(info[0], "x", s.config().input_size));
  const std::size_t steps = read_count(info[1], "steps", 0, kMaxSteps);
  auto result = std::make_shared<Inference>();
  return {[&s, x, steps, result] { *result = s.infer(x->values.data(), x->rows, steps); },
          [result](Napi::Env env) -> Napi::Value {
            Napi::Object out = Napi::Object::New(env);
            out.Set("labels", i32(env, result->labels));
            out.Set("scores", f32(env, result->scores));
            out.Set("reconstruction", f32(env, result->reconstruction));
            out.Set("codes", f32(env, result->codes));
            out.Set("loss", f64(env, result->loss));
            return out;
          }};
}

Operation ModelWrap::completion_gradient(const Napi::CallbackInfo& info) {
  indee::Stack& s = native();
  auto x = std::make_shared<Batch>(read_batch(info[0], "x", s.config().input_size));
  auto h = std::make_shared<PageVector<float>>(read_batch_rows(info[1], "codes", s.code_size(), x->rows));
  auto result = std::make_shared<CompletionGradient>();
  return {[&s, x, h, result] { *result = s.completion_gradient(x->values.data(), h->data(), x->rows); },
          [result](Napi::Env env) -> Napi::Value {
            Napi::Object out = Napi::Object::New(env);
            out.Set("loss", f64(env, result->loss));
            out.Set("gradient", f32(env, result->gradient));
            return out;
          }};
}

namespace {

// The sizes are passed, not read from the layer: to_js of an async operation may run after the
// model was disposed and its stack freed.
Napi::Object layer_state_to_js(Napi::Env env, std::size_t n, std::size_t k, const LayerState& state) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("inputSize", double(n));
  out.Set("codeSize", double(k));
  out.Set("W", f32(env, state.W));
  out.Set("b", f32(env, state.b));
  out.Set("B", f32(env, state.B));
  out.Set("C", f32(env, state.C));
  out.Set("N", state.N);
  out.Set("decaySinceFlush", state.decay_since_flush);
  Napi::Object adam = Napi::Object::New(env);
  adam.Set("m", f32(env, state.adam_m));
  adam.Set("v", f32(env, state.adam_v));
  adam.Set("t", double(state.adam_t));
  out.Set("adam", adam);
  return out;
}

Napi::Value class_moments_to_js(Napi::Env env, const ClassMomentsState& state) {
  Napi::Object out = Napi::Object::New(env);
  Napi::Array mean = Napi::Array::New(env, state.mean.size()), covariance = Napi::Array::New(env, state.mean.size());
  for (std::size_t c = 0; c < state.mean.size(); ++c) {
    const bool seen = !state.mean[c].empty();
    mean.Set(uint32_t(c), seen ? Napi::Value(f32(env, state.mean[c])) : env.Null());
    covariance.Set(uint32_t(c), seen ? Napi::Value(f32(env, state.covariance[c])) : env.Null());
  }
  out.Set("weight", f64(env, state.weight));
  out.Set("mean", mean);
  out.Set("covariance", covariance);
  return out;
}

}  // namespace

Operation ModelWrap::layer_state(const Napi::CallbackInfo& info) {
  indee::Stack& s = native();
  const std::size_t l = read_count(info[0], "layer", 0, s.depth() - 1);
  auto state = std::make_shared<LayerState>();
  const std::size_t n = s.layer(l).input_size(), k = s.layer(l).code_size();
  return {[&s, l, state] { *state = s.layer(l).state(); },
          [n, k, state](Napi::Env env) -> Napi::Value { return layer_state_to_js(env, n, k, *state); }};
}

// {layers: [layer states], classes: class moments or null}, taken in one operation.
Operation ModelWrap::snapshot(const Napi::CallbackInfo&) {
  indee::Stack& s = native();
  auto states = std::make_shared<std::vector<LayerState>>();
  auto classes = std::make_shared<std::optional<ClassMomentsState>>();
  return {[&s, states, classes] {
            for (std::size_t l = 0; l < s.depth(); ++l) states->push_back(s.layer(l).state());
            if (s.class_moments() != nullptr) *classes = s.class_moments()->state();
          },
          [config = s.config(), states, classes](Napi::Env env) -> Napi::Value {
            Napi::Array layers = Napi::Array::New(env, states->size());
            std::size_t n = config.input_size + config.label_size;
            for (std::size_t l = 0; l < states->size(); ++l) {
              layers.Set(uint32_t(l), layer_state_to_js(env, n, config.layers[l], (*states)[l]));
              n = config.layers[l];
            }
            Napi::Object out = Napi::Object::New(env);
            out.Set("layers", layers);
            out.Set("classes", classes->has_value() ? class_moments_to_js(env, **classes) : env.Null());
            return out;
          }};
}

// The inverse of layer_state: {W, b, B, C, N, decaySinceFlush, adam: {m, v, t}}, sizes checked
// against the layer and values by Layer::restore.
Operation ModelWrap::restore_layer(const Napi::CallbackInfo& info) {
  indee::Stack& s = native();
  const std::size_t l = read_count(info[0], "layer", 0, s.depth() - 1);
  if (!info[1].IsObject()) throw Error(ErrorCode::InvalidArgument, "state must be an object");
  const Napi::Object in = info[1].As<Napi::Object>();
  if (!in.Get("adam").IsObject()) throw Error(ErrorCode::InvalidArgument, "state.adam must be an object");
  const Napi::Object adam = in.Get("adam").As<Napi::Object>();
  const std::size_t d = s.layer(l).mirrored_size(), k = s.layer(l).code_size();
  auto state = std::make_shared<LayerState>();
  state->W = read_rows(in.Get("W"), "state.W", k, d);
  state->b = read_rows(in.Get("b"), "state.b", d, 1);
  state->B = read_rows(in.Get("B"), "state.B", d, 1);
  state->C = read_rows(in.Get("C"), "state.C", d, d);
  state->N = read_number(in.Get("N"), "state.N");
  state->decay_since_flush = read_number(in.Get("decaySinceFlush"), "state.decaySinceFlush");
  state->adam_m = read_rows(adam.Get("m"), "state.adam.m", k, d);
  state->adam_v = read_rows(adam.Get("v"), "state.adam.v", k, d);
  state->adam_t = read_count(adam.Get("t"), "state.adam.t", 0, kMaxSafeInteger);
  return {[&s, l, state] { s.restore_layer(l, std::move(*state)); },
          [](Napi::Env env) { return env.Undefined(); }};
}

// The inverse of the snapshot's `classes`: {weight: Float64Array, mean: [Float32Array | null],
// covariance: [Float32Array | null]}, one entry per class; values checked by ClassMoments::restore.
Operation ModelWrap::restore_class_moments(const Napi::CallbackInfo& info) {
  indee::Stack& s = native();
  if (s.class_moments() == nullptr)
    throw Error(ErrorCode::InvalidArgument, "class moments belong to a model with upperStatistics 'replay'");
  if (!info[0].IsObject()) throw Error(ErrorCode::InvalidArgument, "classes must be an object");
  const Napi::Object in = info[0].As<Napi::Object>();
  const std::size_t classes = s.class_moments()->classes(), d = s.class_moments()->dim();
  auto state = std::make_shared<ClassMomentsState>();
  state->weight = read_f64_array(in.Get("weight"), "classes.weight", classes);
  for (const char* field : {"mean", "covariance"})
    if (!in.Get(field).IsArray() || in.Get(field).As<Napi::Array>().Length() != classes)
      throw Error(ErrorCode::InvalidArgument, std::string("classes.") + field + " must be an array of " + std::to_string(classes) + " entries");
  const Napi::Array mean = in.Get("mean").As<Napi::Array>(), covariance = in.Get("covariance").As<Napi::Array>();
  for (std::uint32_t c = 0; c < classes; ++c) {
    const std::string at = "[" + std::to_string(c) + "]";
    state->mean.push_back(has_value(mean.Get(c)) ? read_rows(mean.Get(c), "classes.mean" + at, d, 1) : std::vector<float>{});
    state->covariance.push_back(has_value(covariance.Get(c)) ? read_rows(covariance.Get(c), "classes.covariance" + at, d, d)
                                                             : std::vector<float>{});
  }
  return {[&s, state] { s.restore_class_moments(std::move(*state)); }, [](Napi::Env env) { return env.Undefined(); }};
}

}  // namespace indee::binding
