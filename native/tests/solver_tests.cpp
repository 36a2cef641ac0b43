// Tests of the LAPACK wrappers and the eig/subspace solvers (native/core/solvers.hpp) on symmetric
// PSD matrices with a known spectrum: C = V·diag(λ)·Vᵀ with V from orthonormalising a random matrix.
//
// Tolerance on f (derived once, used throughout). At an exact minimiser U, f is stationary and a
// perturbation of W enters f only at second order (W = U(I + Δ) gives f = f* + 4·tr(ΔΛΔ) + ...), so
// the float32 error of the computed eigenvectors (~ε·λ_max/gap) costs O(ε²) and the error we see is
// that of evaluating f in float32: TraceObjective forms C·W, WᵀW and Wᵀ(CW) with dot products of
// length ≤ d, each with relative error ≤ γ_d ≈ d·ε (ε = 2⁻²³), and tr C − 2·tr(WᵀCW) + tr(TS) adds
// three terms each ≤ tr C in size. Hence |f̂ − f*| ≤ ~4·d·ε·tr C. Each test also checks that this
// tolerance is far below the eigengap λ_k − λ_{k+1}, the least by which a wrong subspace raises f,
// so a solver that missed a direction would fail the test.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "backend/cpu/blas.hpp"
#include "backend/cpu/lapack.hpp"
#include "backend/registry.hpp"
#include "core/error.hpp"
#include "core/objective.hpp"
#include "core/rng.hpp"
#include "core/solvers.hpp"
#include "harness.hpp"

using namespace indee;
using blas::Op;

namespace {

constexpr double kEps = std::numeric_limits<float>::epsilon();

std::vector<float> random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed, float scale = 1.0f) {
  SplitMix64 rng(seed);
  std::vector<float> m(rows * cols);
  for (float& x : m) x = scale * (2.0f * rng.uniform() - 1.0f);
  return m;
}

std::vector<float> random_orthonormal(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  std::vector<float> m = random_matrix(rows, cols, seed);
  lapack::orthonormalize_columns(rows, cols, m.data());
  return m;
}

// C = V·diag(λ)·Vᵀ (d x d, full, computed in float32 like the library's statistics); V d x d.
std::vector<float> known_spectrum(const std::vector<double>& lambda, std::uint64_t seed, std::vector<float>* V_out) {
  const std::size_t d = lambda.size();
  std::vector<float> V = random_orthonormal(d, d, seed), VL(d * d), C(d * d);
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < d; ++j) VL[i * d + j] = V[i * d + j] * float(lambda[j]);
  blas::gemm(Op::None, Op::Transpose, d, d, d, 1.0f, VL.data(), V.data(), 0.0f, C.data());
  if (V_out != nullptr) *V_out = V;
  return C;
}

// The upper triangle must never be read: fill it with NaN.
void poison_upper(std::size_t d, std::vector<float>& C) {
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = i + 1; j < d; ++j) C[i * d + j] = std::numeric_limits<float>::quiet_NaN();
}

// The first `cols` columns of V (d x d) as a d x cols matrix.
std::vector<float> leading_columns(const std::vector<float>& V, std::size_t d, std::size_t cols) {
  std::vector<float> out(d * cols);
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < cols; ++j) out[i * cols + j] = V[i * d + j];
  return out;
}

double objective(std::size_t d, std::size_t k, const std::vector<float>& C, const std::vector<float>& W) {
  return TraceObjective(cpu_backend(), d, k).evaluate(C.data(), W.data(), nullptr);
}

double tail_sum(const std::vector<double>& lambda, std::size_t k) {
  double s = 0.0;
  for (std::size_t i = k; i < lambda.size(); ++i) s += lambda[i];
  return s;
}

double f_tolerance(const std::vector<double>& lambda) {
  double trace = 0.0;
  for (double x : lambda) trace += x;
  return 4.0 * double(lambda.size()) * kEps * trace;
}

// max |(WᵀW − I)_ij| over the first `cols` columns of W (d x k).
double orthonormality_error(std::size_t d, std::size_t k, const float* W, std::size_t cols) {
  std::vector<float> G(k * k);
  blas::gemm(Op::Transpose, Op::None, k, k, d, 1.0f, W, W, 0.0f, G.data());
  double worst = 0.0;
  for (std::size_t i = 0; i < cols; ++i)
    for (std::size_t j = 0; j < cols; ++j) worst = std::max(worst, std::fabs(G[i * k + j] - (i == j ? 1.0 : 0.0)));
  return worst;
}

