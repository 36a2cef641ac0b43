// Thin wrappers over the LAPACK routines that OpenBLAS bundles (Debian's libopenblas exports the
// Fortran symbols ssyevr_, sgesdd_, sgesvd_, sgeqrf_, sorgqr_; no lapacke.h is needed). Row-major
// throughout, like blas.hpp: the wrappers do the layout bookkeeping (a row-major matrix is the
// column-major storage of its transpose) so that callers never see Fortran conventions.
//
// Each routine is a small class whose constructor does LAPACK's workspace query (lwork = -1) and
// allocates every buffer once; compute() then performs no allocation, so a solver can call it in a
// loop. The one-shot functions at the end are conveniences for single calls.
//
// Errors: any info != 0 from LAPACK becomes indee::Error(ErrorCode::Numerical, "<routine> failed:
// info = N ..."); sizes beyond LAPACK's 32-bit integers are Internal errors. Nothing aborts.
#pragma once

#include <cstddef>
#include <vector>

namespace indee::lapack {

// Top-k eigenpairs of a symmetric n x n matrix (ssyevr, RANGE = 'I', IL = n-k+1 .. IU = n).
// Cost: copy n² + tridiagonalisation 4/3·n³ (ssytrd, half of it BLAS-2 and memory-bound)
//       + eigenvalues by bisection O(n·k) + eigenvectors by inverse iteration O(n·k), up to
//       O(n·k²) for re-orthogonalisation inside clusters + back-transformation 2·n²·k (sormtr).
//       When k = n (or IL = 1, IU = n) LAPACK uses MRRR instead; its back-transformation is 2·n³.
class SymmetricTopEigen {
 public:
  SymmetricTopEigen(std::size_t n, std::size_t k);  // requires k <= n

  // a: n x n row-major, only its LOWER triangle is read (the upper one may hold anything); a is
  // not modified (it is copied into a workspace, since LAPACK destroys its input).
  // values: k eigenvalues in DESCENDING order; vectors: n x k row-major, column j is the unit
  // eigenvector of values[j]. Throws Numerical if a's lower triangle holds NaN/Inf (checked first:
  // bisection on NaN is not guaranteed to terminate) or if ssyevr reports info != 0.
  void compute(const float* a, float* values, float* vectors);

  std::size_t n() const { return n_; }
  std::size_t k() const { return k_; }

 private:
  std::size_t n_, k_;
  std::vector<float> a_, w_, z_, work_;
  std::vector<int> isuppz_, iwork_;
};

// Which LAPACK driver produced an SVD.
enum class SvdDriver {
  DivideAndConquer,  // sgesdd (fast; the first choice)
  QrIteration,       // sgesvd (the fallback when sgesdd fails to converge)
};

// SVD of a square n x n matrix: a = u · diag(s) · vt, s descending and non-negative.
// sgesdd first; if it fails to converge (info > 0, REFERENCE-RESULTS: it once did on an ordinary
// 250 x 250 Procrustes matrix) the input is restored and sgesvd is used instead. info < 0 (an
// invalid argument; sgesdd also reports a NaN input this way) is not retried.
// Cost: about 22·n³ flops for either driver with both sets of vectors (gesdd is usually faster).
class SquareSvd {
 public:
  explicit SquareSvd(std::size_t n);

  // a, u, vt: n x n row-major; s: n. a is not modified. Returns the driver whose result is in
  // u, s, vt. Throws Numerical if a holds NaN/Inf or if the driver that ran last reports info != 0.
  SvdDriver compute(const float* a, float* u, float* s, float* vt);

  // Test hook: when on, compute() behaves as if sgesdd had failed to converge (it still runs
  // sgesdd, then takes the fallback path), so the fallback can be exercised deterministically.
  void force_fallback_for_testing(bool on) { force_fallback_ = on; }

  std::size_t n() const { return n_; }

 private:
  std::size_t n_;
  bool force_fallback_ = false;
  std::vector<float> a_, work_;
  std::vector<int> iwork_;
};

// Orthonormalisation of the columns of an n x k row-major matrix (k <= n) by Householder QR:
// a = Q R (sgeqrf), then a ← Q (sorgqr), Q n x k with QᵀQ = I. The result is orthonormal even
// when a's columns are dependent or zero (a Householder reflector with nothing to reflect is the
// identity, so such a column of Q is an arbitrary direction orthogonal to the previous ones).
// Signs follow LAPACK (R's diagonal may be negative); callers that care rotate afterwards.
// Cost: 2 transposes n·k + sgeqrf 2nk² − 2k³/3 + sorgqr 2nk² − 2k³/3 flops.
class ColumnOrthonormalizer {
 public:
  ColumnOrthonormalizer(std::size_t n, std::size_t k);  // requires k <= n

  // a: n x k row-major, replaced by Q. If r_diagonal is not null it receives R's diagonal (k
  // values; |R_jj| is the norm of column j's component orthogonal to columns 0..j-1), which tells
  // a caller which columns were (numerically) dependent.
  void orthonormalize(float* a, float* r_diagonal = nullptr);

  std::size_t n() const { return n_; }
  std::size_t k() const { return k_; }

 private:
  std::size_t n_, k_;
  std::vector<float> q_, tau_, work_;
};

// One-shot conveniences (allocate their workspaces on each call).
void symmetric_top_eigen(std::size_t n, std::size_t k, const float* a, float* values, float* vectors);
SvdDriver square_svd(std::size_t n, const float* a, float* u, float* s, float* vt);
void orthonormalize_columns(std::size_t n, std::size_t k, float* a);

// Cholesky factor of a symmetric n x n matrix (spotrf): a's LOWER triangle is replaced by L with
// a = L Lᵀ and its upper triangle zeroed. Returns false, with a partly overwritten, when a is not
// positive definite; throws Numerical on NaN/Inf. Cost: n³/3 flops.
bool cholesky_lower(std::size_t n, float* a);

}  // namespace indee::lapack
