// Tests of the MLP baseline (core/baselines/mlp.hpp): its gradient against float64 finite
// differences, the gemm form of the per-row Fisher against a per-row loop, learning a separable
// toy problem, EWC holding the weights, and its errors.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/baselines/mlp.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "harness.hpp"

using namespace indee;

namespace {

constexpr double kUnit = 1.0 / 16777216.0;  // 2⁻²⁴: float32's unit roundoff

std::vector<float> uniform_values(std::size_t count, std::uint64_t seed, float low, float high) {
  SplitMix64 rng(seed);
  std::vector<float> v(count);
  for (float& x : v) x = low + (high - low) * rng.uniform();
  return v;
}

std::vector<std::int32_t> cyclic_labels(std::size_t m, std::size_t classes, std::size_t shift = 0) {
  std::vector<std::int32_t> y(m);
  for (std::size_t r = 0; r < m; ++r) y[r] = std::int32_t((r * 7 + shift) % classes);
  return y;
}

// The mean cross-entropy (plus the EWC penalty without its constant, when `penalty`) in float64,
// by direct loops over the layout of Mlp::parameters().
double reference_loss(const Mlp& net, const std::vector<double>& theta, const float* x, const std::int32_t* labels,
                      std::size_t m, bool penalty, std::vector<double>* logits = nullptr) {
  const auto& n = net.sizes();
  double total = 0.0;
  for (std::size_t r = 0; r < m; ++r) {
    std::vector<double> a(x + r * n[0], x + (r + 1) * n[0]);
    for (std::size_t l = 0; l < net.depth(); ++l) {
      std::vector<double> z(n[l + 1]);
      for (std::size_t j = 0; j < n[l + 1]; ++j) {
        double s = theta[net.bias_offset(l) + j];
        for (std::size_t i = 0; i < n[l]; ++i) s += a[i] * theta[net.weight_offset(l) + i * n[l + 1] + j];
        z[j] = l + 1 < net.depth() ? std::max(s, 0.0) : s;
      }
      a = z;
    }
    if (logits) logits->insert(logits->end(), a.begin(), a.end());
    const double top = *std::max_element(a.begin(), a.end());
    double sum = 0.0;
    for (double v : a) sum += std::exp(v - top);
    total += std::log(sum) - (a[std::size_t(labels[r])] - top);
  }
  double loss = total / double(m);
  if (penalty && !net.importance().empty()) {
    double p = 0.0;
    for (std::size_t i = 0; i < theta.size(); ++i)
      p += double(net.importance()[i]) * theta[i] * theta[i] - 2.0 * double(net.anchor()[i]) * theta[i];
    loss += 0.5 * double(net.lambda()) * p;
  }
  return loss;
}

std::vector<double> widen(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

// Three well separated 2-D blobs: class c centred at radius 3, angle 2πc/3, spread uniformly in a
// square of half-width 1 (the centres are 3√3 ≈ 5.2 apart, so the classes never overlap).
// `relabel` maps each blob to its label (a conflicting second task permutes them).
void blobs(std::size_t m, std::uint64_t seed, const std::int32_t relabel[3], std::vector<float>& x,
           std::vector<std::int32_t>& y) {
  SplitMix64 rng(seed);
  x.resize(2 * m);
  y.resize(m);
  for (std::size_t r = 0; r < m; ++r) {
    const std::size_t c = rng.next() % 3;
    const double angle = 2.0 * M_PI * double(c) / 3.0;
    x[2 * r] = float(3.0 * std::cos(angle) + (2.0 * rng.uniform() - 1.0));
    x[2 * r + 1] = float(3.0 * std::sin(angle) + (2.0 * rng.uniform() - 1.0));
    y[r] = relabel[c];
  }
}

double accuracy(Mlp& net, const std::vector<float>& x, const std::vector<std::int32_t>& y) {
  const std::size_t m = y.size(), k = net.outputs();
  std::vector<float> z(m * k);
  net.logits(x.data(), m, z.data());
  std::size_t right = 0;
  for (std::size_t r = 0; r < m; ++r)
    right += std::size_t(std::max_element(z.begin() + std::ptrdiff_t(r * k), z.begin() + std::ptrdiff_t((r + 1) * k)) -
                         (z.begin() + std::ptrdiff_t(r * k))) == std::size_t(y[r]);
  return double(right) / double(m);
}

void train(Mlp& net, const std::vector<float>& x, const std::vector<std::int32_t>& y, std::size_t steps,
           std::size_t batch) {
  const std::size_t m = y.size();
  for (std::size_t s = 0; s < steps; ++s) {
    const std::size_t start = (s * batch) % (m - batch + 1);
    net.train_batch(x.data() + 2 * start, y.data() + start, batch);
  }
}

// Σ_i F_i (θ_i − θ*_i)²: how far θ moved in the directions the first task cares about.
double fisher_distance(const std::vector<float>& f, const std::vector<float>& theta, const std::vector<float>& anchor) {
  double d = 0.0;
  for (std::size_t i = 0; i < f.size(); ++i) d += double(f[i]) * (double(theta[i]) - anchor[i]) * (double(theta[i]) - anchor[i]);
  return d;
}

template <class Body>
bool throws_code(ErrorCode code, Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.code() == code;
  }
  return false;
}

}  // namespace

