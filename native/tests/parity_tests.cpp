// Parity of the CUDA backend with the CPU backend: every op of backend.hpp on the same seeded
// inputs on both, then whole models (Stack with device Cuda against Cpu). Where the CUDA backend
// cannot be had (no plugin, driver, GPU or cuBLAS), each test prints why and passes.
//
// Tolerances. ε = 2⁻²⁴ is float32's unit roundoff and γ_n = nε/(1-nε) bounds the relative error of
// n successive roundings (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1). When both
// backends are each within B of the exact result, they are within 2B of each other; every bound
// below is that 2B, per element, from the inputs' magnitudes:
//   - a product entry Σ_l a_il b_lj (k terms, any order of summation, split-K included), times alpha
//     and plus beta·c: |error| ≤ γ_{k+2}·(|alpha|·Σ|a_il||b_lj| + |beta·c_ij|);
//   - with INDEEPENDENCE_CUDA_TF32=1 the GPU first rounds a and b to 11 significant bits (unit
//     roundoff u = 2⁻¹¹), which adds (2u + u²)·|alpha|·Σ|a_il||b_lj| on its side;
//   - sums in double of exact float products (dot, trace, residues, losses): γ_n with ε = 2⁻⁵³;
//   - data movement and sign logic (mirror, gathers, copies): exact (bound 0);
//   - elementwise arithmetic: the kernels round each operation as written (--fmad=false), as the
//     CPU's C++ does, so they agree exactly unless one side fuses a multiply-add; the bounds allow
//     that, γ_2 per multiply-add.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "backend/registry.hpp"
#include "core/rng.hpp"
#include "core/stack.hpp"
#include "harness.hpp"

using namespace indee;

namespace {

constexpr double kEps = 0x1p-24;     // float32 unit roundoff
constexpr double kEpsDouble = 0x1p-53;
constexpr double kSkip = std::numeric_limits<double>::infinity();  // an element the op leaves unspecified

double gamma_n(double n, double eps = kEps) { return n * eps / (1.0 - n * eps); }

bool tf32() {
  const char* value = std::getenv("INDEEPENDENCE_CUDA_TF32");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

// The GPU's extra relative error per product term when it multiplies in TF32 (see the top).
double tf32_term() { return tf32() ? 2.0 * 0x1p-11 + 0x1p-22 : 0.0; }

// True after printing why the test is skipped, when the CUDA backend cannot be had.
bool skip_without_cuda() {
  const std::string reason = cuda_unavailable_reason();
  if (reason.empty()) return false;
  std::cout << "  skipped: CUDA backend unavailable: " << reason << "\n";
  return true;
}

// The CUDA backend, or null after printing why the test is skipped.
std::shared_ptr<Backend> cuda_or_skip() { return skip_without_cuda() ? nullptr : make_backend(Device::Cuda); }

std::vector<float> random(std::size_t n, std::uint64_t seed, float low = -1.0f, float high = 1.0f) {
  SplitMix64 rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = low + (high - low) * rng.uniform();
  return v;
}

std::vector<float> absolute(std::vector<float> v) {
  for (float& x : v) x = std::fabs(x);
  return v;
}

// A test's memory on one backend: inputs uploaded from host vectors, outputs read back, everything
// released at the end.
class Arena {
 public:
  explicit Arena(Backend& backend) : backend(backend) {}
  ~Arena() {
    for (void* memory : blocks_) backend.release(memory);
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  template <typename T>
  T* put(const std::vector<T>& host) {
    T* memory = static_cast<T*>(backend.allocate(host.size() * sizeof(T)));
    blocks_.push_back(memory);
    backend.upload(host.data(), host.size() * sizeof(T), memory);
    return memory;
  }
  template <typename T>
  std::vector<T> get(const T* memory, std::size_t count) {
    std::vector<T> host(count);
    backend.download(memory, count * sizeof(T), host.data());
    return host;
  }

  Backend& backend;

 private:
  std::vector<void*> blocks_;
};

// One check per array: |gpu_i - cpu_i| ≤ bound_i everywhere, else one failure naming the worst
// element and how many exceed their bound.
template <typename T>
void expect_close(const std::string& what, const std::vector<T>& cpu, const std::vector<T>& gpu,
                  const std::vector<double>& bound) {
  if (cpu.size() != gpu.size() || cpu.size() != bound.size()) {
    indee::testing::fail(__FILE__, __LINE__, what + ": sizes differ");
    return;
  }
  std::size_t violations = 0, worst = 0;
  double worst_excess = -1.0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    if (bound[i] == kSkip) continue;
    const double difference = std::fabs(double(gpu[i]) - double(cpu[i]));
    if (difference <= bound[i]) continue;  // false for NaN: a NaN is a violation
    ++violations;
    const double excess = std::isnan(difference) ? std::numeric_limits<double>::max() : difference - bound[i];
    if (excess > worst_excess) worst_excess = excess, worst = i;
  }
  if (violations == 0) return;
  indee::testing::fail(__FILE__, __LINE__,
                       what + ": " + std::to_string(violations) + " of " + std::to_string(cpu.size()) +
                           " elements differ beyond their bound; worst [" + std::to_string(worst) + "] cpu " +
                           std::to_string(double(cpu[worst])) + " cuda " + std::to_string(double(gpu[worst])) +
                           " bound " + std::to_string(bound[worst]));
}

template <typename T>
void expect_equal(const std::string& what, const std::vector<T>& cpu, const std::vector<T>& gpu) {
  expect_close(what, cpu, gpu, std::vector<double>(cpu.size(), 0.0));
}

// Bounds for the upper triangle of an n x n row-major matrix become kSkip (backend.hpp: symmetric
// matrices are written in their lower triangle only).
void skip_upper(std::size_t n, std::vector<double>& bound) {
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) bound[i * n + j] = kSkip;
}

// |alpha|·|op(a)|·|op(b)| on the CPU backend (in float: its own relative error, ≤ γ_k ≤ 1e-4 here, is
// covered by the factor 1.001 applied by the callers).
std::vector<float> magnitude_product(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                                     const std::vector<float>& a, const std::vector<float>& b) {
  Arena arena(cpu_backend());
  float* c = arena.put(std::vector<float>(m * n, 0.0f));
  arena.backend.gemm(op_a, op_b, m, n, k, std::fabs(alpha), arena.put(absolute(a)), arena.put(absolute(b)), 0.0f, c);
  return arena.get(c, m * n);
}

// The bound of a product (see the top): 2γ_{k+2}·(|alpha||a||b| + |beta c|) + TF32's term.
std::vector<double> product_bound(std::size_t k, const std::vector<float>& magnitude, float beta,
                                  const std::vector<float>& c) {
  std::vector<double> bound(magnitude.size());
  for (std::size_t i = 0; i < bound.size(); ++i) {
    const double ab = 1.001 * magnitude[i], bc = std::fabs(double(beta) * c[i]);
    bound[i] = 2.0 * gamma_n(double(k) + 2.0) * (ab + bc) + 1.001 * tf32_term() * ab;
  }
  return bound;
}

const char* op_name(Op op) { return op == Op::None ? "N" : "T"; }

}  // namespace

