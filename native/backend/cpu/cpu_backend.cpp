// The CPU backend: host memory, OpenBLAS (blas.hpp) for the products, and the core's own loops
// (mirror.cpp, adam.cpp and the per-coordinate passes below) for the rest.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "../../core/adam.hpp"
#include "../../core/mirror.hpp"
#include "../../core/simd.hpp"
#include "../registry.hpp"
#include "blas.hpp"

namespace indee {
namespace {

class CpuBackend final : public Backend {
 public:
  const char* name() const override { return "cpu"; }
  bool host_memory() const override { return true; }

  void* allocate(std::size_t bytes) override {
    if (bytes == 0) return nullptr;
    void* memory = std::malloc(bytes);
    if (memory == nullptr) throw std::bad_alloc();
    return memory;
  }
  void release(void* memory) noexcept override { std::free(memory); }
  void upload(const void* host_source, std::size_t bytes, void* target) override { copy(host_source, bytes, target); }
  void download(const void* source, std::size_t bytes, void* host_target) override { copy(source, bytes, host_target); }
  void copy(const void* source, std::size_t bytes, void* target) override {
    if (bytes > 0 && source != target) std::memmove(target, source, bytes);
  }
  void zero(void* target, std::size_t bytes) override {
    if (bytes > 0) std::memset(target, 0, bytes);
  }

  void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a, const float* b,
            float beta, float* c) override {
    blas::gemm(op_a, op_b, m, n, k, alpha, a, b, beta, c);
  }
  void symm(std::size_t n, std::size_t k, const float* s, const float* b, float beta, float* c) override {
    blas::symm(n, k, s, b, beta, c);
  }
  void syrk(std::size_t n, std::size_t m, float alpha, const float* a, float beta, float* s) override {
    blas::syrk(n, m, alpha, a, beta, s);
  }
  void syr(std::size_t n, float alpha, const float* x, float* s) override { blas::syr(n, alpha, x, s); }
  void symmetrize(std::size_t n, float* s) override { blas::symmetrize_from_lower(n, s); }

  double trace(std::size_t n, const float* s) override {
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += s[i * n + i];
    return sum;
  }
  double dot(std::size_t count, const float* a, const float* b) override {
    double sum = 0.0;
    for (std::size_t i = 0; i < count; ++i) sum += double(a[i]) * b[i];
    return sum;
  }
  void diagonal(std::size_t n, const float* s, float* diagonal) override {
    for (std::size_t i = 0; i < n; ++i) diagonal[i] = s[i * n + i];
  }

  void scale_shift_diagonal(std::size_t n, float alpha, float beta, float* s) override {
    for (std::size_t i = 0; i < n * n; ++i) s[i] *= alpha;
    for (std::size_t i = 0; i < n; ++i) s[i * n + i] += beta;
  }
  void add_to_rows(std::size_t m, std::size_t d, float alpha, const float* b, float* x) override {
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t i = 0; i < d; ++i) x[j * d + i] += alpha * b[i];
  }
  void set_rows(std::size_t m, std::size_t d, const float* b, float* x) override {
    for (std::size_t j = 0; j < m; ++j) std::memcpy(x + j * d, b, d * sizeof(float));
  }
  void flush_small(std::size_t count, float threshold, float* x) override {
    for (std::size_t i = 0; i < count; ++i)
      if (std::fabs(x[i]) < threshold) x[i] = 0.0f;
  }
  void gather_rows(std::size_t count, std::size_t width, const std::uint32_t* index, const float* source,
                   float* target) override {
    for (std::size_t i = 0; i < count; ++i) std::memcpy(target + i * width, source + index[i] * width, width * sizeof(float));
  }
  void scatter_add_rows(std::size_t count, std::size_t width, const std::uint32_t* index, const float* source,
                        float* target) override {
    for (std::size_t i = 0; i < count; ++i) {
      float* row = target + index[i] * width;
      const float* add = source + i * width;
      for (std::size_t j = 0; j < width; ++j) row[j] += add[j];
    }
  }
  void gather_block(std::size_t d, const float* s, std::size_t a, const std::uint32_t* index, float* block) override {
    if (a == 0) return;  // block may then be null, which memset must not get
    std::memset(block, 0, a * a * sizeof(float));
    for (std::size_t i = 0; i < a; ++i)
      for (std::size_t j = 0; j <= i; ++j) block[i * a + j] = s[std::size_t(index[i]) * d + index[j]];
  }

