#include "lapack.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <string>

#include "../../core/error.hpp"
#include "blas.hpp"
#include "dimension.hpp"

// The Fortran LAPACK entry points exported by libopenblas (32-bit INTEGERs, as Debian builds it).
// gfortran passes the length of every CHARACTER argument as a hidden trailing argument of type
// size_t (since GCC 8); they are declared so that the call matches the ABI exactly.
extern "C" {
void ssyevr_(const char* jobz, const char* range, const char* uplo, const int* n, float* a, const int* lda,
             const float* vl, const float* vu, const int* il, const int* iu, const float* abstol, int* m,
             float* w, float* z, const int* ldz, int* isuppz, float* work, const int* lwork, int* iwork,
             const int* liwork, int* info, std::size_t jobz_len, std::size_t range_len, std::size_t uplo_len);
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s, float* u,
             const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork, int* iwork, int* info,
             std::size_t jobz_len);
void sgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, float* a, const int* lda, float* s,
             float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork, int* info,
             std::size_t jobu_len, std::size_t jobvt_len);
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work, const int* lwork,
             int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau, float* work,
             const int* lwork, int* info);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t uplo_len);
}

namespace indee::lapack {
namespace {

int dim(std::size_t n) { return library_dimension(n, "LAPACK"); }

// A workspace size returned by a query (as a float in work[0]); rounded up, since a float holds
// integers exactly only up to 2^24, and never below `minimum`.
int query_size(float reported, int minimum) {
  const double v = std::ceil(double(reported) * (1.0 + 1e-6));
  require(v <= double(INT_MAX), ErrorCode::OutOfMemory, "LAPACK workspace too large");
  return std::max(minimum, static_cast<int>(v));
}

[[noreturn]] void fail(const char* routine, int info, const std::string& meaning) {
  throw Error(ErrorCode::Numerical,
              std::string(routine) + " failed: info = " + std::to_string(info) + " (" + meaning + ")");
}

void check(const char* routine, int info, const char* positive_meaning) {
  if (info == 0) return;
  if (info < 0) fail(routine, info, "argument " + std::to_string(-info) + " had an illegal value");
  fail(routine, info, positive_meaning);
}

bool lower_triangle_finite(std::size_t n, const float* a) {
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j <= i; ++j)
      if (!std::isfinite(a[i * n + j])) return false;
  return true;
}

bool all_finite(std::size_t count, const float* a) {
  for (std::size_t i = 0; i < count; ++i)
    if (!std::isfinite(a[i])) return false;
  return true;
}

}  // namespace

// ---- SymmetricTopEigen ---------------------------------------------------------------------------

SymmetricTopEigen::SymmetricTopEigen(std::size_t n, std::size_t k) : n_(n), k_(k) {
  require(k <= n, ErrorCode::InvalidArgument,
          "SymmetricTopEigen: k = " + std::to_string(k) + " exceeds n = " + std::to_string(n));
  if (k == 0) return;
  const int N = dim(n), il = dim(n - k + 1), iu = N, lda = N, ldz = N;
  const float vl = 0.0f, vu = 0.0f, abstol = 0.0f;
  a_.resize(n * n);
  w_.resize(n);  // ssyevr may use all N entries of W as workspace
  z_.resize(n * k);
  isuppz_.resize(2 * k);
  // Workspace query.
  const blas::LibraryCall call;
  float work_query = 0.0f;
  int iwork_query = 0, m = 0, info = 0;
  const int query = -1;
  ssyevr_("V", "I", "U", &N, a_.data(), &lda, &vl, &vu, &il, &iu, &abstol, &m, w_.data(), z_.data(), &ldz,
          isuppz_.data(), &work_query, &query, &iwork_query, &query, &info, 1, 1, 1);
  check("ssyevr (workspace query)", info, "internal error");
  work_.resize(static_cast<std::size_t>(query_size(work_query, 26 * N)));
  iwork_.resize(static_cast<std::size_t>(std::max(iwork_query, 10 * N)));
}