TEST(mlp_he_uniform_initialisation) {
  Mlp a({50, 30, 4}, 11), b({50, 30, 4}, 11), c({50, 30, 4}, 12);
  CHECK(a.parameters() == b.parameters());
  CHECK(a.parameters() != c.parameters());
  CHECK(a.parameter_count() == 50 * 30 + 30 + 30 * 4 + 4);
  for (std::size_t l = 0; l < a.depth(); ++l) {
    const std::size_t n_in = a.sizes()[l], n_out = a.sizes()[l + 1];
    const double limit = std::sqrt(6.0 / double(n_in));
    double sq = 0.0;
    for (std::size_t i = 0; i < n_in * n_out; ++i) {
      const double w = a.parameters()[a.weight_offset(l) + i];
      CHECK(std::fabs(w) <= limit);
      sq += w * w;
    }
    // Var U(−s, s) = s²/3 = 2/n_in (He); the sample of ≥ 120 weights is within 30%.
    CHECK_NEAR(sq / double(n_in * n_out), 2.0 / double(n_in), 0.3 * 2.0 / double(n_in));
    for (std::size_t j = 0; j < n_out; ++j) CHECK(a.parameters()[a.bias_offset(l) + j] == 0.0f);
  }
}

// The analytic float32 gradient (backprop + the EWC term) against central differences of the loss
// computed in float64 from the same float32 parameters and inputs.
//   Finite-difference error (float64, h = 1e-6): truncation h²/6·|L'''| ≲ 1e-12, cancellation
//   ε₆₄·|L|/h ≲ 1e-9 (L ≲ 10).
//   float32 error of each analytic entry: it is formed by chains of at most
//   K = m + Σ n_l + 10 roundings (a sum over the m rows, inner products over each width, and the
//   softmax/log/scale steps), each ≤ 2⁻²⁴ relative to the magnitudes summed, which are bounded by
//   S = max(max|g|, max λ|Aθ|, max λ|B|). Tolerance: 4·K·2⁻²⁴·S + 1e-8, a 4× margin on that bound.
TEST(mlp_gradient_matches_float64_finite_differences) {
  Mlp net({3, 5, 4, 3}, 21, 0.01f);
  const std::size_t m = 6;
  // Non-zero biases, so that their gradient is exercised at a generic point.
  std::vector<float> theta = net.parameters();
  const std::vector<float> noise = uniform_values(theta.size(), 5, -0.3f, 0.3f);
  for (std::size_t l = 0; l < net.depth(); ++l)
    for (std::size_t j = 0; j < net.sizes()[l + 1]; ++j) theta[net.bias_offset(l) + j] += noise[net.bias_offset(l) + j];
  net.set_parameters(theta);
  const std::vector<float> x = uniform_values(m * 3, 6, -1.5f, 1.5f);
  const std::vector<std::int32_t> y = cyclic_labels(m, 3);

  for (int with_penalty = 0; with_penalty < 2; ++with_penalty) {
    if (with_penalty) {
      // A Fisher from other data at the current θ, then θ moved away from that anchor.
      const std::vector<float> x2 = uniform_values(8 * 3, 7, -1.0f, 1.0f);
      const std::vector<std::int32_t> y2 = cyclic_labels(8, 3, 1);
      net.consolidate(x2.data(), y2.data(), 8, 3.0f);
      std::vector<float> moved = net.parameters();
      const std::vector<float> shift = uniform_values(moved.size(), 8, -0.2f, 0.2f);
      for (std::size_t i = 0; i < moved.size(); ++i) moved[i] += shift[i];
      net.set_parameters(moved);
    }
    std::vector<float> g(net.parameter_count());
    const double loss = net.gradient(x.data(), y.data(), m, g.data());
    std::vector<double> t = widen(net.parameters());
    CHECK_NEAR(loss, reference_loss(net, t, x.data(), y.data(), m, false), 1e-5);

    double scale = 0.0;
    for (std::size_t i = 0; i < g.size(); ++i) {
      scale = std::max(scale, double(std::fabs(g[i])));
      if (with_penalty)
        scale = std::max({scale, double(net.lambda()) * std::fabs(net.importance()[i] * t[i]),
                          double(net.lambda()) * std::fabs(net.anchor()[i])});
    }
    const double chain = double(m + 3 + 5 + 4 + 3 + 10);
    const double tolerance = 4.0 * chain * kUnit * scale + 1e-8;
    const double h = 1e-6;
    double worst = 0.0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const double keep = t[i];
      t[i] = keep + h;
      const double up = reference_loss(net, t, x.data(), y.data(), m, with_penalty);
      t[i] = keep - h;
      const double down = reference_loss(net, t, x.data(), y.data(), m, with_penalty);
      t[i] = keep;
      const double numeric = (up - down) / (2.0 * h);
      worst = std::max(worst, std::fabs(numeric - g[i]));
      CHECK_NEAR(g[i], numeric, tolerance);
    }
    CHECK(scale > 0.01);  // the comparison is not vacuous
    std::cout << "  gradient check" << (with_penalty ? " (with EWC)" : "") << ": worst |error| " << worst
              << ", tolerance " << tolerance << "\n";
  }
}

