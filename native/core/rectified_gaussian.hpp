// Moments of rectified Gaussians, in closed form: what the mirroring ReLU does to the first two
// moments of a Gaussian code (moment propagation, replay.hpp). For (X, Y) bivariate normal with
// means μx, μy, standard deviations σx, σy > 0 and correlation ρ, with a = μx/σx, b = μy/σy and
// s = √(1 − ρ²) (Rosenbaum 1961, moments of the truncated bivariate normal):
//   E[relu(X)]         = μx Φ(a) + σx φ(a)
//   E[relu(X)²]        = (μx² + σx²) Φ(a) + μx σx φ(a)
//   E[relu(X) relu(Y)] = μx μy P + μx σy E_V + μy σx E_U + σx σy E_UV, where, for the standard
//     U = (X − μx)/σx, V = (Y − μy)/σy and the event A = {X > 0, Y > 0}:
//     P    = Pr(A)     = Φ₂(a, b; ρ)
//     E_U  = E[U 1_A]  = φ(a) Φ((b − ρa)/s) + ρ φ(b) Φ((a − ρb)/s)
//     E_V  = E[V 1_A]  = φ(b) Φ((a − ρb)/s) + ρ φ(a) Φ((b − ρa)/s)
//     E_UV = E[UV 1_A] = ρ P − ρ a φ(a) Φ((b − ρa)/s) − ρ b φ(b) Φ((a − ρb)/s) + s φ(a) φ((b − ρa)/s).
// relu(−X) is relu of −X ~ N(−μx, σx²): the other three products of a mirrored pair flip the signs
// of a, b and ρ, and Φ₂ of the flipped arguments follows from one Φ₂ (see mirrored_products).
#pragma once

namespace indee {

double normal_cdf(double x);  // Φ
double normal_pdf(double x);  // φ

// Φ₂(a, b; ρ) = Pr(U ≤ a, V ≤ b) for standard normals with correlation ρ ∈ [−1, 1], to about 1e-11
// (1e-8 at worst, just beyond |ρ| = 0.925, far below float32 statistics' rounding):
// Drezner and Wesolowsky's integral over θ ∈ [0, asin ρ] by 20-point Gauss–Legendre, or, for |ρ| >
// 0.925, its complement from the limit ρ = ±1, where the integrand is smooth.
double bivariate_normal_cdf(double a, double b, double rho);

// E[relu(X)] and E[relu(X)²] for X ~ N(μ, σ²), σ ≥ 0.
double rectified_mean(double mu, double sigma);
double rectified_square(double mu, double sigma);

// The four products of the mirrored pairs of X and Y: out[2p + q] = E[relu(±X) relu(±Y)] with the
// sign + for p, q = 0 and − for 1 (the layout of mirror(): relu(v) then relu(−v)). σx, σy ≥ 0;
// a zero σ makes that variable a constant.
void mirrored_products(double mu_x, double sigma_x, double mu_y, double sigma_y, double rho, double out[4]);

}  // namespace indee
