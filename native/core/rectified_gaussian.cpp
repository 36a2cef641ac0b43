#include "rectified_gaussian.hpp"

#include <algorithm>
#include <cmath>

namespace indee {
namespace {

constexpr double kPi = 3.141592653589793238462643383279502884;
constexpr double kSqrtHalf = 0.707106781186547524400844362104849039;

// 20-point Gauss–Legendre on [−1, 1]: the positive nodes and their weights.
constexpr double kNodes[10] = {0.0765265211334973, 0.2277858511416451, 0.3737060887154195, 0.5108670019508271,
                               0.6360536807265150, 0.7463319064601508, 0.8391169718222188, 0.9122344282513259,
                               0.9639719272779138, 0.9931285991850949};
constexpr double kWeights[10] = {0.1527533871307258, 0.1491729864726037, 0.1420961093183820, 0.1316886384491766,
                                 0.1181945319615184, 0.1019301198172404, 0.0832767415767048, 0.0626720483341091,
                                 0.0406014298003869, 0.0176140071391521};

// (1/2π) ∫_lo^hi exp(−(a² + b² − 2ab sin θ) / (2 cos² θ)) dθ: dΦ₂/dρ = φ₂ integrated along ρ = sin θ.
double angle_integral(double a, double b, double lo, double hi) {
  const double half = 0.5 * (hi - lo), mid = 0.5 * (hi + lo);
  double sum = 0.0;
  for (int i = 0; i < 10; ++i)
    for (double sign : {-1.0, 1.0}) {
      const double theta = mid + sign * half * kNodes[i];
      const double sin_t = std::sin(theta), cos2 = 1.0 - sin_t * sin_t;
      sum += kWeights[i] * std::exp(-(a * a + b * b - 2.0 * a * b * sin_t) / (2.0 * cos2));
    }
  return sum * half / (2.0 * kPi);
}

// E[relu(X) relu(Y)] from the formula in the header, given P = Φ₂(a, b; ρ); σx, σy > 0, |ρ| < 1.
double positive_product(double mu_x, double sigma_x, double mu_y, double sigma_y, double rho, double P) {
  const double a = mu_x / sigma_x, b = mu_y / sigma_y, s = std::sqrt(1.0 - rho * rho);
  const double phi_a = normal_pdf(a), phi_b = normal_pdf(b);
  const double cdf_ba = normal_cdf((b - rho * a) / s), cdf_ab = normal_cdf((a - rho * b) / s);
  const double e_u = phi_a * cdf_ba + rho * phi_b * cdf_ab;
  const double e_v = phi_b * cdf_ab + rho * phi_a * cdf_ba;
  const double e_uv = rho * P - rho * a * phi_a * cdf_ba - rho * b * phi_b * cdf_ab + s * phi_a * normal_pdf((b - rho * a) / s);
  return mu_x * mu_y * P + mu_x * sigma_y * e_v + mu_y * sigma_x * e_u + sigma_x * sigma_y * e_uv;
}

}  // namespace

double normal_cdf(double x) { return 0.5 * std::erfc(-x * kSqrtHalf); }
double normal_pdf(double x) { return 0.3989422804014326779399460599343819 * std::exp(-0.5 * x * x); }

double bivariate_normal_cdf(double a, double b, double rho) {
  rho = std::clamp(rho, -1.0, 1.0);
  if (rho > 0.925) return normal_cdf(std::min(a, b)) - angle_integral(a, b, std::asin(rho), 0.5 * kPi);
  if (rho < -0.925)
    return std::max(0.0, normal_cdf(a) - normal_cdf(-b)) + angle_integral(a, b, -0.5 * kPi, std::asin(rho));
  return normal_cdf(a) * normal_cdf(b) + angle_integral(a, b, 0.0, std::asin(rho));
}

double rectified_mean(double mu, double sigma) {
  if (!(sigma > 0.0)) return std::max(mu, 0.0);
  const double a = mu / sigma;
  return mu * normal_cdf(a) + sigma * normal_pdf(a);
}

double rectified_square(double mu, double sigma) {
  if (!(sigma > 0.0)) return mu > 0.0 ? mu * mu : 0.0;
  const double a = mu / sigma;
  return (mu * mu + sigma * sigma) * normal_cdf(a) + mu * sigma * normal_pdf(a);
}

void mirrored_products(double mu_x, double sigma_x, double mu_y, double sigma_y, double rho, double out[4]) {
  // A constant factor (σ = 0) times the other's rectified mean.
  if (!(sigma_x > 0.0) || !(sigma_y > 0.0)) {
    for (int p = 0; p < 2; ++p)
      for (int q = 0; q < 2; ++q) {
        const double x = p == 0 ? mu_x : -mu_x, y = q == 0 ? mu_y : -mu_y;
        out[2 * p + q] = sigma_x > 0.0 ? std::max(y, 0.0) * rectified_mean(x, sigma_x) : std::max(x, 0.0) * rectified_mean(y, sigma_y);
      }
    return;
  }
  // Keep s = √(1 − ρ²) away from 0, where the formula divides by it; the moments are continuous in ρ.
  rho = std::clamp(rho, -1.0 + 1e-9, 1.0 - 1e-9);
  const double a = mu_x / sigma_x, b = mu_y / sigma_y;
  const double P = bivariate_normal_cdf(a, b, rho), Pa = normal_cdf(a), Pb = normal_cdf(b);
  // Φ₂ with flipped signs: Φ₂(a, −b; −ρ) = Φ(a) − P, Φ₂(−a, b; −ρ) = Φ(b) − P, Φ₂(−a, −b; ρ) = 1 − Φ(a) − Φ(b) + P.
  out[0] = positive_product(mu_x, sigma_x, mu_y, sigma_y, rho, P);
  out[1] = positive_product(mu_x, sigma_x, -mu_y, sigma_y, -rho, std::max(0.0, Pa - P));
  out[2] = positive_product(-mu_x, sigma_x, mu_y, sigma_y, -rho, std::max(0.0, Pb - P));
  out[3] = positive_product(-mu_x, sigma_x, -mu_y, sigma_y, rho, std::max(0.0, 1.0 - Pa - Pb + P));
}

}  // namespace indee
