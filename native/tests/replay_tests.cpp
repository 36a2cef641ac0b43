// Tests of the replayed upper statistics (issue 9): the rectified-Gaussian formulas against their
// identities and Monte Carlo, the class moments against a direct computation, and the two replays
// against each other.
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "backend/cpu/blas.hpp"
#include "core/class_moments.hpp"
#include "core/rectified_gaussian.hpp"
#include "core/replay.hpp"
#include "core/rng.hpp"
#include "core/stack.hpp"
#include "harness.hpp"

using namespace indee;

namespace {

constexpr double kPi = 3.141592653589793238462643383279502884;

// Correlated standard normal pairs (Box–Muller), for Monte Carlo checks.
struct NormalPairs {
  SplitMix64 rng{12345};
  void next(double rho, double& u, double& v) {
    const double u1 = (double(rng.next() >> 11) + 1.0) * 0x1p-53, u2 = double(rng.next() >> 11) * 0x1p-53;
    const double r = std::sqrt(-2.0 * std::log(u1));
    u = r * std::cos(2.0 * kPi * u2);
    v = rho * u + std::sqrt(1.0 - rho * rho) * r * std::sin(2.0 * kPi * u2);
  }
};

// A cumulative stack whose upper statistics are replayed.
StackConfig replaying_config(std::size_t inputs, std::size_t labels, std::vector<std::size_t> layers) {
  StackConfig config;
  config.input_size = inputs;
  config.label_size = labels;
  config.layers = std::move(layers);
  config.statistics = StatisticsMode::Cumulative;
  config.solver = Solver::Eig;
  config.upper_statistics = UpperStatistics::Replay;
  return config;
}

}  // namespace

TEST(bivariate_normal_cdf_meets_its_closed_forms_and_identities) {
  // Φ₂(0, 0; ρ) = 1/4 + asin(ρ)/2π; Φ₂(a, b; 0) = Φ(a)Φ(b); Φ₂(a, b; ρ) + Φ₂(a, −b; −ρ) = Φ(a).
  for (double rho : {-0.999, -0.95, -0.5, 0.0, 0.3, 0.9, 0.93, 0.999})
    CHECK_NEAR(bivariate_normal_cdf(0.0, 0.0, rho), 0.25 + std::asin(rho) / (2.0 * kPi), 1e-12);
  CHECK_NEAR(bivariate_normal_cdf(0.7, -1.2, 0.0), normal_cdf(0.7) * normal_cdf(-1.2), 1e-14);
  for (double rho : {-0.97, -0.6, 0.2, 0.8, 0.96})
    for (double a : {-1.5, 0.4, 2.0})
      for (double b : {-0.3, 1.1})
        CHECK_NEAR(bivariate_normal_cdf(a, b, rho) + bivariate_normal_cdf(a, -b, -rho), normal_cdf(a), 1e-10);
  // The two integration branches meet at |ρ| = 0.925 (the complement's worst case there: ~1e-8).
  for (double a : {-1.0, 0.5})
    for (double sign : {-1.0, 1.0})
      CHECK_NEAR(bivariate_normal_cdf(a, 0.8, sign * (0.925 - 1e-12)), bivariate_normal_cdf(a, 0.8, sign * (0.925 + 1e-12)), 5e-8);
  CHECK(bivariate_normal_cdf(1.0, 2.0, 1.0) == normal_cdf(1.0));
}

