#include "blas_timing.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "backend/cpu/blas.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "errors.hpp"

// The few OpenBLAS entry points the core's wrapper (backend/cpu/blas.hpp) does not expose. Declared
// here rather than through cblas.h, whose folder only the core's target is given; the CBLAS enums
// are plain ints in the ABI (CblasRowMajor 101, CblasNoTrans 111, CblasTrans 112).
extern "C" {
void cblas_sgemv(int order, int trans, int m, int n, float alpha, const float* a, int lda, const float* x, int incx,
                 float beta, float* y, int incy);
char* openblas_get_config(void);
int openblas_get_num_threads(void);
char* openblas_get_corename(void);
}

namespace indee::binding {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxDimension = 1 << 15;
constexpr std::size_t kMaxElements = std::size_t(1) << 27;  // 512 MiB of operands over all products
constexpr std::size_t kMaxRepeats = 1000000;

enum class Kind { Gemm, Symm, Syrk, Syr, Gemv };
const std::vector<std::string> kOps{"gemm", "symm", "syrk", "syr", "gemv"};
const std::vector<std::vector<std::string>> kKeys{
    {"op", "m", "n", "k", "transA", "transB", "beta"},
    {"op", "m", "n", "beta"},
    {"op", "n", "k", "beta"},
    {"op", "n"},
    {"op", "m", "n", "trans", "beta"},
};

struct Product {
  Kind kind = Kind::Gemm;
  std::size_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  float beta = 0.0f;
  std::vector<float> a, b, c;
  double flops = 0.0;
  double seconds = 0.0;
};

[[noreturn]] void type_error(const std::string& message) { throw Error(ErrorCode::InvalidArgument, message); }
[[noreturn]] void range_error(const std::string& message) { throw Error(ErrorCode::OutOfRange, message); }

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

bool read_flag(const Napi::Object& o, const char* key, const std::string& name) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return false;
  if (!v.IsBoolean()) type_error(name + "." + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::vector<float> filled(std::size_t size, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<float> v(size);
  for (float& x : v) x = 2.0f * rng.uniform() - 1.0f;
  return v;
}

Product read_product(const Napi::Value& value, std::size_t index, std::size_t& elements) {
  const std::string name = "products[" + std::to_string(index) + "]";
  if (!value.IsObject() || value.IsArray())
    type_error(name + " must be an object like {op: 'gemm', m, n, k}");
  const Napi::Object o = value.As<Napi::Object>();
  Product p;
  const std::size_t op = read_choice(o.Get("op"), name + ".op", kOps);
  p.kind = static_cast<Kind>(op);
  const Napi::Array keys = o.GetPropertyNames();
  for (std::uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).ToString().Utf8Value();
    bool known = false;
    for (const std::string& allowed : kKeys[op]) known = known || key == allowed;
    if (!known) range_error(name + "." + key + " is not a field of op '" + kOps[op] + "' (its fields: " + list(kKeys[op]) + ")");
  }
  auto dim = [&](const char* key) { return read_count(o.Get(key), name + "." + key, 1, kMaxDimension); };
  if (!o.Get("beta").IsUndefined()) p.beta = static_cast<float>(read_number(o.Get("beta"), name + ".beta"));

  std::size_t size_a = 0, size_b = 0, size_c = 0;
  switch (p.kind) {
    case Kind::Gemm:
      p.m = dim("m"), p.n = dim("n"), p.k = dim("k");
      p.trans_a = read_flag(o, "transA", name), p.trans_b = read_flag(o, "transB", name);
      size_a = p.m * p.k, size_b = p.k * p.n, size_c = p.m * p.n;
      p.flops = 2.0 * p.m * p.n * p.k;
      break;
    case Kind::Symm:
      p.m = dim("m"), p.n = dim("n");
      size_a = p.m * p.m, size_b = p.m * p.n, size_c = p.m * p.n;
      p.flops = 2.0 * p.m * p.m * p.n;
      break;
    case Kind::Syrk:
      p.n = dim("n"), p.k = dim("k");
      size_a = p.k * p.n, size_c = p.n * p.n;
      p.flops = double(p.k) * p.n * (p.n + 1);
      break;
    case Kind::Syr:
      p.n = dim("n");
      size_a = p.n, size_c = p.n * p.n;
      p.flops = double(p.n) * (p.n + 1);
      break;
    case Kind::Gemv:
      p.m = dim("m"), p.n = dim("n");
      p.trans_a = read_flag(o, "trans", name);
      size_a = p.m * p.n, size_b = p.trans_a ? p.m : p.n, size_c = p.trans_a ? p.n : p.m;
      p.flops = 2.0 * p.m * p.n;
      break;
  }
  elements += size_a + size_b + size_c;
  if (elements > kMaxElements)
    range_error("products must hold at most " + std::to_string(kMaxElements) + " operand values in all; " + name +
                " brings them to " + std::to_string(elements));
  p.a = filled(size_a, 2 * index + 1);
  p.b = filled(size_b, 2 * index + 2);
  p.c = filled(size_c, 2 * index + 3);
  return p;
}

void run(Product& p) {
  using blas::Op;
  switch (p.kind) {
    case Kind::Gemm:
      blas::gemm(p.trans_a ? Op::Transpose : Op::None, p.trans_b ? Op::Transpose : Op::None, p.m, p.n, p.k, 1.0f,
                 p.a.data(), p.b.data(), p.beta, p.c.data());
      break;
    case Kind::Symm:
      blas::symm(p.m, p.n, p.a.data(), p.b.data(), p.beta, p.c.data());
      break;
    case Kind::Syrk:
      blas::syrk(p.n, p.k, 1.0f, p.a.data(), p.beta, p.c.data());
      break;
    case Kind::Syr:
      blas::syr(p.n, 1.0f, p.a.data(), p.c.data());
      break;
    case Kind::Gemv: {
      const blas::LibraryCall call;
      cblas_sgemv(101, p.trans_a ? 112 : 111, int(p.m), int(p.n), 1.0f, p.a.data(), int(p.n), p.b.data(), 1, p.beta,
                  p.c.data(), 1);
      break;
    }
  }
}

Napi::Value TimeBlas(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return with_js_errors(env, [&]() -> Napi::Value {
    if (!info[0].IsArray()) type_error("products must be an array of products like {op: 'gemm', m, n, k}");
    const Napi::Array array = info[0].As<Napi::Array>();
    if (array.Length() == 0) range_error("products must name at least one product");
    const std::size_t repeats = read_count(info[1], "repeats", 1, kMaxRepeats);
    std::vector<Product> products;
    std::size_t elements = 0;
    for (std::uint32_t i = 0; i < array.Length(); ++i) products.push_back(read_product(array.Get(i), i, elements));

    for (Product& p : products) run(p);  // warm-up: first-touch pages, OpenBLAS's threads and buffers
    std::vector<double> totals(repeats, 0.0);
    for (std::size_t r = 0; r < repeats; ++r)
      for (Product& p : products) {
        const auto start = Clock::now();
        run(p);
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        p.seconds += seconds;
        totals[r] += seconds;
      }

    Napi::Object result = Napi::Object::New(env);
    Napi::Float64Array seconds = Napi::Float64Array::New(env, repeats);
    for (std::size_t r = 0; r < repeats; ++r) seconds[r] = totals[r];
    Napi::Array details = Napi::Array::New(env, products.size());
    double flops = 0.0;
    for (std::size_t i = 0; i < products.size(); ++i) {
      Napi::Object d = Napi::Object::New(env);
      d.Set("op", kOps[static_cast<std::size_t>(products[i].kind)]);
      d.Set("flops", products[i].flops);
      d.Set("seconds", products[i].seconds / double(repeats));
      details.Set(std::uint32_t(i), d);
      flops += products[i].flops;
    }
    result.Set("seconds", seconds);
    result.Set("flops", flops);
    result.Set("products", details);
    return result;
  });
}

Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  const char* config = openblas_get_config();
  const char* corename = openblas_get_corename();
  result.Set("config", config != nullptr ? config : "");
  result.Set("threads", openblas_get_num_threads());
  result.Set("corename", corename != nullptr ? corename : "");
  return result;
}

}  // namespace

void register_blas_timing(Napi::Env env, Napi::Object exports) {
  exports.Set("timeBlas", Napi::Function::New(env, TimeBlas, "timeBlas"));
  exports.Set("blasInfo", Napi::Function::New(env, BlasInfo, "blasInfo"));
}

}  // namespace indee::binding