// F from the gemm on squared activations and deltas against a loop over rows: each row's gradient
// of −log p(y|x) (a batch of one), squared and averaged in float64. The rows span two of
// consolidate's 1024-row chunks. Both sides are sums of non-negative terms, whose float32 error is
// bounded relative to the sum itself: ≤ (1024 + 20)·2⁻²⁴ for a chunk's gemm (its length plus the
// per-row rounding of a², δ², and δ's own chain), so a relative tolerance of 4× that, plus 1e-7 of
// the largest entry for the signed sums inside each δ.
TEST(mlp_fisher_gemm_equals_per_row_loop) {
  Mlp net({4, 6, 5, 3}, 31);
  const std::size_t m = 1500;
  const std::vector<float> x = uniform_values(m * 4, 9, -1.0f, 1.0f);
  const std::vector<std::int32_t> y = cyclic_labels(m, 3);
  std::vector<float> f(net.parameter_count());
  net.fisher(x.data(), y.data(), m, f.data());

  std::vector<double> naive(net.parameter_count(), 0.0);
  std::vector<float> g(net.parameter_count());
  for (std::size_t r = 0; r < m; ++r) {
    net.gradient(x.data() + r * 4, y.data() + r, 1, g.data());
    for (std::size_t i = 0; i < g.size(); ++i) naive[i] += double(g[i]) * g[i];
  }
  double largest = 0.0;
  for (double& v : naive) largest = std::max(largest, v /= double(m));
  CHECK(largest > 1e-3);
  double worst = 0.0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const double tolerance = 4.0 * (1024 + 20) * kUnit * naive[i] + 1e-7 * largest;
    worst = std::max(worst, std::fabs(f[i] - naive[i]) / (tolerance));
    CHECK_NEAR(f[i], naive[i], tolerance);
  }
  std::cout << "  Fisher: worst error / tolerance " << worst << "\n";

  // consolidate adds F to A and F∘θ to B, and sets λ.
  const std::vector<float> theta = net.parameters();
  net.consolidate(x.data(), y.data(), m, 2.5f);
  CHECK(net.lambda() == 2.5f);
  CHECK(net.importance() == f);
  for (std::size_t i = 0; i < f.size(); ++i) CHECK(net.anchor()[i] == f[i] * theta[i]);
  CHECK_NEAR(net.penalty(), 0.0, 1e-6);  // at θ = θ*
  net.consolidate(x.data(), y.data(), m, 1.0f);
  for (std::size_t i = 0; i < f.size(); ++i) CHECK(net.importance()[i] == f[i] + f[i]);
}