TEST(parity_memory) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  const std::vector<float> x = random(100003, 1);
  auto run = [&](Backend& backend) {
    Arena arena(backend);
    float* source = arena.put(x);
    float* target = arena.put(std::vector<float>(x.size(), 0.0f));
    backend.copy(source + 1, (x.size() - 2) * sizeof(float), target + 1);
    backend.zero(target + 10, 7 * sizeof(float));
    return arena.get(target, x.size());
  };
  expect_equal("upload, copy, zero, download", run(cpu_backend()), run(*gpu));
  CHECK(std::string(gpu->name()).rfind("cuda (", 0) == 0);
  CHECK(!gpu->host_memory());
}

// Every shape the core uses at the original's sizes (d = 2·794 = 1588 mirrored inputs, k = 400
// codes, batches of 1 and 256 rows), each transpose combination, and odd sizes.
TEST(parity_gemm) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  struct Shape {
    Op op_a, op_b;
    std::size_t m, n, k;
    float alpha, beta;
  };
  const Shape shapes[] = {
      {Op::None, Op::None, 1, 400, 1588, 1.0f, 0.0f},        // encode one row: h = z W
      {Op::None, Op::None, 256, 400, 1588, 1.0f, 0.0f},      // encode a batch
      {Op::None, Op::Transpose, 1, 1588, 400, 1.0f, 0.0f},   // decode: u = h Wᵀ
      {Op::None, Op::Transpose, 256, 1588, 400, 1.0f, 0.5f},
      {Op::Transpose, Op::None, 400, 400, 1588, 1.0f, 0.0f},  // T = Wᵀ P
      {Op::None, Op::None, 1588, 400, 400, 2.0f, 1.0f},       // gradient += 2 W T
      {Op::Transpose, Op::Transpose, 7, 13, 29, -1.25f, 0.75f},
      {Op::None, Op::Transpose, 1, 5, 3, 0.5f, -1.0f},
      {Op::Transpose, Op::None, 33, 1, 17, 1.0f, 0.25f},
      {Op::None, Op::None, 3, 3, 1, 1.0f, 1.0f},
  };
  std::uint64_t seed = 10;
  for (const Shape& s : shapes) {
    const std::vector<float> a = random(s.m * s.k, ++seed), b = random(s.k * s.n, ++seed), c = random(s.m * s.n, ++seed);
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float* out = arena.put(c);
      backend.gemm(s.op_a, s.op_b, s.m, s.n, s.k, s.alpha, arena.put(a), arena.put(b), s.beta, out);
      return arena.get(out, c.size());
    };
    const std::string what = std::string("gemm ") + op_name(s.op_a) + op_name(s.op_b) + " " + std::to_string(s.m) + "x" +
                             std::to_string(s.n) + "x" + std::to_string(s.k);
    expect_close(what, run(cpu_backend()), run(*gpu),
                 product_bound(s.k, magnitude_product(s.op_a, s.op_b, s.m, s.n, s.k, s.alpha, a, b), s.beta, c));
  }
}

// c = s b + beta c reads s's lower triangle only: the upper triangle is filled with garbage that
// must not matter. Bound: n-term products, |s| taken whole (symmetric).
TEST(parity_symm) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  struct Shape {
    std::size_t n, k;
    float beta;
  };
  std::uint64_t seed = 30;
  for (const Shape& shape : {Shape{1588, 400, 0.0f}, Shape{400, 250, 1.0f}, Shape{37, 5, 0.5f}, Shape{1, 3, -2.0f}}) {
    const std::size_t n = shape.n, k = shape.k;
    std::vector<float> s = random(n * n, ++seed), symmetric = s;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) s[i * n + j] = 1e30f, symmetric[i * n + j] = symmetric[j * n + i];
    const std::vector<float> b = random(n * k, ++seed), c = random(n * k, ++seed);
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float* out = arena.put(c);
      backend.symm(n, k, arena.put(s), arena.put(b), shape.beta, out);
      return arena.get(out, c.size());
    };
    expect_close("symm " + std::to_string(n) + "x" + std::to_string(k), run(cpu_backend()), run(*gpu),
                 product_bound(n, magnitude_product(Op::None, Op::None, n, k, n, 1.0f, symmetric, b), shape.beta, c));
  }
}