void SymmetricTopEigen::compute(const float* a, float* values, float* vectors) {
  const std::size_t n = n_, k = k_;
  if (k == 0) return;
  require(lower_triangle_finite(n, a), ErrorCode::Numerical, "ssyevr: the matrix holds NaN or Inf");
  // Row-major lower triangle = column-major upper triangle: copy as is and pass UPLO = 'U'.
  std::memcpy(a_.data(), a, n * n * sizeof(float));
  const int N = dim(n), il = dim(n - k + 1), iu = N, lda = N, ldz = N;
  const int lwork = dim(work_.size()), liwork = dim(iwork_.size());
  const float vl = 0.0f, vu = 0.0f, abstol = 0.0f;  // 0: LAPACK's default tolerance, ε·‖T‖₁
  int m = 0, info = 0;
  const blas::LibraryCall call;
  ssyevr_("V", "I", "U", &N, a_.data(), &lda, &vl, &vu, &il, &iu, &abstol, &m, w_.data(), z_.data(), &ldz,
          isuppz_.data(), work_.data(), &lwork, iwork_.data(), &liwork, &info, 1, 1, 1);
  check("ssyevr", info, "internal error in the eigenvector computation");
  require(all_finite(k, w_.data()) && all_finite(n * k, z_.data()), ErrorCode::Numerical, "ssyevr returned NaN or Inf");
  if (static_cast<std::size_t>(m) != k)
    fail("ssyevr", info, "returned " + std::to_string(m) + " eigenpairs instead of " + std::to_string(k));
  // w ascending, z column-major n x k: reverse the order and transpose to row-major.
  for (std::size_t j = 0; j < k; ++j) values[j] = w_[k - 1 - j];
  for (std::size_t i = 0; i < n; ++i) {
    float* row = vectors + i * k;
    for (std::size_t j = 0; j < k; ++j) row[j] = z_[(k - 1 - j) * n + i];
  }
}

// ---- SquareSvd -----------------------------------------------------------------------------------

SquareSvd::SquareSvd(std::size_t n) : n_(n) {
  if (n == 0) return;
  const int N = dim(n);
  a_.resize(n * n);
  iwork_.resize(8 * n);
  float dd_query = 0.0f, qr_query = 0.0f, s = 0.0f, u = 0.0f, vt = 0.0f;
  int info = 0;
  const int query = -1;
  const blas::LibraryCall call;
  sgesdd_("A", &N, &N, a_.data(), &N, &s, &u, &N, &vt, &N, &dd_query, &query, iwork_.data(), &info, 1);
  check("sgesdd (workspace query)", info, "query failed");
  sgesvd_("A", "A", &N, &N, a_.data(), &N, &s, &u, &N, &vt, &N, &qr_query, &query, &info, 1, 1);
  check("sgesvd (workspace query)", info, "query failed");
  // Documented minima: sgesdd with JOBZ = 'A' needs 4·n² + 7·n, sgesvd max(3n + n, 5n) = 5n.
  const int dd_minimum = dim(4 * n * n + 7 * n);
  work_.resize(static_cast<std::size_t>(std::max(query_size(dd_query, dd_minimum), query_size(qr_query, 5 * N))));
}

SvdDriver SquareSvd::compute(const float* a, float* u, float* s, float* vt) {
  const std::size_t n = n_;
  if (n == 0) return SvdDriver::DivideAndConquer;
  require(all_finite(n * n, a), ErrorCode::Numerical, "sgesdd: the matrix holds NaN or Inf");
  const int N = dim(n), lwork = dim(work_.size());
  // LAPACK sees the row-major a as the column-major X = aᵀ and returns X = Ux Σ Vxᵀ, so
  // a = Vx Σ Uxᵀ: a's U is Vx, whose column-major transpose Vxᵀ is Vx in row-major, and a's Vᵀ
  // is Uxᵀ, which is Ux's column-major storage read row-major. Hence the swapped outputs.
  std::memcpy(a_.data(), a, n * n * sizeof(float));
  int info = 0;
  const blas::LibraryCall call;
  sgesdd_("A", &N, &N, a_.data(), &N, s, vt, &N, u, &N, work_.data(), &lwork, iwork_.data(), &info, 1);
  if (info < 0) check("sgesdd", info, "");
  // OpenBLAS's sgesdd has also been seen to return NaN with info = 0 (on an ordinary 250 x 250
  // Procrustes matrix): treated like a failure to converge.
  if (info == 0 && !force_fallback_ && all_finite(n, s) && all_finite(n * n, u) && all_finite(n * n, vt))
    return SvdDriver::DivideAndConquer;
  // sgesdd did not converge (or the test hook pretends so): restore the input, use sgesvd.
  std::memcpy(a_.data(), a, n * n * sizeof(float));
  info = 0;
  sgesvd_("A", "A", &N, &N, a_.data(), &N, s, vt, &N, u, &N, work_.data(), &lwork, &info, 1, 1);
  check("sgesvd", info,
        "superdiagonals of the bidiagonal form did not converge to zero (sgesdd had failed before it)");
  require(all_finite(n, s) && all_finite(n * n, u) && all_finite(n * n, vt), ErrorCode::Numerical,
          "sgesvd returned NaN or Inf (sgesdd had failed before it)");
  return SvdDriver::QrIteration;
}