TEST(mlp_train_batch_reports_the_loss_and_predictions_before_the_step) {
  Mlp net({3, 8, 4}, 41, 0.01f);
  const std::size_t m = 10;
  const std::vector<float> x = uniform_values(m * 3, 10, -1.0f, 1.0f);
  const std::vector<std::int32_t> y = cyclic_labels(m, 4);
  std::vector<double> z;
  const std::vector<double> before = widen(net.parameters());
  const double expected = reference_loss(net, before, x.data(), y.data(), m, false, &z);
  std::vector<std::int32_t> predicted(m, -1);
  const double loss = net.train_batch(x.data(), y.data(), m, predicted.data());
  CHECK_NEAR(loss, expected, 1e-5);
  for (std::size_t r = 0; r < m; ++r)
    CHECK(predicted[r] == std::int32_t(std::max_element(z.begin() + std::ptrdiff_t(4 * r), z.begin() + std::ptrdiff_t(4 * r + 4)) -
                                       (z.begin() + std::ptrdiff_t(4 * r))));
  CHECK(net.steps() == 1);
  CHECK(widen(net.parameters()) != before);
  // logits (chunked past 1024 rows) against the float64 forward pass.
  const std::size_t big = 1300;
  const std::vector<float> xb = uniform_values(big * 3, 11, -1.0f, 1.0f);
  std::vector<float> out(big * 4);
  net.logits(xb.data(), big, out.data());
  std::vector<double> zb;
  reference_loss(net, widen(net.parameters()), xb.data(), cyclic_labels(big, 4).data(), big, false, &zb);
  for (std::size_t i = 0; i < out.size(); ++i) CHECK_NEAR(out[i], zb[i], 1e-5 * std::max(1.0, std::fabs(zb[i])));
}

TEST(mlp_learns_a_separable_toy_problem) {
  const std::int32_t identity[3] = {0, 1, 2};
  std::vector<float> x, xt;
  std::vector<std::int32_t> y, yt;
  blobs(600, 1, identity, x, y);
  blobs(300, 2, identity, xt, yt);
  Mlp net({2, 16, 3}, 3, 0.01f);
  train(net, x, y, 300, 32);
  const double acc = accuracy(net, xt, yt);
  std::cout << "  toy accuracy " << acc << "\n";
  CHECK(acc > 0.95);
}

// Task 2 relabels task 1's blobs (a direct conflict). After consolidating task 1 with a huge λ,
// training on task 2 keeps θ near θ* in the Fisher metric Σ F_i (θ_i − θ*_i)²; with λ = 0
// (fine-tuning) θ moves away and task 1 is forgotten. Task 1 is trained only until it is solved
// (30 steps): trained to saturation, p(y|x) → 1 makes its empirical Fisher vanish (δ = p − y → 0),
// the known weakness of the empirical Fisher, and λ would have to grow to match.
TEST(mlp_ewc_huge_lambda_holds_the_weights) {
  const std::int32_t first[3] = {0, 1, 2}, second[3] = {1, 2, 0};
  std::vector<float> x1, x2;
  std::vector<std::int32_t> y1, y2;
  blobs(600, 1, first, x1, y1);
  blobs(600, 4, second, x2, y2);
  double distance[2] = {0.0, 0.0}, moved[2] = {0.0, 0.0}, kept[2] = {0.0, 0.0};
  const float lambdas[2] = {0.0f, 1e7f};
  for (int k = 0; k < 2; ++k) {
    Mlp net({2, 16, 3}, 3, 0.01f);
    train(net, x1, y1, 30, 32);
    CHECK(accuracy(net, x1, y1) > 0.95);
    const std::vector<float> anchor = net.parameters();
    net.consolidate(x1.data(), y1.data(), y1.size(), lambdas[k]);
    const std::vector<float> f = net.importance();
    train(net, x2, y2, 300, 32);
    distance[k] = fisher_distance(f, net.parameters(), anchor);
    double norm = 0.0;
    for (std::size_t i = 0; i < anchor.size(); ++i) {
      moved[k] += double(net.parameters()[i] - anchor[i]) * (net.parameters()[i] - anchor[i]);
      norm += double(anchor[i]) * anchor[i];
    }
    moved[k] = std::sqrt(moved[k] / norm);
    kept[k] = accuracy(net, x1, y1);
  }
  std::cout << "  EWC: Fisher distance λ=0 " << distance[0] << ", λ=1e7 " << distance[1] << "; |θ−θ*|/|θ*| "
            << moved[0] << " vs " << moved[1] << "; task-1 accuracy " << kept[0] << " vs " << kept[1] << "\n";
  CHECK(moved[0] > 0.1);
  CHECK(moved[1] < 0.1 * moved[0]);
  CHECK(distance[1] < 1e-3 * distance[0]);
  CHECK(kept[0] < 0.5);
  CHECK(kept[1] > 0.95);
}