// s = alpha aᵀa + beta s on the lower triangle: m-term products. Shapes: collect's (one row, a
// batch, of the 1588 mirrored inputs), the objective's S = WᵀW (n = 400, m = 1588), odd ones.
TEST(parity_syrk) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  struct Shape {
    std::size_t n, m;
    float alpha, beta;
  };
  std::uint64_t seed = 50;
  for (const Shape& shape : {Shape{1588, 1, 1.0f, 0.99f}, Shape{1588, 256, 0.01f, 0.99f}, Shape{400, 1588, 1.0f, 0.0f},
                             Shape{13, 7, -0.5f, 1.0f}, Shape{1, 1, 2.0f, 0.5f}}) {
    const std::size_t n = shape.n, m = shape.m;
    const std::vector<float> a = random(m * n, ++seed), s = random(n * n, ++seed);
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float* out = arena.put(s);
      backend.syrk(n, m, shape.alpha, arena.put(a), shape.beta, out);
      return arena.get(out, s.size());
    };
    std::vector<double> bound =
        product_bound(m, magnitude_product(Op::Transpose, Op::None, n, n, m, shape.alpha, a, a), shape.beta, s);
    skip_upper(n, bound);
    expect_close("syrk n=" + std::to_string(n) + " m=" + std::to_string(m), run(cpu_backend()), run(*gpu), bound);
  }
}

// s += alpha x xᵀ on the lower triangle: per entry (alpha·x_i)·x_j + s_ij, three roundings, so
// 2γ_3(|alpha x_i x_j| + |s_ij|). A rank-1 update: no tensor cores, no TF32 term.
TEST(parity_syr) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  std::uint64_t seed = 70;
  for (std::size_t n : {std::size_t(1588), std::size_t(400), std::size_t(7)}) {
    const float alpha = 0.37f;
    const std::vector<float> x = random(n, ++seed), s = random(n * n, ++seed);
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float* out = arena.put(s);
      backend.syr(n, alpha, arena.put(x), out);
      return arena.get(out, s.size());
    };
    std::vector<double> bound(n * n);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j)
        bound[i * n + j] = 2.0 * gamma_n(3) * (std::fabs(double(alpha) * x[i] * x[j]) + std::fabs(s[i * n + j]));
    skip_upper(n, bound);
    expect_close("syr n=" + std::to_string(n), run(cpu_backend()), run(*gpu), bound);
  }
}

// Data movement (exact) and the double sums: trace, n terms, 2γ_n(ε = 2⁻⁵³)·Σ|s_ii|.
TEST(parity_symmetrize_diagonal_trace) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  std::uint64_t seed = 90;
  for (std::size_t n : {std::size_t(1588), std::size_t(7), std::size_t(1)}) {
    const std::vector<float> s = random(n * n, ++seed);
    struct Result {
      std::vector<float> symmetric, diagonal;
      double trace;
    };
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float* matrix = arena.put(s);
      float* diagonal = arena.put(std::vector<float>(n, 0.0f));
      backend.diagonal(n, matrix, diagonal);
      const double trace = backend.trace(n, matrix);
      backend.symmetrize(n, matrix);
      return Result{arena.get(matrix, n * n), arena.get(diagonal, n), trace};
    };
    const Result cpu = run(cpu_backend()), cuda = run(*gpu);
    const std::string size = " n=" + std::to_string(n);
    expect_equal("symmetrize" + size, cpu.symmetric, cuda.symmetric);
    expect_equal("diagonal" + size, cpu.diagonal, cuda.diagonal);
    double magnitude = 0.0;
    for (std::size_t i = 0; i < n; ++i) magnitude += std::fabs(s[i * n + i]);
    CHECK_NEAR(cuda.trace, cpu.trace, 2.0 * gamma_n(double(n), kEpsDouble) * magnitude);
  }
}

// Σ a_i b_i in double: each product exact, n additions: 2γ_n(ε = 2⁻⁵³)·Σ|a_i b_i|.
TEST(parity_dot) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  std::uint64_t seed = 110;
  for (std::size_t n : {std::size_t(1588 * 400), std::size_t(1), std::size_t(1000003)}) {
    const std::vector<float> a = random(n, ++seed), b = random(n, ++seed);
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      return backend.dot(n, arena.put(a), arena.put(b));
    };
    double magnitude = 0.0;
    for (std::size_t i = 0; i < n; ++i) magnitude += std::fabs(double(a[i]) * b[i]);
    CHECK_NEAR(run(*gpu), run(cpu_backend()), 2.0 * gamma_n(double(n), kEpsDouble) * magnitude);
  }
}

// s ← alpha·s + beta·I, twice: s1 = alpha·s + beta·δ (≤ 2 roundings: 2γ_2(|alpha s| + |beta|δ)),
// then 0.3·s1 + 0.7·δ, which scales the first difference by 0.3 and adds 2γ_2(|0.3 s1| + 0.7δ).
TEST(parity_scale_shift_diagonal) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  std::uint64_t seed = 130;
  for (std::size_t n : {std::size_t(400), std::size_t(5)}) {
    const float alpha = 2.0f, beta = -4.0f;  // the objective's S ← 2S - 4I
    const std::vector<float> s = random(n * n, ++seed);
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float* matrix = arena.put(s);
      backend.scale_shift_diagonal(n, alpha, beta, matrix);
      backend.scale_shift_diagonal(n, 0.3f, 0.7f, matrix);
      return arena.get(matrix, n * n);
    };
    std::vector<double> bound(n * n);
    for (std::size_t i = 0; i < n * n; ++i) {
      const double diagonal = i % (n + 1) == 0 ? 1.0 : 0.0;
      const double first = std::fabs(alpha * s[i]) + std::fabs(beta) * diagonal;
      const double s1 = double(alpha) * s[i] + beta * diagonal;
      bound[i] = 0.3 * 2.0 * gamma_n(2) * first + 2.0 * gamma_n(2) * (0.3 * std::fabs(s1) + 0.7 * diagonal);
    }
    expect_close("scale_shift_diagonal n=" + std::to_string(n), run(cpu_backend()), run(*gpu), bound);
  }
}

