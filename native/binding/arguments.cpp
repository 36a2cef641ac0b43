#include "arguments.hpp"

#include <cmath>
#include <sstream>

#include "core/error.hpp"

namespace indee::binding {
namespace {


std::string show(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

[[noreturn]] void type_error(const std::string& message) { throw Error(ErrorCode::InvalidArgument, message); }
[[noreturn]] void range_error(const std::string& message) { throw Error(ErrorCode::OutOfRange, message); }

Napi::TypedArrayOf<float> as_float32(const Napi::Value& value, const std::string& name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    type_error(name + " must be a Float32Array");
  return value.As<Napi::TypedArrayOf<float>>();
}

template <class Vector>
Vector copy_finite(const Napi::TypedArrayOf<float>& array, const std::string& name) {
  Vector values(array.Data(), array.Data() + array.ElementLength());
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      range_error(name + "[" + std::to_string(i) + "] must be a finite number, got " + show(values[i]));
  return values;
}

}  // namespace

Batch read_batch(const Napi::Value& value, const std::string& name, std::size_t width) {
  const Napi::TypedArrayOf<float> array = as_float32(value, name);
  const std::size_t length = array.ElementLength();
  if (length == 0 || length % width != 0)
    range_error(name + " must hold a positive whole number of rows of " + std::to_string(width) +
                " values, got length " + std::to_string(length));
  return {copy_finite<PageVector<float>>(array, name), length / width};
}

namespace {

template <class Vector>
Vector read_exact_rows(const Napi::Value& value, const std::string& name, std::size_t width, std::size_t rows) {
  const Napi::TypedArrayOf<float> array = as_float32(value, name);
  if (array.ElementLength() != rows * width)
    range_error(name + " must have length " + std::to_string(rows * width) + " (" + std::to_string(rows) +
                " rows of " + std::to_string(width) + "), got " + std::to_string(array.ElementLength()));
  return copy_finite<Vector>(array, name);
}

}  // namespace

std::vector<float> read_rows(const Napi::Value& value, const std::string& name, std::size_t width,
                             std::size_t rows) {
  return read_exact_rows<std::vector<float>>(value, name, width, rows);
}

PageVector<float> read_batch_rows(const Napi::Value& value, const std::string& name, std::size_t width,
                                  std::size_t rows) {
  return read_exact_rows<PageVector<float>>(value, name, width, rows);
}

std::vector<double> read_f64_array(const Napi::Value& value, const std::string& name, std::size_t length) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    type_error(name + " must be a Float64Array");
  const Napi::TypedArrayOf<double> array = value.As<Napi::TypedArrayOf<double>>();
  if (array.ElementLength() != length)
    range_error(name + " must have length " + std::to_string(length) + ", got " + std::to_string(array.ElementLength()));
  std::vector<double> out(array.Data(), array.Data() + length);
  for (std::size_t i = 0; i < length; ++i)
    if (!std::isfinite(out[i])) range_error(name + "[" + std::to_string(i) + "] must be finite");
  return out;
}

std::size_t read_count(const Napi::Value& value, const std::string& name, std::size_t min, std::size_t max) {
  if (!value.IsNumber()) type_error(name + " must be a number");
  const double x = value.As<Napi::Number>().DoubleValue();
  if (!(x == std::floor(x)) || x < double(min) || x > double(max))
    range_error(name + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + show(x));
  return static_cast<std::size_t>(x);
}

double read_number(const Napi::Value& value, const std::string& name) {
  if (!value.IsNumber()) type_error(name + " must be a number");
  const double x = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(x)) range_error(name + " must be finite");
  return x;
}

std::size_t read_choice(const Napi::Value& value, const std::string& name, const std::vector<std::string>& choices) {
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "'" : ", '") + c + "'";
  if (!value.IsString()) type_error(name + " must be one of " + list);
  const std::string s = value.As<Napi::String>().Utf8Value();
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (s == choices[i]) return i;
  range_error(name + " must be one of " + list + ", got '" + s + "'");
}

StackConfig read_config(const Napi::Value& value) {
  if (!value.IsObject()) type_error("options must be an object");
  const Napi::Object o = value.As<Napi::Object>();
  StackConfig c;
  c.input_size = read_count(o.Get("inputSize"), "inputSize", 1, kMaxSize);
  c.label_size = read_count(o.Get("labelSize"), "labelSize", 0, kMaxSize);
  const Napi::Value layers = o.Get("layers");
  if (!layers.IsArray()) type_error("layers must be an array of code sizes");
  const Napi::Array array = layers.As<Napi::Array>();
  for (std::uint32_t i = 0; i < array.Length(); ++i)
    c.layers.push_back(read_count(array.Get(i), "layers[" + std::to_string(i) + "]", 1, kMaxSize));
  c.rate = static_cast<float>(read_number(o.Get("rate"), "rate"));
  c.statistics = read_choice(o.Get("statistics"), "statistics", {"ema", "cumulative"}) == 0
                     ? StatisticsMode::MovingAverage
                     : StatisticsMode::Cumulative;
  c.solver = static_cast<Solver>(read_choice(o.Get("solver"), "solver", {"adam", "subspace", "eig"}));
  c.seed = read_count(o.Get("seed"), "seed", 0, kMaxSafeInteger);
  c.init_scale = static_cast<float>(read_number(o.Get("initScale"), "initScale"));
  c.upper_statistics =
      static_cast<UpperStatistics>(read_choice(o.Get("upperStatistics"), "upperStatistics", {"collected", "replay", "moments"}));
  c.replay_samples = read_count(o.Get("replaySamples"), "replaySamples", 1, kMaxSize);
  c.device = static_cast<Device>(read_choice(o.Get("device"), "device", {"cpu", "cuda"}));
  validate_config(c);
  return c;
}

}  // namespace indee::binding