TEST(rectified_moments_match_monte_carlo) {
  // Each estimate is a mean of 400,000 draws: within 5 standard errors of the formula.
  const std::size_t draws = 400000;
  for (const auto& [mu_x, sigma_x, mu_y, sigma_y, rho] :
       std::vector<std::array<double, 5>>{{0.3, 1.0, -0.5, 2.0, 0.6}, {-1.0, 0.5, 0.2, 0.7, -0.8}, {0.0, 1.0, 0.0, 1.0, 0.97}, {1.5, 0.0, -0.4, 1.0, 0.0}}) {
    double formula[4];
    mirrored_products(mu_x, sigma_x, mu_y, sigma_y, rho, formula);
    NormalPairs pairs;
    double sum[4] = {}, square[4] = {}, mean_x = 0.0, square_x = 0.0;
    for (std::size_t n = 0; n < draws; ++n) {
      double u, v;
      pairs.next(rho, u, v);
      const double x = mu_x + sigma_x * u, y = mu_y + sigma_y * v;
      const double xs[2] = {std::max(x, 0.0), std::max(-x, 0.0)}, ys[2] = {std::max(y, 0.0), std::max(-y, 0.0)};
      for (int p = 0; p < 2; ++p)
        for (int q = 0; q < 2; ++q) sum[2 * p + q] += xs[p] * ys[q], square[2 * p + q] += xs[p] * ys[q] * xs[p] * ys[q];
      mean_x += xs[0], square_x += xs[0] * xs[0];
    }
    for (int i = 0; i < 4; ++i) {
      const double mean = sum[i] / draws, se = std::sqrt(std::max(0.0, square[i] / draws - mean * mean) / draws);
      CHECK_NEAR(formula[i], mean, 5.0 * se + 1e-12);
    }
    const double se_mean = std::sqrt((square_x / draws - std::pow(mean_x / draws, 2)) / draws);
    CHECK_NEAR(rectified_mean(mu_x, sigma_x), mean_x / draws, 5.0 * se_mean + 1e-12);
    CHECK_NEAR(rectified_square(mu_x, sigma_x), square_x / draws, 5.0 * std::sqrt(square_x / draws) * std::sqrt(2.0 / draws) * 3.0 + 1e-12);
  }
}

TEST(class_moments_split_the_layer_statistics_by_class) {
  // Cumulative mode: Σ_c w_c (Σ_c + (μ_c − μ)(μ_c − μ)ᵀ) / Σ w_c is the layer's own C and μ its B,
  // whatever the batches; w_c counts the class's rows.
  Stack stack(replaying_config(6, 3, {4, 2}));
  SplitMix64 rng(3);
  const std::size_t rows = 40;
  std::vector<float> x(rows * 6), y(rows * 3, 0.0f);
  for (float& v : x) v = rng.uniform();
  for (std::size_t r = 0; r < rows; ++r) y[r * 3 + r % 3] = 1.0f;
  stack.collect(x.data(), y.data(), 25, 0.0f, BatchSemantics::Sequential);
  stack.collect(x.data() + 25 * 6, y.data() + 25 * 3, 10, 0.0f, BatchSemantics::Sequential);
  stack.collect(x.data() + 35 * 6, nullptr, 5, 0.0f, BatchSemantics::Sequential);  // unlabelled: class 3

  const ClassMoments& moments = *stack.class_moments();
  const std::size_t d = moments.dim();
  CHECK(moments.weight(0) == 12.0 && moments.weight(1) == 12.0 && moments.weight(2) == 11.0 && moments.weight(3) == 5.0);
  const std::vector<float>& B = stack.layer(0).statistics().mean();
  const std::vector<float> C = stack.layer(0).statistics().second_moment();
  const ClassMomentsState state = moments.state();
  for (std::size_t i = 0; i < d; ++i) {
    double mean = 0.0;
    for (std::size_t c = 0; c < 4; ++c) mean += state.weight[c] * state.mean[c][i] / 40.0;
    CHECK_NEAR(mean, B[i], 1e-6);
    for (std::size_t j = 0; j < d; ++j) {
      double second = 0.0;
      for (std::size_t c = 0; c < 4; ++c)
        second += state.weight[c] * (state.covariance[c][i * d + j] + (state.mean[c][i] - mean) * (state.mean[c][j] - mean)) / 40.0;
      CHECK_NEAR(second, C[i * d + j], 1e-5);
    }
  }
  // Upper layers collect nothing: their statistics are derived at learn.
  CHECK(stack.layer(1).statistics().count() == 0.0);
}

