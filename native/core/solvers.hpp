// Fast solvers of the layer objective (ALGORITHM.md, "Learn"):
//   f(W) = tr((I − WWᵀ) C (I − WWᵀ)),  C symmetric positive semi-definite (d x d), W d x k, k ≤ d.
// Its minimisers are W = U_k·Q: U_k the top-k eigenvectors of C, Q any orthogonal k x k matrix, and
// the minimum is Σ_{i>k} λ_i. The rotation Q does not change f but does change the code fed to the
// next layer, so every solver ends by rotating its new orthonormal basis onto the W it replaces
// (orthogonal Procrustes), which keeps each code unit as close as possible to what it was.
//
// Conventions: row-major; C is read in its LOWER triangle only (the upper one may hold anything);
// W is d x k, read as the previous weights and overwritten by the solution. Workspaces are
// allocated once per call, never inside a loop. Failures throw indee::Error; nothing aborts. On a
// throw, W is unchanged.
//
// Negligible directions. While rank(C) < k the eigenvectors beyond the rank are arbitrary
// (REFERENCE-RESULTS, "Numerics"): decoding them would inject noise. A direction counts as
// negligible when its eigenvalue (or Ritz value) λ satisfies λ ≤ τ = d·ε·λ_max by default (ε = 2⁻²³,
// float32's machine epsilon; λ ≤ 0 is always negligible, C being PSD). Why d·ε·λ_max: a
// backward-stable symmetric eigensolver in float32 returns each eigenvalue of C with an absolute
// error bounded by about p(d)·ε·‖C‖₂ (= p(d)·ε·λ_max for PSD C; p(d) ~ d in the worst-case analysis
// of Householder tridiagonalisation), and C itself, accumulated in float32, carries errors of the same
// order; so an eigenvalue at or below d·ε·λ_max cannot be told from zero. It is also the rule of
// numpy.linalg.matrix_rank (σ_max·max(m, n)·ε). Measured: the computed "zero" eigenvalues of exactly
// rank-deficient matrices sit two orders of magnitude or more below τ (d = 100: 5.5e-7 vs 6.0e-5;
// d = 1588: 3.9e-7 vs 1.3e-4, about 5·ε·λ_max). The price of the margin: a genuine direction with
// 0 < λ ≤ τ is zeroed too, raising f by λ ≤ τ. With uncentred statistics λ_max (the mean direction)
// is large, so τ can reach genuine small eigenvalues; pass relative_tolerance to choose another
// rule (τ = relative_tolerance·λ_max; 0 zeroes only λ ≤ 0, i.e. keeps the rounding-noise directions).

// Zeroing and alignment (the solvers' shared last step). The significant directions are the first r
// columns of the basis (descending eigenvalue order). They are rotated by the r x r Procrustes rotation
// onto the first r columns of the previous W, and columns r..k−1 of the result are zero. The
// arbitrary directions therefore never enter the rotation (aligning all k then zeroing would mix
// them into every column, and the result would depend on LAPACK's arbitrary choice), and since the
// solvers zero trailing columns, a W that came out of an earlier solve has its zero columns in the
// same places: as the rank grows, the columns already in use stay aligned and new ones appear at
// the end. The first r columns of the result are orthonormal and span the significant subspace, so
// f is optimal (eig) or the Ritz optimum (subspace) whichever the rank.
#pragma once

#include <cstddef>
#include <cstdint>