double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
  return worst;
}

double frobenius_distance(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return std::sqrt(s);
}

bool column_is_zero(std::size_t d, std::size_t k, const std::vector<float>& W, std::size_t j) {
  for (std::size_t i = 0; i < d; ++i)
    if (W[i * k + j] != 0.0f) return false;
  return true;
}

// λ_i = 1 + 1/(i+1) for the top k (in (1, 2]), then a tail below 0.5: eigengap > 0.5.
std::vector<double> gapped_spectrum(std::size_t d, std::size_t k) {
  std::vector<double> lambda(d);
  for (std::size_t i = 0; i < d; ++i) lambda[i] = i < k ? 1.0 + 1.0 / double(i + 1) : 0.5 * (1.0 - double(i) / d);
  return lambda;
}

bool throws_code(ErrorCode code, const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.code() == code;
  }
  return false;
}

// A 100 x 100 C of rank 7 (eigenvalues 5, 4.5, ..., 2, then zeros): `full` is the matrix, `C` the
// same with its upper triangle poisoned (the solvers must read only the lower one).
struct RankDeficient {
  std::vector<float> C, full;
  std::vector<double> lambda;
};
RankDeficient rank_deficient(std::uint64_t seed) {
  std::vector<double> lambda(100, 0.0);
  for (std::size_t i = 0; i < 7; ++i) lambda[i] = 5.0 - 0.5 * double(i);
  RankDeficient m;
  m.lambda = lambda;
  m.full = known_spectrum(lambda, seed, nullptr);
  m.C = m.full;
  poison_upper(100, m.C);
  return m;
}

}  // namespace

// ---- LAPACK wrappers ----------------------------------------------------------------------------

TEST(lapack_top_eigenpairs_are_descending_and_read_only_the_lower_triangle) {
  const std::size_t d = 60, k = 9;
  std::vector<double> lambda(d);
  for (std::size_t i = 0; i < d; ++i) lambda[i] = 3.0 * std::pow(0.9, double(i));
  std::vector<float> C = known_spectrum(lambda, 101, nullptr), full = C;
  poison_upper(d, C);
  std::vector<float> values(k), vectors(d * k), CV(d * k);
  lapack::symmetric_top_eigen(d, k, C.data(), values.data(), vectors.data());
  for (std::size_t j = 0; j < k; ++j) CHECK_NEAR(values[j], lambda[j], 20 * d * kEps * lambda[0]);
  CHECK(orthonormality_error(d, k, vectors.data(), k) < 1e-5);
  // C·v_j = λ_j·v_j, with the full (unpoisoned) C.
  blas::gemm(Op::None, Op::None, d, k, d, 1.0f, full.data(), vectors.data(), 0.0f, CV.data());
  double residual = 0.0;
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j < k; ++j)
      residual = std::max(residual, std::fabs(CV[i * k + j] - double(values[j]) * vectors[i * k + j]));
  CHECK(residual < 1e-5);
  // NaN in the lower triangle is an error, not a hang.
  C[5 * d + 2] = std::numeric_limits<float>::quiet_NaN();
  CHECK(throws_code(ErrorCode::Numerical, [&] { lapack::symmetric_top_eigen(d, k, C.data(), values.data(), vectors.data()); }));
  CHECK(throws_code(ErrorCode::InvalidArgument, [&] { lapack::SymmetricTopEigen(3, 4); }));
}