// add_to_rows: x + alpha·b, 2γ_2(|x| + |alpha b|); set_rows and gather_rows: exact; scatter_add_rows
// with repeated indices: the additions into one entry in the same order on both (exact), bounded
// anyway by 2γ_r(Σ|terms|) for r additions.
TEST(parity_rows) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  for (std::size_t m : {std::size_t(1), std::size_t(256), std::size_t(7)}) {
    const std::size_t d = m == 7 ? 37 : 1588, rows = 50;
    const std::vector<float> b = random(d, 150 + m), x = random(m * d, 160 + m), source = random(rows * d, 170 + m);
    std::vector<std::uint32_t> index(m);
    SplitMix64 pick(180 + m);
    for (auto& i : index) i = std::uint32_t(pick.next() % rows);  // repeats among 256 picks of 50
    struct Result {
      std::vector<float> added, set, gathered, scattered;
    };
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float* added = arena.put(x);
      float* set = arena.put(x);
      float* gathered = arena.put(std::vector<float>(m * d, 0.0f));
      float* scattered = arena.put(source);
      const float* bias = arena.put(b);
      const std::uint32_t* picked = arena.put(index);
      backend.add_to_rows(m, d, -0.75f, bias, added);
      backend.set_rows(m, d, bias, set);
      backend.gather_rows(m, d, picked, arena.put(source), gathered);
      backend.scatter_add_rows(m, d, picked, arena.put(x), scattered);
      return Result{arena.get(added, m * d), arena.get(set, m * d), arena.get(gathered, m * d),
                    arena.get(scattered, rows * d)};
    };
    const Result cpu = run(cpu_backend()), cuda = run(*gpu);
    const std::string size = " m=" + std::to_string(m);
    std::vector<double> add_bound(m * d), scatter_magnitude(rows * d), scatter_bound(rows * d);
    std::vector<std::size_t> repeats(rows, 0);
    for (std::size_t i = 0; i < m * d; ++i) add_bound[i] = 2.0 * gamma_n(2) * (std::fabs(x[i]) + 0.75 * std::fabs(b[i % d]));
    for (std::size_t i = 0; i < rows * d; ++i) scatter_magnitude[i] = std::fabs(source[i]);
    for (std::size_t r = 0; r < m; ++r) {
      ++repeats[index[r]];
      for (std::size_t c = 0; c < d; ++c) scatter_magnitude[index[r] * d + c] += std::fabs(x[r * d + c]);
    }
    for (std::size_t i = 0; i < rows * d; ++i) scatter_bound[i] = 2.0 * gamma_n(double(repeats[i / d])) * scatter_magnitude[i];
    expect_close("add_to_rows" + size, cpu.added, cuda.added, add_bound);
    expect_equal("set_rows" + size, cpu.set, cuda.set);
    expect_equal("gather_rows" + size, cpu.gathered, cuda.gathered);
    expect_close("scatter_add_rows" + size, cpu.scattered, cuda.scattered, scatter_bound);
  }
}

// A comparison, exact: values on both sides of the threshold 2⁻¹⁰⁰ (the statistics' flush),
// denormals and zeros among them.
TEST(parity_flush_small) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  std::vector<float> x = random(10007, 190);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::ldexp(x[i], -95 - int(i % 60));  // 2⁻⁹⁵ … 2⁻¹⁵⁴
  x[0] = 0x1p-100f, x[1] = -0x1p-100f, x[2] = 0.0f, x[3] = std::nextafter(0x1p-100f, 0.0f);
  auto run = [&](Backend& backend) {
    Arena arena(backend);
    float* values = arena.put(x);
    backend.flush_small(x.size(), 0x1p-100f, values);
    return arena.get(values, x.size());
  };
  expect_equal("flush_small", run(cpu_backend()), run(*gpu));
}

// C's active block: exact, lower triangle only.
TEST(parity_gather_block) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  for (std::size_t d : {std::size_t(1588), std::size_t(9)}) {
    const std::vector<float> s = random(d * d, 200 + d);
    std::vector<std::uint32_t> index;
    for (std::size_t i = 0; i < d; ++i)
      if (i % 3 != 1) index.push_back(std::uint32_t(i));  // ascending, two thirds of the coordinates
    const std::size_t a = index.size();
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float* block = arena.put(std::vector<float>(a * a, 0.0f));
      backend.gather_block(d, arena.put(s), a, arena.put(index), block);
      return arena.get(block, a * a);
    };
    std::vector<double> bound(a * a, 0.0);
    skip_upper(a, bound);
    expect_close("gather_block d=" + std::to_string(d), run(cpu_backend()), run(*gpu), bound);
  }
}

