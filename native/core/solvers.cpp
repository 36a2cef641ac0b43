#include "solvers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "../backend/cpu/blas.hpp"
#include "../backend/cpu/lapack.hpp"
#include "error.hpp"
#include "rng.hpp"

namespace indee {

using blas::Op;

namespace {

void check_shapes(const char* who, std::size_t d, std::size_t k, const void* C, const float* W) {
  require(k <= d, ErrorCode::InvalidArgument,
          std::string(who) + ": k = " + std::to_string(k) + " exceeds d = " + std::to_string(d));
  require(d == 0 || k == 0 || (C != nullptr && W != nullptr), ErrorCode::InvalidArgument,
          std::string(who) + ": null matrix");
}

// Scans the lower triangle of C: throws on NaN/Inf, returns whether any entry is non-zero.
bool lower_triangle_nonzero(const char* who, std::size_t d, const float* C) {
  bool nonzero = false;
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j <= i; ++j) {
      const float c = C[i * d + j];
      if (!std::isfinite(c)) throw Error(ErrorCode::Numerical, std::string(who) + ": C holds NaN or Inf");
      nonzero = nonzero || c != 0.0f;
    }
  return nonzero;
}

void require_finite(const char* who, std::size_t count, const float* W) {
  for (std::size_t i = 0; i < count; ++i)
    if (!std::isfinite(W[i])) throw Error(ErrorCode::Numerical, std::string(who) + ": W holds NaN or Inf");
}

// Number of leading (descending) eigenvalues above the negligible threshold.
std::size_t significant_count(std::size_t d, const float* values, std::size_t k, float relative_tolerance) {
  if (k == 0) return 0;
  const float threshold = negligible_eigenvalue_threshold(d, values[0], relative_tolerance);
  std::size_t r = 0;
  while (r < k && values[r] > threshold) ++r;
  return r;
}

}  // namespace

float negligible_eigenvalue_threshold(std::size_t d, float lambda_max, float relative_tolerance) {
  require(!std::isnan(relative_tolerance), ErrorCode::OutOfRange, "relative_tolerance is NaN");
  const float t = relative_tolerance < 0.0f ? float(d) * std::numeric_limits<float>::epsilon() : relative_tolerance;
  return std::max(0.0f, t * lambda_max);
}

void procrustes_align_leading(std::size_t d, std::size_t k, std::size_t r, const float* U, const float* W_prev,
                              float* W_out) {
  require(r <= k && k <= d, ErrorCode::InvalidArgument,
          "procrustes_align: need r <= k <= d, got r = " + std::to_string(r) + ", k = " + std::to_string(k) +
              ", d = " + std::to_string(d));
  if (k == 0 || d == 0) return;
  if (r == 0) {
    std::fill(W_out, W_out + d * k, 0.0f);
    return;
  }
  std::vector<float> M(k * k), Mr(r * r), A(r * r), s(r), Bt(r * r), Qext(k * k, 0.0f);
  // M = UᵀW_prev (k x k); its leading r x r block is U_rᵀ·W_prev[:, :r].
  blas::gemm(Op::Transpose, Op::None, k, k, d, 1.0f, U, W_prev, 0.0f, M.data());
  for (std::size_t i = 0; i < r; ++i) std::copy(M.begin() + i * k, M.begin() + i * k + r, Mr.begin() + i * r);
  // U_rᵀW_prev_r = A·Σ·Bᵀ  ⇒  Q_r = A·Bᵀ maximises tr(Qᵀ·U_rᵀW_prev_r), i.e. minimises ‖U_r·Q − W_prev_r‖_F.
  lapack::SquareSvd(r).compute(Mr.data(), A.data(), s.data(), Bt.data());
  blas::gemm(Op::None, Op::None, r, r, r, 1.0f, A.data(), Bt.data(), 0.0f, Mr.data());
  // Qext = [[Q_r, 0], [0, 0]] (k x k): W_out = U·Qext rotates the first r columns, zeroes the rest.
  for (std::size_t i = 0; i < r; ++i) std::copy(Mr.begin() + i * r, Mr.begin() + (i + 1) * r, Qext.begin() + i * k);
  blas::gemm(Op::None, Op::None, d, k, k, 1.0f, U, Qext.data(), 0.0f, W_out);
}