TEST(lapack_svd_reconstructs_with_both_drivers_and_the_fallback_path_runs) {
  const std::size_t n = 30;
  const std::vector<float> A = random_matrix(n, n, 202);
  lapack::SquareSvd svd(n);
  auto check_svd = [&](const std::vector<float>& u, const std::vector<float>& s, const std::vector<float>& vt) {
    std::vector<float> us(n * n), back(n * n), v(n * n);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) us[i * n + j] = u[i * n + j] * s[j];
    blas::gemm(Op::None, Op::None, n, n, n, 1.0f, us.data(), vt.data(), 0.0f, back.data());
    CHECK(max_abs_difference(back, A) < 1e-5);
    CHECK(orthonormality_error(n, n, u.data(), n) < 1e-5);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) v[i * n + j] = vt[j * n + i];
    CHECK(orthonormality_error(n, n, v.data(), n) < 1e-5);
    for (std::size_t j = 0; j + 1 < n; ++j) CHECK(s[j] >= s[j + 1] && s[j + 1] >= 0.0f);
  };
  std::vector<float> u1(n * n), s1(n), vt1(n * n), u2(n * n), s2(n), vt2(n * n);
  CHECK(svd.compute(A.data(), u1.data(), s1.data(), vt1.data()) == lapack::SvdDriver::DivideAndConquer);
  check_svd(u1, s1, vt1);
  svd.force_fallback_for_testing(true);
  CHECK(svd.compute(A.data(), u2.data(), s2.data(), vt2.data()) == lapack::SvdDriver::QrIteration);
  check_svd(u2, s2, vt2);
  for (std::size_t j = 0; j < n; ++j) CHECK_NEAR(s2[j], s1[j], 1e-5 * s1[0]);
  // A NaN is reported (sgesdd itself would return info = -4), never propagated silently.
  std::vector<float> bad = A;
  bad[7] = std::numeric_limits<float>::quiet_NaN();
  CHECK(throws_code(ErrorCode::Numerical, [&] { svd.compute(bad.data(), u1.data(), s1.data(), vt1.data()); }));
}

TEST(lapack_qr_orthonormalises_in_place_and_reports_dependent_columns) {
  const std::size_t n = 40, k = 7;
  std::vector<float> A = random_matrix(n, k, 303);
  for (std::size_t i = 0; i < n; ++i) {
    A[i * k + 3] = 2.0f * A[i * k + 1];  // dependent
    A[i * k + 5] = 0.0f;                 // zero
  }
  std::vector<float> Q = A, r(k), QtA(k * k), QQtA(n * k);
  lapack::ColumnOrthonormalizer(n, k).orthonormalize(Q.data(), r.data());
  CHECK(orthonormality_error(n, k, Q.data(), k) < 1e-5);
  CHECK(std::fabs(r[3]) < 1e-5 && r[5] == 0.0f);
  CHECK(std::fabs(r[0]) > 1.0f && std::fabs(r[1]) > 1.0f && std::fabs(r[6]) > 1.0f);
  // span(Q) ⊇ span(A): Q·Qᵀ·A = A.
  blas::gemm(Op::Transpose, Op::None, k, k, n, 1.0f, Q.data(), A.data(), 0.0f, QtA.data());
  blas::gemm(Op::None, Op::None, n, k, k, 1.0f, Q.data(), QtA.data(), 0.0f, QQtA.data());
  CHECK(max_abs_difference(QQtA, A) < 1e-5);
}

// ---- Procrustes ---------------------------------------------------------------------------------

TEST(procrustes_undoes_a_known_rotation_and_is_optimal) {
  const std::size_t d = 50, k = 10;
  const std::vector<float> U = random_orthonormal(d, k, 401), Q0 = random_orthonormal(k, k, 402);
  std::vector<float> UQ0(d * k), out(d * k);
  blas::gemm(Op::None, Op::None, d, k, k, 1.0f, U.data(), Q0.data(), 0.0f, UQ0.data());
  procrustes_align(d, k, UQ0.data(), U.data(), out.data());
  CHECK(max_abs_difference(out, U) < 1e-5);
  procrustes_align(d, k, U.data(), UQ0.data(), out.data());
  CHECK(max_abs_difference(out, UQ0) < 1e-5);

  // Onto an arbitrary (non-orthonormal) target, in place: orthonormal, and no rotation does better.
  const std::vector<float> target = random_matrix(d, k, 403);
  std::vector<float> W = target;
  procrustes_align(d, k, U.data(), W.data(), W.data());
  CHECK(orthonormality_error(d, k, W.data(), k) < 1e-5);
  const double best = frobenius_distance(W, target);
  CHECK(best < frobenius_distance(U, target));
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const std::vector<float> Q = random_orthonormal(k, k, 500 + seed);
    std::vector<float> UQ(d * k);
    blas::gemm(Op::None, Op::None, d, k, k, 1.0f, U.data(), Q.data(), 0.0f, UQ.data());
    CHECK(best <= frobenius_distance(UQ, target) + 1e-5);
  }
  // The leading variant: r columns rotated, the rest exactly zero.
  procrustes_align_leading(d, k, 4, UQ0.data(), U.data(), out.data());
  for (std::size_t j = 4; j < k; ++j) CHECK(column_is_zero(d, k, out, j));
  CHECK(orthonormality_error(d, k, out.data(), 4) < 1e-5);
}