TEST(class_moments_moving_average_weighs_rows_as_the_row_by_row_recursion) {
  // Two classes; rows collected in one batch and one by one give the same moments.
  const std::size_t d = 4, m = 7;
  std::vector<float> e(m * d);
  SplitMix64 rng(9);
  for (float& v : e) v = rng.uniform();
  const std::uint32_t classes[m] = {0, 1, 1, 0, 0, 1, 0};
  ClassMoments batch(d, 2), rows(d, 2);
  batch.collect(e.data(), classes, m, StatisticsMode::MovingAverage, 0.2f);
  for (std::size_t j = 0; j < m; ++j) rows.collect(e.data() + j * d, classes + j, 1, StatisticsMode::MovingAverage, 0.2f);
  // Direct: class c's weights a_j = α(1−α)^(m−1−j) (α = 0.2f as a double); mean and covariance weighted by them.
  const double alpha = 0.2f;
  for (std::uint32_t c = 0; c < 2; ++c) {
    double w = 0.0;
    std::vector<double> mean(d, 0.0);
    for (std::size_t j = 0; j < m; ++j)
      if (classes[j] == c) {
        const double a = alpha * std::pow(1.0 - alpha, double(m - 1 - j));
        w += a;
        for (std::size_t i = 0; i < d; ++i) mean[i] += a * e[j * d + i];
      }
    for (double& v : mean) v /= w;
    CHECK_NEAR(batch.weight(c), w, 1e-12);
    CHECK_NEAR(rows.weight(c), w, 1e-12);
    for (std::size_t i = 0; i < d; ++i) {
      CHECK_NEAR(batch.mean(c)[i], mean[i], 1e-6);
      CHECK_NEAR(rows.mean(c)[i], mean[i], 1e-6);
      for (std::size_t k = 0; k <= i; ++k) {
        double cov = 0.0;
        for (std::size_t j = 0; j < m; ++j)
          if (classes[j] == c) cov += alpha * std::pow(1.0 - alpha, double(m - 1 - j)) * (e[j * d + i] - mean[i]) * (e[j * d + k] - mean[k]);
        CHECK_NEAR(batch.covariance_lower(c)[i * d + k], cov / w, 1e-6);
        CHECK_NEAR(rows.covariance_lower(c)[i * d + k], cov / w, 1e-6);
      }
    }
  }
}

TEST(sampled_replay_and_moment_propagation_derive_the_same_statistics) {
  // Both start from the same Gaussians of the first code; one layer up, sampling (100,000 draws per
  // class) and the closed form must agree to sampling accuracy.
  Stack stack(replaying_config(8, 2, {5, 3}));
  SplitMix64 rng(5);
  const std::size_t rows = 200;
  std::vector<float> x(rows * 8), y(rows * 2, 0.0f);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t i = 0; i < 8; ++i) x[r * 8 + i] = rng.uniform() * (r % 2 == 0 ? 1.0f : 0.5f) + (i == r % 8 ? 0.5f : 0.0f);
    y[r * 2 + r % 2] = 1.0f;
  }
  stack.collect(x.data(), y.data(), rows, 0.0f, BatchSemantics::Sequential);
  stack.learn(1);

  Layer sampled = stack.layer(1), propagated = stack.layer(1);
  SampledReplay replay(100000);
  MomentPropagation moments;
  replay.start(stack.layer(0), *stack.class_moments());
  moments.start(stack.layer(0), *stack.class_moments());
  replay.derive_statistics(sampled, 200.0);
  moments.derive_statistics(propagated, 200.0);
  const std::size_t d = sampled.mirrored_size();
  const std::vector<float> Cs = sampled.statistics().second_moment(), Cm = propagated.statistics().second_moment();
  double scale = 0.0;
  for (float v : Cm) scale = std::max(scale, double(std::fabs(v)));
  // Sampling error of a second moment over 200,000 draws: about scale·√(2/200000) ≈ 0.003·scale.
  for (std::size_t i = 0; i < d; ++i) {
    CHECK_NEAR(sampled.statistics().mean()[i], propagated.statistics().mean()[i], 0.01 * std::sqrt(scale));
    for (std::size_t j = 0; j < d; ++j) CHECK_NEAR(Cs[i * d + j], Cm[i * d + j], 0.015 * scale);
  }
  CHECK(sampled.bias() == sampled.statistics().mean());
  CHECK(propagated.statistics().count() == 200.0);
}