namespace indee {

// The relative tolerance that selects the default rule, d·ε.
constexpr float kDefaultRelativeTolerance = -1.0f;

// τ = max(0, t·λ_max) with t = relative_tolerance, or t = d·ε (ε = float32 machine epsilon) when
// relative_tolerance is negative (the default): eigenvalues λ ≤ τ are negligible (see above).
float negligible_eigenvalue_threshold(std::size_t d, float lambda_max,
                                      float relative_tolerance = kDefaultRelativeTolerance);

// The seed of the random directions subspace_solve puts in place of dependent starting columns.
// Fixed, so that a solve is reproducible; the same directions are drawn on every call.
constexpr std::uint64_t kSubspaceFillSeed = 0x5EEDF111ULL;

// Orthogonal Procrustes: W_out = U·Q with Q = argmin over orthogonal k x k Q of ‖U·Q − W_prev‖_F
// = A·Bᵀ, where UᵀW_prev = A·Σ·Bᵀ (SVD of a k x k matrix; sgesdd with an sgesvd fallback).
// U, W_prev, W_out: d x k row-major. W_out may be the same array as W_prev (it is written last),
// but must not overlap U. When U has orthonormal columns, so has W_out.
// Cost: UᵀW_prev 2dk² + SVD ≈ 22k³ + A·Bᵀ 2k³ + U·Q 2dk² flops.
void procrustes_align(std::size_t d, std::size_t k, const float* U, const float* W_prev, float* W_out);

// The same restricted to the leading r ≤ k columns: columns 0..r−1 of W_out are U's first r columns
// rotated by the r x r Procrustes rotation onto W_prev's first r columns; columns r..k−1 are zero.
// Same aliasing rules and cost (with the SVD on r x r) as procrustes_align, which is r = k.
void procrustes_align_leading(std::size_t d, std::size_t k, std::size_t r, const float* U, const float* W_prev,
                              float* W_out);

// W ← the top-k eigenvectors of C (ssyevr), negligible ones zeroed, Procrustes-aligned onto the W
// passed in (see the header comment). Returns r, the number of significant columns kept.
// If C is exactly zero (nothing collected yet), or has no eigenvalue above the threshold, W is left
// unchanged — there is nothing to learn, and zeroing W would destroy the initial weights — and 0
// is returned. Throws InvalidArgument when k > d, Numerical when C (lower triangle) or W holds
// NaN/Inf or LAPACK fails.
// Cost: scan of C d² + ssyevr (4/3·d³ tridiagonalisation + 2d²k back-transformation + O(dk)..O(dk²)
// for the eigenvectors of the tridiagonal matrix) + alignment 4dk² + O(k³).
std::size_t eig_solve(std::size_t d, std::size_t k, const float* C_lower, float* W,
                      float relative_tolerance = kDefaultRelativeTolerance);

// Orthogonal (subspace) iteration warm-started from the current W:
//   X = orth(W), with any (numerically) dependent or zero column of W — |R_jj| ≤ d·ε·max_j ‖w_j‖ in
//       its QR — replaced by a random direction (SplitMix64(kSubspaceFillSeed), entries uniform in
//       [−1, 1)) so that the iteration cannot get stuck in a smaller subspace;
//   repeat `iterations` times: Y = C·X (blas::symm); X = orth(Y) (Householder QR);
//   Rayleigh–Ritz: T = XᵀCX (k x k), T = Z·diag(θ)·Zᵀ (θ descending), X ← X·Z (the Ritz basis);
//   zero the negligible Ritz directions (θ ≤ τ(θ_max), θ_max ≤ λ_max) and align onto the W passed in,
//   as eig_solve.
// iterations = 0 is allowed: the Rayleigh–Ritz step on span(W) alone. After t iterations the span
// error of direction i ≤ k decays like (λ_{k+1}/λ_i)^t. Returns r as eig_solve; C exactly zero (or no
// Ritz value above the threshold) leaves W unchanged and returns 0. Errors as eig_solve.
// Cost: scan of C d² + start 4dk² (QR, twice if a column is filled)
//       + per iteration 2d²k (symm) + 4dk² − 4k³/3 (QR: sgeqrf + sorgqr)
//       + Rayleigh–Ritz 2d²k + 2dk² + O(k³) + rotation 2dk² + alignment 4dk² + O(k³).
std::size_t subspace_solve(std::size_t d, std::size_t k, const float* C_lower, std::size_t iterations, float* W,
                           float relative_tolerance = kDefaultRelativeTolerance);

}  // namespace indee