// Mirroring and the inverse's backward pass: sign logic and doubling, exact.
TEST(parity_mirror) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  for (std::size_t count : {std::size_t(256 * 794), std::size_t(1), std::size_t(37)}) {
    std::vector<float> v = random(count, 220 + count);
    v[0] = 0.0f;
    const std::vector<float> g = random(count, 230 + count), u = random(2 * count, 240 + count);
    struct Result {
      std::vector<float> mirrored, du;
    };
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float* mirrored = arena.put(std::vector<float>(2 * count, 0.0f));
      float* du = arena.put(std::vector<float>(2 * count, 0.0f));
      backend.mirror(count, arena.put(v), mirrored);
      backend.inverse_mirror_backward(count, arena.put(u), arena.put(g), du);
      return Result{arena.get(mirrored, 2 * count), arena.get(du, 2 * count)};
    };
    const Result cpu = run(cpu_backend()), cuda = run(*gpu);
    expect_equal("mirror count=" + std::to_string(count), cpu.mirrored, cuda.mirrored);
    expect_equal("inverse_mirror_backward count=" + std::to_string(count), cpu.du, cuda.du);
  }
}

// out is exact; residue[r] (added to its old value) sums n exact squares in double:
// 2γ_{n+1}(ε = 2⁻⁵³)·(|residue_r| + Σ squares). Also without residue.
TEST(parity_inverse_mirror) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  for (std::size_t rows : {std::size_t(1), std::size_t(256), std::size_t(3)}) {
    const std::size_t n = rows == 3 ? 11 : 794;
    const std::vector<float> u = random(rows * 2 * n, 260 + rows);
    const std::vector<double> residue(rows, 0.125);
    struct Result {
      std::vector<float> out, out_alone;
      std::vector<double> residue;
    };
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float* out = arena.put(std::vector<float>(rows * n, 0.0f));
      float* out_alone = arena.put(std::vector<float>(rows * n, 0.0f));
      double* sums = arena.put(residue);
      const float* pairs = arena.put(u);
      backend.inverse_mirror(rows, n, pairs, out, sums);
      backend.inverse_mirror(rows, n, pairs, out_alone, nullptr);
      return Result{arena.get(out, rows * n), arena.get(out_alone, rows * n), arena.get(sums, rows)};
    };
    const Result cpu = run(cpu_backend()), cuda = run(*gpu);
    std::vector<double> bound(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      double squares = residue[r];
      for (std::size_t i = 0; i < n; ++i) {
        const double p = u[(r * n + i) * 2], q = u[(r * n + i) * 2 + 1];
        squares += p > q ? q * q : p * p;
      }
      bound[r] = 2.0 * gamma_n(double(n) + 1.0, kEpsDouble) * squares;
    }
    const std::string size = " rows=" + std::to_string(rows);
    expect_equal("inverse_mirror out" + size, cpu.out, cuda.out);
    expect_equal("inverse_mirror out without residue" + size, cpu.out_alone, cuda.out_alone);
    expect_close("inverse_mirror residue" + size, cpu.residue, cuda.residue, bound);
  }
}

// One Adam step, twice (so the moments are not trivial). Per step, with u = step·m'/(√v' + ε_adam):
//   m' = β1 m + (1-β1) g: 3 roundings → |Δm'| ≤ 2γ_3(|β1 m| + |(1-β1) g|)
//   v' = β2 v + (1-β2) g²: 4 roundings → |Δv'| ≤ 2γ_4(|β2 v| + |(1-β2) g²|)
//   x' = x - u, u with 4 roundings of its own (product, sqrt, sum, quotient) and the moments'
//   differences: |Δx'| ≤ 2γ_1|x'| + 2γ_4|u| + step·|Δm'|/√v' + |u|·|Δv'|/(2v')
// The bound is computed by running the step on the host in double with these terms (the second step
// adds its terms to the first's differences, carried through m, v and x to first order).
TEST(parity_adam) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  const std::size_t count = 1588 * 400 + 3;
  const std::vector<float> g1 = random(count, 280), g2 = random(count, 281), m = random(count, 282, -0.1f, 0.1f),
                           v = random(count, 283, 0.0f, 0.01f), x = random(count, 284);
  AdamStep step{static_cast<float>(0.01 * std::sqrt(1.0 - std::pow(0.999, 3.0)) / (1.0 - std::pow(0.9, 3.0))), 0.9f,
                0.999f, 1e-8f};
  struct Result {
    std::vector<float> m, v, x;
  };
  auto run = [&](Backend& backend) {
    Arena arena(backend);
    float *moment = arena.put(m), *second = arena.put(v), *parameters = arena.put(x);
    backend.adam(step, count, arena.put(g1), moment, second, parameters);
    backend.adam(step, count, arena.put(g2), moment, second, parameters);
    return Result{arena.get(moment, count), arena.get(second, count), arena.get(parameters, count)};
  };
  const Result cpu = run(cpu_backend()), cuda = run(*gpu);
  std::vector<double> bound_m(count), bound_v(count), bound_x(count);
  const double b1 = step.beta1, b2 = step.beta2, rate = step.step, eps = step.epsilon;
  for (std::size_t i = 0; i < count; ++i) {
    double mi = m[i], vi = v[i], xi = x[i], dm = 0.0, dv = 0.0, dx = 0.0;
    for (double gi : {double(g1[i]), double(g2[i])}) {
      const double m_new = b1 * mi + (1.0 - b1) * gi, v_new = b2 * vi + (1.0 - b2) * gi * gi;
      dm = b1 * dm + 2.0 * gamma_n(3) * (std::fabs(b1 * mi) + std::fabs((1.0 - b1) * gi));
      dv = b2 * dv + 2.0 * gamma_n(4) * (std::fabs(b2 * vi) + (1.0 - b2) * gi * gi);
      const double root = std::sqrt(v_new), u = rate * m_new / (root + eps);
      xi -= u;
      dx += 2.0 * gamma_n(1) * std::fabs(xi) + 2.0 * gamma_n(4) * std::fabs(u) + rate * dm / (root + eps) +
            std::fabs(u) * dv / (2.0 * v_new);
      mi = m_new, vi = v_new;
    }
    bound_m[i] = dm, bound_v[i] = dv, bound_x[i] = dx;
  }
  expect_close("adam m", cpu.m, cuda.m, bound_m);
  expect_close("adam v", cpu.v, cuda.v, bound_v);
  expect_close("adam x", cpu.x, cuda.x, bound_x);
}