// ---- eig_solve ----------------------------------------------------------------------------------

TEST(eig_solve_reaches_the_optimum_and_keeps_an_optimal_rotation) {
  const std::size_t d = 200, k = 20;
  const std::vector<double> lambda = gapped_spectrum(d, k);
  std::vector<float> V;
  std::vector<float> C = known_spectrum(lambda, 601, &V);
  const std::vector<float> full = C;
  poison_upper(d, C);
  const double optimum = tail_sum(lambda, k), tol = f_tolerance(lambda);
  CHECK(tol < 0.02 * (lambda[k - 1] - lambda[k]));  // the test can tell a wrong subspace

  std::vector<float> W = random_matrix(d, k, 602, 0.0005f);
  CHECK(objective(d, k, full, W) > optimum + 100 * tol);
  CHECK(eig_solve(d, k, C.data(), W.data()) == k);
  const double f = objective(d, k, full, W);
  std::printf("      eig_solve: f − f* = %.3g (tolerance %.3g)\n", f - optimum, tol);
  CHECK_NEAR(f, optimum, tol);
  CHECK(orthonormality_error(d, k, W.data(), k) < 1e-5);

  // Starting from an optimum W = V_k·Q0, the solve must return (about) the same W: the alignment
  // picks Q0 again, whatever signs and order LAPACK gave the eigenvectors.
  const std::vector<float> Vk = leading_columns(V, d, k), Q0 = random_orthonormal(k, k, 603);
  std::vector<float> start(d * k);
  blas::gemm(Op::None, Op::None, d, k, k, 1.0f, Vk.data(), Q0.data(), 0.0f, start.data());
  W = start;
  eig_solve(d, k, C.data(), W.data());
  CHECK(max_abs_difference(W, start) < 1e-4);
}

TEST(eig_solve_zeroes_the_directions_beyond_the_rank) {
  const std::size_t d = 100, k = 20, rank = 7;
  auto [C, full, lambda] = rank_deficient(701);

  // The measured noise of the computed zero eigenvalues, against the threshold.
  std::vector<float> values(k), vectors(d * k);
  lapack::symmetric_top_eigen(d, k, C.data(), values.data(), vectors.data());
  const float threshold = negligible_eigenvalue_threshold(d, values[0]);
  double noise = 0.0;
  for (std::size_t j = rank; j < k; ++j) noise = std::max(noise, std::fabs(double(values[j])));
  std::printf("      rank %zu: largest |zero eigenvalue| = %.3g, threshold d·ε·λ_max = %.3g\n", rank, noise,
              double(threshold));
  CHECK(noise < threshold);
  CHECK(values[rank - 1] > 1000 * threshold);

  std::vector<float> W = random_matrix(d, k, 702, 0.0005f);
  CHECK(eig_solve(d, k, C.data(), W.data()) == rank);
  for (std::size_t j = 0; j < k; ++j) CHECK(column_is_zero(d, k, W, j) == (j >= rank));
  CHECK(orthonormality_error(d, k, W.data(), rank) < 1e-5);
  CHECK_NEAR(objective(d, k, full, W), 0.0, f_tolerance(lambda));

  // Solving again keeps the columns in place (W is its own alignment target).
  const std::vector<float> once = W;
  eig_solve(d, k, C.data(), W.data());
  CHECK(max_abs_difference(W, once) < 1e-4);
}