void procrustes_align(std::size_t d, std::size_t k, const float* U, const float* W_prev, float* W_out) {
  procrustes_align_leading(d, k, k, U, W_prev, W_out);
}

std::size_t eig_solve(std::size_t d, std::size_t k, const float* C_lower, float* W, float relative_tolerance) {
  check_shapes("eig_solve", d, k, C_lower, W);
  if (k == 0) return 0;
  const bool nonzero = lower_triangle_nonzero("eig_solve", d, C_lower);
  require_finite("eig_solve", d * k, W);
  if (!nonzero) return 0;  // nothing collected yet: keep W

  std::vector<float> values(k), U(d * k);
  lapack::SymmetricTopEigen(d, k).compute(C_lower, values.data(), U.data());
  const std::size_t r = significant_count(d, values.data(), k, relative_tolerance);
  if (r == 0) return 0;
  procrustes_align_leading(d, k, r, U.data(), W, W);
  return r;
}

std::size_t subspace_solve(std::size_t d, std::size_t k, const float* C_lower, std::size_t iterations, float* W,
                           float relative_tolerance) {
  check_shapes("subspace_solve", d, k, C_lower, W);
  if (k == 0) return 0;
  const bool nonzero = lower_triangle_nonzero("subspace_solve", d, C_lower);
  require_finite("subspace_solve", d * k, W);
  if (!nonzero) return 0;

  // Every workspace, allocated once.
  std::vector<float> X(W, W + d * k), Y(d * k), r_diag(k), T(k * k), Z(k * k), theta(k);
  lapack::ColumnOrthonormalizer orth(d, k);
  lapack::SymmetricTopEigen ritz(k, k);

  // Start: X = orth(W); replace dependent columns (|R_jj| ≤ d·ε·max_j ‖w_j‖) by random directions.
  double max_norm2 = 0.0;
  for (std::size_t j = 0; j < k; ++j) {
    double norm2 = 0.0;
    for (std::size_t i = 0; i < d; ++i) norm2 += double(W[i * k + j]) * W[i * k + j];
    max_norm2 = std::max(max_norm2, norm2);
  }
  const double dependent = double(d) * std::numeric_limits<float>::epsilon() * std::sqrt(max_norm2);
  orth.orthonormalize(X.data(), r_diag.data());
  bool filled = false;
  SplitMix64 rng(kSubspaceFillSeed);
  for (std::size_t j = 0; j < k; ++j) {
    if (std::fabs(double(r_diag[j])) > dependent) continue;
    for (std::size_t i = 0; i < d; ++i) X[i * k + j] = 2.0f * rng.uniform() - 1.0f;
    filled = true;
  }
  if (filled) orth.orthonormalize(X.data());

  // Orthogonal iteration: span(X) ← span(C·X).
  for (std::size_t t = 0; t < iterations; ++t) {
    blas::symm(d, k, C_lower, X.data(), 0.0f, Y.data());
    orth.orthonormalize(Y.data());
    std::swap(X, Y);  // swaps the buffers, allocates nothing
  }

  // Rayleigh–Ritz: T = XᵀCX = Z·diag(θ)·Zᵀ; the Ritz basis is X·Z (θ descending).
  blas::symm(d, k, C_lower, X.data(), 0.0f, Y.data());
  blas::gemm(Op::Transpose, Op::None, k, k, d, 1.0f, X.data(), Y.data(), 0.0f, T.data());
  ritz.compute(T.data(), theta.data(), Z.data());
  blas::gemm(Op::None, Op::None, d, k, k, 1.0f, X.data(), Z.data(), 0.0f, Y.data());

  const std::size_t r = significant_count(d, theta.data(), k, relative_tolerance);
  if (r == 0) return 0;
  procrustes_align_leading(d, k, r, Y.data(), W, W);
  return r;
}

}  // namespace indee
