#include "blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <string>

#include "../../core/error.hpp"
#include "dimension.hpp"
#include "../../core/simd.hpp"

namespace indee::blas {
namespace {

int dim(std::size_t n) { return library_dimension(n, "BLAS"); }

CBLAS_TRANSPOSE trans(Op op) { return op == Op::Transpose ? CblasTrans : CblasNoTrans; }

}  // namespace

void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
          const float* b, float beta, float* c) {
  if (m == 0 || n == 0) return;
  if (m == 1) {
    // One row (infer and collect on a single example): sgemm would pack all of op(b) for one
    // vector; sgemv streams it once. c = op(b)ᵀ a, a being contiguous whatever op_a. With beta = 0,
    // c may be uninitialised memory (backend.hpp): cleared first, as sgemv scales c by beta.
    if (beta == 0.0f) std::fill(c, c + n, 0.0f);
    if (op_b == Op::None)
      cblas_sgemv(CblasRowMajor, CblasTrans, dim(k), dim(n), alpha, b, dim(n), a, 1, beta, c, 1);
    else
      cblas_sgemv(CblasRowMajor, CblasNoTrans, dim(n), dim(k), alpha, b, dim(k), a, 1, beta, c, 1);
    return;
  }
  const int lda = dim(op_a == Op::None ? k : m);
  const int ldb = dim(op_b == Op::None ? n : k);
  cblas_sgemm(CblasRowMajor, trans(op_a), trans(op_b), dim(m), dim(n), dim(k), alpha, a, lda, b, ldb,
              beta, c, dim(n));
}

void symm(std::size_t n, std::size_t k, const float* s, const float* b, float beta, float* c) {
  if (n == 0 || k == 0) return;
  cblas_ssymm(CblasRowMajor, CblasLeft, CblasLower, dim(n), dim(k), 1.0f, s, dim(n), b, dim(k), beta, c,
              dim(k));
}

namespace {

// The lower triangle of s (n x n) = alpha·x xᵀ + beta·s in one pass: each entry read and written
// once, where ssyrk's blocking (or a scaling pass, then ssyr) costs two to four times more.
INDEE_MULTIVERSION void rank1_update(std::size_t n, float alpha, const float* x, float beta, float* s) {
  for (std::size_t i = 0; i < n; ++i) {
    const float scaled = alpha * x[i];
    float* row = s + i * n;
    if (beta == 0.0f)
      for (std::size_t j = 0; j <= i; ++j) row[j] = scaled * x[j];
    else
      for (std::size_t j = 0; j <= i; ++j) row[j] = beta * row[j] + scaled * x[j];
  }
}

}  // namespace

void syrk(std::size_t n, std::size_t m, float alpha, const float* a, float beta, float* s) {
  if (n == 0) return;
  if (m == 1) return rank1_update(n, alpha, a, beta, s);  // collecting one row
  cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, dim(n), dim(m), alpha, a, dim(n), beta, s, dim(n));
}

void syr(std::size_t n, float alpha, const float* x, float* s) {
  if (n == 0) return;
  cblas_ssyr(CblasRowMajor, CblasLower, dim(n), alpha, x, 1, s, dim(n));
}

void symmetrize_from_lower(std::size_t n, float* s) {
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < i; ++j) s[j * n + i] = s[i * n + j];
}

}  // namespace indee::blas

namespace indee::blas {

void set_threads(std::size_t count) {
  require(count >= 1 && count <= 1024, ErrorCode::OutOfRange,
          "threads must be an integer in [1, 1024], got " + std::to_string(count));
  openblas_set_num_threads(static_cast<int>(count));
}

std::size_t threads() { return static_cast<std::size_t>(openblas_get_num_threads()); }

}  // namespace indee::blas