TEST(the_relative_tolerance_decides_which_small_directions_are_kept) {
  const std::size_t d = 100, k = 10;
  std::vector<double> lambda(d, 0.0);
  for (std::size_t i = 0; i < 6; ++i) lambda[i] = 5.0 - 0.5 * double(i);
  lambda[6] = 2e-5;  // genuine, ~40x above the rounding noise, but below d·ε·λ_max = 6e-5
  const std::vector<float> C = known_spectrum(lambda, 751, nullptr);
  const std::vector<float> start = random_matrix(d, k, 752, 0.0005f);
  std::vector<float> W = start;
  CHECK(eig_solve(d, k, C.data(), W.data()) == 6);
  W = start;
  CHECK(eig_solve(d, k, C.data(), W.data(), 1e-6f) == 7);
  CHECK(orthonormality_error(d, k, W.data(), 7) < 1e-5);
  W = start;
  CHECK(subspace_solve(d, k, C.data(), 30, W.data(), 1e-6f) == 7);
  W = start;
  CHECK(subspace_solve(d, k, C.data(), 30, W.data()) == 6);
  CHECK(throws_code(ErrorCode::OutOfRange,
                    [&] { eig_solve(d, k, C.data(), W.data(), std::numeric_limits<float>::quiet_NaN()); }));
}

TEST(eig_and_subspace_leave_w_unchanged_when_c_is_zero) {
  const std::size_t d = 30, k = 5;
  std::vector<float> C(d * d, 0.0f);
  poison_upper(d, C);
  const std::vector<float> start = random_matrix(d, k, 801, 0.0005f);
  std::vector<float> W = start;
  CHECK(eig_solve(d, k, C.data(), W.data()) == 0);
  CHECK(W == start);
  CHECK(subspace_solve(d, k, C.data(), 3, W.data()) == 0);
  CHECK(W == start);
}

TEST(solvers_report_bad_input_and_leave_w_unchanged) {
  const std::size_t d = 30, k = 5;
  std::vector<float> C = known_spectrum(gapped_spectrum(d, k), 901, nullptr);
  const std::vector<float> start = random_matrix(d, k, 902);
  std::vector<float> W = start;
  C[4 * d + 1] = std::numeric_limits<float>::infinity();
  CHECK(throws_code(ErrorCode::Numerical, [&] { eig_solve(d, k, C.data(), W.data()); }));
  CHECK(throws_code(ErrorCode::Numerical, [&] { subspace_solve(d, k, C.data(), 2, W.data()); }));
  CHECK(W == start);
  C[4 * d + 1] = 0.0f;
  W[3] = std::numeric_limits<float>::quiet_NaN();
  CHECK(throws_code(ErrorCode::Numerical, [&] { eig_solve(d, k, C.data(), W.data()); }));
  CHECK(throws_code(ErrorCode::InvalidArgument, [&] { eig_solve(4, 5, C.data(), W.data()); }));
  CHECK(throws_code(ErrorCode::InvalidArgument, [&] { subspace_solve(4, 5, C.data(), 1, W.data()); }));
}

// ---- subspace_solve -----------------------------------------------------------------------------

TEST(subspace_solve_converges_to_the_optimum_and_agrees_with_eig) {
  const std::size_t d = 200, k = 20;
  const std::vector<double> lambda = gapped_spectrum(d, k);  // λ_{k+1}/λ_k < 0.48
  std::vector<float> C = known_spectrum(lambda, 1001, nullptr);
  const std::vector<float> full = C;
  poison_upper(d, C);
  const double optimum = tail_sum(lambda, k), tol = f_tolerance(lambda);
  const std::vector<float> start = random_matrix(d, k, 1002, 0.0005f);
  std::vector<float> W = start, E = start;
  CHECK(subspace_solve(d, k, C.data(), 40, W.data()) == k);  // 0.48^40 ≈ 2e-13
  const double f = objective(d, k, full, W);
  std::printf("      subspace_solve(40): f − f* = %.3g (tolerance %.3g)\n", f - optimum, tol);
  CHECK_NEAR(f, optimum, tol);
  CHECK(orthonormality_error(d, k, W.data(), k) < 1e-5);
  // Same subspace, same target, so the same aligned W as eig_solve.
  eig_solve(d, k, C.data(), E.data());
  CHECK(max_abs_difference(W, E) < 1e-3);
}