// g = 2(x̂ - x) exact; loss = Σ (x̂ - x)² (exact squares, in double) + residue:
// 2γ_{input+1}(ε = 2⁻⁵³)·(Σ squares + |residue|). Also without loss.
TEST(parity_completion_gradient) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  for (std::size_t rows : {std::size_t(1), std::size_t(256), std::size_t(3)}) {
    const std::size_t input = rows == 3 ? 5 : 784, joint = rows == 3 ? 8 : 794;
    const std::vector<float> reconstruction = random(rows * joint, 300 + rows), x = random(rows * input, 310 + rows, 0.0f, 1.0f);
    const std::vector<double> residue(rows, 3.5);
    struct Result {
      std::vector<float> g, g_alone;
      std::vector<double> loss;
    };
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float* g = arena.put(std::vector<float>(rows * joint, 1.0f));
      float* g_alone = arena.put(std::vector<float>(rows * joint, 1.0f));
      double* loss = arena.put(std::vector<double>(rows, -1.0));
      const float *rec = arena.put(reconstruction), *images = arena.put(x);
      backend.completion_gradient(rows, input, joint, rec, images, arena.put(residue), g, loss);
      backend.completion_gradient(rows, input, joint, rec, images, nullptr, g_alone, nullptr);
      return Result{arena.get(g, rows * joint), arena.get(g_alone, rows * joint), arena.get(loss, rows)};
    };
    const Result cpu = run(cpu_backend()), cuda = run(*gpu);
    std::vector<double> bound(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      double squares = residue[r];
      for (std::size_t i = 0; i < input; ++i) {
        const double difference = double(reconstruction[r * joint + i]) - x[r * input + i];
        squares += difference * difference;
      }
      bound[r] = 2.0 * gamma_n(double(input) + 1.0, kEpsDouble) * squares * (1.0 + 4.0 * kEps);
    }
    const std::string size = " rows=" + std::to_string(rows);
    expect_equal("completion_gradient g" + size, cpu.g, cuda.g);
    expect_equal("completion_gradient g without loss" + size, cpu.g_alone, cuda.g_alone);
    expect_close("completion_gradient loss" + size, cpu.loss, cuda.loss, bound);
  }
}

// Per coordinate, row by row: z_j = e_j - c_j, scaled_j = w_j z_j, B ← alpha e_j + (1-alpha) B. The
// same operations in the same order on both; should one side fuse the multiply-add of B, each row
// adds 2γ_2(|alpha e_j| + |(1-alpha) B|) to B's difference, which the next rows multiply by
// (1-alpha) and pass into z (+ its own 2γ_1|z|) and scaled (w·Δz + 2γ_1|w z|). Run on the host in
// double to get the bounds.
TEST(parity_moving_average_rows) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  for (std::size_t m : {std::size_t(1), std::size_t(256), std::size_t(7)}) {
    const std::size_t d = m == 7 ? 37 : 1588;
    const float alpha = 0.01f, keep = 1.0f - alpha;
    const std::vector<float> e = random(m * d, 320 + m, 0.0f, 1.0f), bias = random(d, 330 + m, 0.0f, 0.5f),
                             mean = random(d, 340 + m, 0.0f, 0.5f);
    std::vector<float> weight(m);  // as statistics.cpp: √(alpha (1-alpha)^(m-1-j))
    for (std::size_t j = 0; j < m; ++j) weight[j] = std::sqrt(float(alpha * std::pow(double(keep), double(m - 1 - j))));
    struct Result {
      std::vector<float> e, B, scaled;
    };
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float *rows = arena.put(e), *B = arena.put(mean), *scaled = arena.put(std::vector<float>(m * d, 0.0f));
      backend.moving_average_rows(m, d, arena.put(bias), alpha, arena.put(weight), rows, B, scaled);
      return Result{arena.get(rows, m * d), arena.get(B, d), arena.get(scaled, m * d)};
    };
    const Result cpu = run(cpu_backend()), cuda = run(*gpu);
    std::vector<double> bound_e(m * d), bound_B(d), bound_scaled(m * d);
    for (std::size_t i = 0; i < d; ++i) {
      double B = mean[i], dB = 0.0;
      for (std::size_t j = 0; j < m; ++j) {
        const double x = e[j * d + i], centre = j == 0 ? bias[i] : B, centre_error = j == 0 ? 0.0 : dB;
        const double z = x - centre;
        bound_e[j * d + i] = centre_error + 2.0 * gamma_n(1) * (std::fabs(z) + centre_error);
        bound_scaled[j * d + i] = weight[j] * bound_e[j * d + i] + 2.0 * gamma_n(1) * std::fabs(weight[j] * z);
        dB = keep * dB + 2.0 * gamma_n(2) * (alpha * std::fabs(x) + keep * std::fabs(B));
        B = alpha * x + keep * B;
      }
      bound_B[i] = dB;
    }
    const std::string size = " m=" + std::to_string(m);
    expect_close("moving_average_rows e" + size, cpu.e, cuda.e, bound_e);
    expect_close("moving_average_rows B" + size, cpu.B, cuda.B, bound_B);
    expect_close("moving_average_rows scaled" + size, cpu.scaled, cuda.scaled, bound_scaled);
  }
}