TEST(mlp_errors) {
  CHECK(throws_code(ErrorCode::OutOfRange, [] { Mlp({5}, 1); }));
  CHECK(throws_code(ErrorCode::OutOfRange, [] { Mlp({5, 0, 3}, 1); }));
  CHECK(throws_code(ErrorCode::OutOfRange, [] { Mlp({5, std::size_t(1) << 21}, 1); }));
  CHECK(throws_code(ErrorCode::OutOfRange, [] { Mlp({5, 3}, 1, 0.0f); }));
  CHECK(throws_code(ErrorCode::OutOfRange, [] { Mlp({5, 3}, 1, std::numeric_limits<float>::quiet_NaN()); }));

  Mlp net({2, 4, 3}, 1);
  std::vector<float> x = {0.5f, -0.5f, 1.0f, 2.0f};
  std::vector<std::int32_t> y = {0, 2};
  std::vector<float> out(6);
  CHECK(throws_code(ErrorCode::OutOfRange, [&] { net.train_batch(x.data(), y.data(), 0); }));
  CHECK(throws_code(ErrorCode::OutOfRange, [&] { net.logits(x.data(), 0, out.data()); }));
  std::vector<std::int32_t> bad = {0, 3};
  CHECK(throws_code(ErrorCode::OutOfRange, [&] { net.train_batch(x.data(), bad.data(), 2); }));
  bad = {-1, 0};
  CHECK(throws_code(ErrorCode::OutOfRange, [&] { net.consolidate(x.data(), bad.data(), 2, 1.0f); }));
  CHECK(throws_code(ErrorCode::OutOfRange, [&] { net.consolidate(x.data(), y.data(), 2, -1.0f); }));
  CHECK(throws_code(ErrorCode::OutOfRange, [&] { net.consolidate(x.data(), y.data(), 2, INFINITY); }));
  CHECK(net.importance().empty());
  std::vector<float> nan = x;
  nan[3] = std::numeric_limits<float>::quiet_NaN();
  CHECK(throws_code(ErrorCode::OutOfRange, [&] { net.train_batch(nan.data(), y.data(), 2); }));
  CHECK(throws_code(ErrorCode::OutOfRange, [&] { net.logits(nan.data(), 2, out.data()); }));
  nan[3] = INFINITY;
  CHECK(throws_code(ErrorCode::OutOfRange, [&] { net.logits(nan.data(), 2, out.data()); }));
  CHECK(net.steps() == 0);

  // Weights so large that the logits overflow: the loss is not finite, nothing changes.
  std::vector<float> huge(net.parameter_count(), 1e30f);
  net.set_parameters(huge);
  CHECK(throws_code(ErrorCode::Numerical, [&] { net.train_batch(x.data(), y.data(), 2); }));
  CHECK(net.parameters() == huge);
  CHECK(net.steps() == 0);
  CHECK(throws_code(ErrorCode::Numerical, [&] { net.consolidate(x.data(), y.data(), 2, 1.0f); }));
  CHECK(net.importance().empty());
  // A finite loss whose EWC gradient overflows: refused the same way.
  Mlp small({2, 4, 3}, 1);
  small.consolidate(x.data(), y.data(), 2, 3e38f);
  std::vector<float> far = small.parameters();
  for (float& v : far) v += 1e5f;
  small.set_parameters(far);
  const bool refused = throws_code(ErrorCode::Numerical, [&] { small.train_batch(x.data(), y.data(), 2); });
  CHECK(refused);
  CHECK(small.parameters() == far);
  CHECK(small.steps() == 0);
}