TEST(subspace_solve_with_few_iterations_lowers_f_monotonically) {
  const std::size_t d = 200, k = 20;
  std::vector<double> lambda(d);
  for (std::size_t i = 0; i < d; ++i) lambda[i] = std::pow(0.97, double(i));  // slow: λ_{k+1}/λ_k = 0.97
  std::vector<float> C = known_spectrum(lambda, 1101, nullptr);
  const std::vector<float> full = C;
  const double optimum = tail_sum(lambda, k), tol = f_tolerance(lambda);
  std::vector<float> W = random_matrix(d, k, 1102, 0.0005f);
  CHECK(subspace_solve(d, k, C.data(), 0, W.data()) == k);  // Rayleigh–Ritz on the start only
  double previous = objective(d, k, full, W);
  const double first = previous;
  for (int call = 0; call < 10; ++call) {
    subspace_solve(d, k, C.data(), 1, W.data());
    const double f = objective(d, k, full, W);
    CHECK(f <= previous + tol);
    CHECK(f >= optimum - tol);
    previous = f;
  }
  std::printf("      f − f*: %.4g after Rayleigh–Ritz, %.4g after 10 single iterations\n", first - optimum,
              previous - optimum);
  CHECK(previous - optimum < 0.7 * (first - optimum));
  // The same number of iterations in one call spans the same subspace.
  std::vector<float> once = random_matrix(d, k, 1102, 0.0005f);
  subspace_solve(d, k, C.data(), 10, once.data());
  CHECK_NEAR(objective(d, k, full, once), previous, 10 * tol);
}

TEST(subspace_solve_fills_dependent_and_zero_columns_so_it_cannot_get_stuck) {
  const std::size_t d = 120, k = 12;
  const std::vector<double> lambda = gapped_spectrum(d, k);
  const std::vector<float> C = known_spectrum(lambda, 1201, nullptr);
  const double optimum = tail_sum(lambda, k), tol = f_tolerance(lambda);
  // All zero; and half the columns zero or copies of another column.
  std::vector<float> zero(d * k, 0.0f), dependent = random_matrix(d, k, 1202);
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 6; j < k; ++j) dependent[i * k + j] = j % 2 == 0 ? 0.0f : dependent[i * k + 1];
  for (std::vector<float>* W : {&zero, &dependent}) {
    CHECK(subspace_solve(d, k, C.data(), 40, W->data()) == k);
    CHECK_NEAR(objective(d, k, C, *W), optimum, tol);
    CHECK(orthonormality_error(d, k, W->data(), k) < 1e-5);
  }
  // Where Householder QR alone would get stuck: for an all-zero W its Q is the first k coordinate
  // axes, an invariant subspace of a diagonal C — here the one of its smallest eigenvalues (C has
  // exactly zero rows, like layer 1's relu(−v) coordinates). Only the random fill escapes it.
  std::vector<float> D(d * d, 0.0f);
  std::vector<double> sorted(d);
  for (std::size_t i = 0; i < d; ++i) {
    const double value = i < k ? 0.0 : lambda[i - k];  // the top of the spectrum on axes k, k+1, ...
    D[i * d + i] = float(value);
    sorted[(i + d - k) % d] = value;
  }
  std::vector<float> W(d * k, 0.0f);
  CHECK(subspace_solve(d, k, D.data(), 40, W.data()) == k);
  CHECK_NEAR(objective(d, k, D, W), tail_sum(sorted, k), f_tolerance(sorted));
  // With no iteration at all the filled start must still be orthonormalised before Rayleigh–Ritz.
  std::vector<float> W0(d * k, 0.0f);
  CHECK(subspace_solve(d, k, C.data(), 0, W0.data()) == k);
  CHECK(orthonormality_error(d, k, W0.data(), k) < 1e-5);
}

TEST(subspace_solve_on_a_rank_deficient_c_zeroes_the_extra_columns) {
  const std::size_t d = 100, k = 20, rank = 7;
  auto [C, full, lambda] = rank_deficient(1301);
  std::vector<float> W = random_matrix(d, k, 1302, 0.0005f);
  CHECK(subspace_solve(d, k, C.data(), 3, W.data()) == rank);
  for (std::size_t j = 0; j < k; ++j) CHECK(column_is_zero(d, k, W, j) == (j >= rank));
  CHECK(orthonormality_error(d, k, W.data(), rank) < 1e-5);
  CHECK_NEAR(objective(d, k, full, W), 0.0, f_tolerance(lambda));
  // The rank grows (a full-rank C): the zero columns are refilled and the optimum reached.
  const std::vector<double> more = gapped_spectrum(d, k);
  const std::vector<float> C2 = known_spectrum(more, 1303, nullptr);
  CHECK(subspace_solve(d, k, C2.data(), 40, W.data()) == k);
  CHECK_NEAR(objective(d, k, C2, W), tail_sum(more, k), f_tolerance(more));
}