// The batch sum in double in row order on both (exact); e_j - bias exact; B = float(alpha·mean +
// (1-alpha)·B): the double multiply-add may be fused on one side, then rounded to float:
// 2γ_2(|alpha·mean| + |(1-alpha) B|).
TEST(parity_moving_average_sum) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  for (std::size_t m : {std::size_t(1), std::size_t(256), std::size_t(7)}) {
    const std::size_t d = m == 7 ? 37 : 1588;
    const float alpha = 0.01f;
    const std::vector<float> e = random(m * d, 350 + m, 0.0f, 1.0f), bias = random(d, 360 + m, 0.0f, 0.5f),
                             mean = random(d, 370 + m, 0.0f, 0.5f);
    struct Result {
      std::vector<float> e, B;
    };
    auto run = [&](Backend& backend) {
      Arena arena(backend);
      float *rows = arena.put(e), *B = arena.put(mean);
      backend.moving_average_sum(m, d, arena.put(bias), alpha, rows, B);
      return Result{arena.get(rows, m * d), arena.get(B, d)};
    };
    const Result cpu = run(cpu_backend()), cuda = run(*gpu);
    std::vector<double> bound_B(d);
    for (std::size_t i = 0; i < d; ++i) {
      double sum = 0.0;
      for (std::size_t j = 0; j < m; ++j) sum += e[j * d + i];
      bound_B[i] = 2.0 * gamma_n(2) * (alpha * std::fabs(sum / double(m)) + (1.0 - alpha) * std::fabs(mean[i]));
    }
    const std::string size = " m=" + std::to_string(m);
    expect_equal("moving_average_sum e" + size, cpu.e, cuda.e);
    expect_close("moving_average_sum B" + size, cpu.B, cuda.B, bound_B);
  }
}

// Everything in the same order in double, then rounded once: e, centred and delta exact; B =
// float(B + m/(count+m)·delta), whose double multiply-add may be fused: 2γ_2(|B| + |m/(count+m)·delta|).
// Both semantics, from an empty and from a filled count.
TEST(parity_cumulative_rows) {
  auto gpu = cuda_or_skip();
  if (!gpu) return;
  for (std::size_t m : {std::size_t(1), std::size_t(256), std::size_t(7)})
    for (double count : {0.0, 1000.0})
      for (bool sum_semantics : {false, true}) {
        const std::size_t d = m == 7 ? 37 : 1588;
        const std::vector<float> e = random(m * d, 380 + m, 0.0f, 1.0f), bias = random(d, 390 + m, 0.0f, 0.5f),
                                 mean = random(d, 400 + m, 0.0f, 0.5f);
        struct Result {
          std::vector<float> e, B, centred, delta;
        };
        auto run = [&](Backend& backend) {
          Arena arena(backend);
          float *rows = arena.put(e), *B = arena.put(mean);
          float *centred = arena.put(std::vector<float>(m * d, 0.0f)), *delta = arena.put(std::vector<float>(d, 0.0f));
          backend.cumulative_rows(m, d, arena.put(bias), count, sum_semantics, rows, B, centred, delta);
          return Result{arena.get(rows, m * d), arena.get(B, d), arena.get(centred, m * d), arena.get(delta, d)};
        };
        const Result cpu = run(cpu_backend()), cuda = run(*gpu);
        std::vector<double> bound_B(d);
        for (std::size_t i = 0; i < d; ++i)
          bound_B[i] = 2.0 * gamma_n(2) * (std::fabs(mean[i]) + double(m) / (count + double(m)) * std::fabs(cpu.delta[i]));
        const std::string what = " m=" + std::to_string(m) + " count=" + std::to_string(int(count)) +
                                 (sum_semantics ? " sum" : " sequential");
        expect_equal("cumulative_rows e" + what, cpu.e, cuda.e);
        expect_equal("cumulative_rows centred" + what, cpu.centred, cuda.centred);
        expect_equal("cumulative_rows delta" + what, cpu.delta, cuda.delta);
        expect_close("cumulative_rows B" + what, cpu.B, cuda.B, bound_B);
      }
}