  void mirror(std::size_t count, const float* v, float* e) override { indee::mirror(v, count, e); }
  void inverse_mirror(std::size_t rows, std::size_t n, const float* u, float* out, double* residue) override {
    indee::inverse_mirror(u, rows, n, out, residue);
  }
  void inverse_mirror_backward(std::size_t count, const float* u, const float* g, float* du) override {
    indee::inverse_mirror_backward(u, g, count, du);
  }
  void adam(const AdamStep& step, std::size_t count, const float* g, float* m, float* v, float* x) override {
    adam_update(step, g, m, v, x, count);
  }

  void completion_gradient(std::size_t rows, std::size_t input, std::size_t joint, const float* reconstruction,
                           const float* x, const double* residue, float* g, double* loss) override {
    for (std::size_t r = 0; r < rows; ++r) {
      const float* row = reconstruction + r * joint;
      const float* target = x + r * input;
      float* gr = g + r * joint;
      for (std::size_t i = 0; i < input; ++i) gr[i] = 2.0f * (row[i] - target[i]);
      std::memset(gr + input, 0, (joint - input) * sizeof(float));
      if (loss == nullptr) continue;
      double squared_error = 0.0;
      for (std::size_t i = 0; i < input; ++i) squared_error += 0.25 * double(gr[i]) * gr[i];
      loss[r] = squared_error + (residue == nullptr ? 0.0 : residue[r]);
    }
  }

  void moving_average_rows(std::size_t m, std::size_t d, const float* bias, float alpha, const float* weight, float* e,
                           float* B, float* scaled) override {
    const float keep = 1.0f - alpha;
    for (std::size_t j = 0; j < m; ++j) {
      float* row = e + j * d;
      const float* centre = j == 0 ? bias : B;
      float* out = scaled + j * d;
      for (std::size_t i = 0; i < d; ++i) {
        const float x = row[i];
        const float z = x - centre[i];
        out[i] = weight[j] * z;
        B[i] = alpha * x + keep * B[i];
        row[i] = z;
      }
    }
  }
  void moving_average_sum(std::size_t m, std::size_t d, const float* bias, float alpha, float* e, float* B) override {
    const float keep = 1.0f - alpha;
    std::vector<double> sum(d, 0.0);
    for (std::size_t j = 0; j < m; ++j) {
      float* row = e + j * d;
      for (std::size_t i = 0; i < d; ++i) {
        sum[i] += row[i];
        row[i] -= bias[i];
      }
    }
    for (std::size_t i = 0; i < d; ++i) B[i] = static_cast<float>(alpha * (sum[i] / double(m)) + keep * B[i]);
  }
  void cumulative_rows(std::size_t m, std::size_t d, const float* bias, double count, bool sum_semantics, float* e,
                       float* B, float* centred, float* delta) override {
    const double n_new = count + double(m);
    std::vector<double> batch_mean(d, 0.0);
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t i = 0; i < d; ++i) batch_mean[i] += e[j * d + i];
    for (double& x : batch_mean) x /= double(m);

    std::vector<double> running(B, B + d);
    for (std::size_t j = 0; j < m; ++j) {
      float* row = e + j * d;
      float* out = centred + j * d;
      const double seen = count + double(j);
      for (std::size_t i = 0; i < d; ++i) {
        const float x = row[i];
        out[i] = static_cast<float>(x - batch_mean[i]);
        const float centre = (j == 0 || sum_semantics) ? bias[i] : static_cast<float>(running[i]);
        row[i] = x - centre;
        running[i] += (x - running[i]) / (seen + 1.0);
      }
    }
    for (std::size_t i = 0; i < d; ++i) {
      delta[i] = static_cast<float>(batch_mean[i] - B[i]);
      B[i] = static_cast<float>(B[i] + double(m) / n_new * delta[i]);
    }
  }
};

}  // namespace

Backend& cpu_backend() {
  static CpuBackend backend;
  return backend;
}

}  // namespace indee