// ---- ColumnOrthonormalizer -----------------------------------------------------------------------

ColumnOrthonormalizer::ColumnOrthonormalizer(std::size_t n, std::size_t k) : n_(n), k_(k) {
  require(k <= n, ErrorCode::InvalidArgument,
          "ColumnOrthonormalizer: k = " + std::to_string(k) + " exceeds n = " + std::to_string(n));
  if (k == 0) return;
  const int N = dim(n), K = dim(k);
  q_.resize(n * k);
  tau_.resize(k);
  float qrf_query = 0.0f, org_query = 0.0f;
  int info = 0;
  const int query = -1;
  const blas::LibraryCall call;
  sgeqrf_(&N, &K, q_.data(), &N, tau_.data(), &qrf_query, &query, &info);
  check("sgeqrf (workspace query)", info, "query failed");
  sorgqr_(&N, &K, &K, q_.data(), &N, tau_.data(), &org_query, &query, &info);
  check("sorgqr (workspace query)", info, "query failed");
  work_.resize(static_cast<std::size_t>(std::max(query_size(qrf_query, K), query_size(org_query, K))));
}

void ColumnOrthonormalizer::orthonormalize(float* a, float* r_diagonal) {
  const std::size_t n = n_, k = k_;
  if (k == 0) return;
  const int N = dim(n), K = dim(k), lwork = dim(work_.size());
  // Row-major n x k → column-major n x k (LAPACK's layout for the QR of a itself).
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < k; ++j) q_[j * n + i] = a[i * k + j];
  int info = 0;
  const blas::LibraryCall call;
  sgeqrf_(&N, &K, q_.data(), &N, tau_.data(), work_.data(), &lwork, &info);
  check("sgeqrf", info, "unexpected positive info");
  if (r_diagonal != nullptr)
    for (std::size_t j = 0; j < k; ++j) r_diagonal[j] = q_[j * n + j];
  sorgqr_(&N, &K, &K, q_.data(), &N, tau_.data(), work_.data(), &lwork, &info);
  check("sorgqr", info, "unexpected positive info");
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < k; ++j) a[i * k + j] = q_[j * n + i];
}

// ---- One-shot conveniences -----------------------------------------------------------------------

void symmetric_top_eigen(std::size_t n, std::size_t k, const float* a, float* values, float* vectors) {
  SymmetricTopEigen(n, k).compute(a, values, vectors);
}

SvdDriver square_svd(std::size_t n, const float* a, float* u, float* s, float* vt) {
  return SquareSvd(n).compute(a, u, s, vt);
}

void orthonormalize_columns(std::size_t n, std::size_t k, float* a) { ColumnOrthonormalizer(n, k).orthonormalize(a); }

bool cholesky_lower(std::size_t n, float* a) {
  if (n == 0) return true;
  require(lower_triangle_finite(n, a), ErrorCode::Numerical, "spotrf: the matrix holds NaN or Inf");
  // Row-major lower triangle = column-major upper triangle: UPLO = 'U' factors it as UᵀU = L Lᵀ.
  const int N = dim(n);
  int info = 0;
  const blas::LibraryCall call;
  spotrf_("U", &N, a, &N, &info, 1);
  if (info > 0) return false;
  check("spotrf", info, "");
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) a[i * n + j] = 0.0f;
  return true;
}

}  // namespace indee::lapack