// ---- Whole models ------------------------------------------------------------------------------------
// A Stack on each device, the same seed and rows: collect 64 rows, learn 5 Adam steps, infer 20
// steps. The op-level bounds above are rigorous; through a model they compound, so these checks are
// normwise, with tolerances estimated as follows (u = 2⁻²⁴, or 2⁻¹¹ under TF32):
//   - statistics after collect: products of ≤ K = 2·794 terms, whose rounding errors behave like a
//     random walk, ~√K·u relative to the terms' norm; the codes passed up are sums of terms of
//     random sign, whose norm exceeds the sum's by ~√K: ~K·u ≈ 1e-4 (fp32) relative, allowed 1e-3;
//     under TF32 the input rounding dominates (~u relative per code): allowed 2e-2;
//   - objectives f(W): smooth in C and W, so they inherit that relative size: same tolerances;
//   - W after 5 Adam steps: Adam's first steps move each weight by ≈ ±rate whatever the gradient's
//     size, so a weight whose gradient is within rounding of 0 may step the other way on the other
//     device (a difference up to 2·rate per step). Such weights are rare (their share ≈ the
//     gradient's relative error ~1e-4): at most 1% of weights may differ by more than 1% of rate
//     (TF32: 5% by 10%), and the rest agree within that;
//   - infer: the codes are optimised by Adam too, but the scores and reconstruction depend smoothly
//     on them: relative 1e-2 (TF32: 5e-2); the losses likewise; a label may differ only where the CPU's
//     scores for both labels are within that tolerance of each other.
namespace {

struct ModelRun {
  std::vector<LayerState> collected, learned;
  std::vector<double> learn_values, objectives;
  Inference inference;
};

ModelRun run_model(StackConfig config, Device device, const std::vector<float>& x, const std::vector<float>& y,
                   std::size_t rows) {
  config.device = device;
  Stack stack(config);
  ModelRun run;
  stack.collect(x.data(), y.data(), rows, 0.01f, BatchSemantics::Sequential);
  for (std::size_t l = 0; l < stack.depth(); ++l) run.collected.push_back(stack.layer(l).state());
  run.learn_values = stack.learn(5);
  run.objectives = stack.objectives();
  for (std::size_t l = 0; l < stack.depth(); ++l) run.learned.push_back(stack.layer(l).state());
  run.inference = stack.infer(x.data(), rows, 20);
  return run;
}

std::vector<float> lower_triangle(const std::vector<float>& s) {
  const std::size_t n = static_cast<std::size_t>(std::lround(std::sqrt(double(s.size()))));
  std::vector<float> lower;
  for (std::size_t i = 0; i < n; ++i) lower.insert(lower.end(), s.begin() + i * n, s.begin() + i * n + i + 1);
  return lower;
}

// ‖gpu - cpu‖₂ / ‖cpu‖₂ ≤ tolerance.
template <typename T>
void expect_relative(const std::string& what, const std::vector<T>& cpu, const std::vector<T>& gpu, double tolerance) {
  double difference = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < cpu.size() && i < gpu.size(); ++i) {
    difference += (double(gpu[i]) - cpu[i]) * (double(gpu[i]) - cpu[i]);
    norm += double(cpu[i]) * cpu[i];
  }
  const double relative = std::sqrt(difference) / std::max(std::sqrt(norm), 1e-30);
  if (cpu.size() != gpu.size() || !(relative <= tolerance))
    indee::testing::fail(__FILE__, __LINE__,
                         what + ": relative difference " + std::to_string(relative) + " > " + std::to_string(tolerance));
}

void compare_models(const StackConfig& config, std::size_t rows) {
  if (skip_without_cuda()) return;
  const std::size_t nx = config.input_size, ny = config.label_size;
  const std::vector<float> x = random(rows * nx, 500, 0.0f, 1.0f);
  std::vector<float> y(rows * ny, 0.0f);
  for (std::size_t r = 0; r < rows; ++r) y[r * ny + r % ny] = 1.0f;

  const ModelRun cpu = run_model(config, Device::Cpu, x, y, rows), cuda = run_model(config, Device::Cuda, x, y, rows);
  const bool reduced = tf32();
  const double statistics = reduced ? 2e-2 : 1e-3, outputs = reduced ? 5e-2 : 1e-2;
  const double weight_gap = (reduced ? 0.1 : 0.01) * config.rate, weight_share = reduced ? 0.05 : 0.01;

  for (std::size_t l = 0; l < cpu.collected.size(); ++l) {
    const std::string layer = "layer " + std::to_string(l);
    const LayerState &a = cpu.collected[l], &b = cuda.collected[l];
    expect_relative(layer + " B after collect", a.B, b.B, statistics);
    expect_relative(layer + " b after collect", a.b, b.b, statistics);
    expect_relative(layer + " C after collect", lower_triangle(a.C), lower_triangle(b.C), statistics);
    CHECK(a.N == b.N);
    expect_equal(layer + " W before learning (the seeded draw)", a.W, b.W);

    const std::vector<float>&wa = cpu.learned[l].W, &wb = cuda.learned[l].W;
    std::size_t apart = 0;
    for (std::size_t i = 0; i < wa.size(); ++i) apart += std::fabs(double(wa[i]) - wb[i]) > weight_gap ? 1 : 0;
    if (!(double(apart) <= weight_share * double(wa.size())))
      indee::testing::fail(__FILE__, __LINE__,
                           layer + " W after learn: " + std::to_string(apart) + " of " + std::to_string(wa.size()) +
                               " weights differ by more than " + std::to_string(weight_gap));
    CHECK(cpu.learned[l].adam_t == cuda.learned[l].adam_t);
  }
  expect_relative("learn's objectives", cpu.learn_values, cuda.learn_values, statistics);
  expect_relative("objectives after learn", cpu.objectives, cuda.objectives, statistics);

  const Inference &a = cpu.inference, &b = cuda.inference;
  expect_relative("infer scores", a.scores, b.scores, outputs);
  expect_relative("infer reconstruction", a.reconstruction, b.reconstruction, outputs);
  expect_relative("infer codes", a.codes, b.codes, outputs);
  expect_relative("infer loss", a.loss, b.loss, outputs);
  double score_norm = 0.0;
  for (float s : a.scores) score_norm = std::max(score_norm, double(std::fabs(s)));
  for (std::size_t r = 0; r < rows && b.labels.size() == rows; ++r) {
    const float* scores = a.scores.data() + r * ny;
    CHECK(scores[a.labels[r]] - scores[b.labels[r]] <= outputs * score_norm);
  }
}

}  // namespace

TEST(parity_stack_original_shape) {
  StackConfig config;
  config.input_size = 784;
  config.label_size = 10;
  config.layers = {400, 250, 150};
  compare_models(config, 64);
}

TEST(parity_stack_small_shape) {
  StackConfig config;
  config.input_size = 20;
  config.label_size = 3;
  config.layers = {12, 5};
  config.seed = 7;
  compare_models(config, 64);
}
