#include "statistics.hpp"

#include <cmath>
#include <utility>

#include "../backend/cpu/blas.hpp"

namespace indee {
namespace {

// A moving average decays old entries geometrically; in float32 they would end as denormal numbers,
// which never decay further (x·0.99f rounds back to x below ~50 denormal steps) and slow every
// product they enter. Entries below kNegligible (≈ 8e-31, far below any meaningful second moment)
// are set to zero whenever the decay since the last flush reaches kFlushDecay: an entry above
// kNegligible then stays above 2⁻¹²⁰, a normal float, until the next flush.
constexpr double kNegligible = 0x1p-100;
constexpr double kFlushDecay = 0x1p-20;

// Row weights and decay factors that small contribute less than kNegligible: treated as zero.
float significant(double weight) { return weight < kNegligible ? 0.0f : static_cast<float>(weight); }

}  // namespace

Statistics::Statistics(std::size_t dim) : dim_(dim), mean_(dim, 0.0f), moment_(dim * dim, 0.0f) {}

std::vector<float> Statistics::second_moment() const {
  std::vector<float> full = moment_;
  blas::symmetrize_from_lower(dim_, full.data());
  return full;
}

void Statistics::restore(std::vector<float> mean, std::vector<float> moment, double count,
                         double decay_since_flush) {
  mean_ = std::move(mean);
  moment_ = std::move(moment);
  count_ = count;
  decay_since_flush_ = decay_since_flush;
}

void Statistics::collect(float* e, std::size_t m, const float* bias, StatisticsMode mode, float alpha,
                         BatchSemantics semantics, float* scratch) {
  if (m == 0) return;
  if (mode == StatisticsMode::MovingAverage)
    collect_moving_average(e, m, bias, alpha, semantics, scratch);
  else
    collect_cumulative(e, m, bias, semantics, scratch);
  count_ += static_cast<double>(m);
}

// Row by row, C_{j+1} = α z_j z_jᵀ + (1-α) C_j unrolls over a batch into the weighted rank-m update
//   C ← (1-α)^m C + Σ_j α (1-α)^(m-1-j) z_j z_jᵀ,
// done as one syrk on the rows scaled by √(α (1-α)^(m-1-j)).
void Statistics::collect_moving_average(float* e, std::size_t m, const float* bias, float alpha,
                                        BatchSemantics semantics, float* scratch) {
  const std::size_t d = dim_;
  const float keep = 1.0f - alpha;
  float* B = mean_.data();

  if (semantics == BatchSemantics::Sum) {
    std::vector<double> sum(d, 0.0);
    for (std::size_t j = 0; j < m; ++j) {
      float* row = e + j * d;
      for (std::size_t i = 0; i < d; ++i) {
        sum[i] += row[i];
        row[i] -= bias[i];
      }
    }
    for (std::size_t i = 0; i < d; ++i) B[i] = static_cast<float>(alpha * (sum[i] / double(m)) + keep * B[i]);
    blas::syrk(d, m, alpha, e, keep, moment_.data());
    record_decay(keep);
    return;
  }

  for (std::size_t j = 0; j < m; ++j) {
    float* row = e + j * d;
    const float* centre = j == 0 ? bias : B;
    const float weight = std::sqrt(significant(double(alpha) * std::pow(double(keep), double(m - 1 - j))));
    float* scaled = scratch + j * d;
    for (std::size_t i = 0; i < d; ++i) {
      const float x = row[i];
      const float z = x - centre[i];
      scaled[i] = weight * z;
      B[i] = alpha * x + keep * B[i];
      row[i] = z;
    }
  }
  const double decay = std::pow(double(keep), double(m));
  blas::syrk(d, m, 1.0f, scratch, significant(decay), moment_.data());
  record_decay(decay);
}

void Statistics::record_decay(double factor) {
  decay_since_flush_ *= factor;
  if (decay_since_flush_ >= kFlushDecay) return;
  for (float& x : moment_)
    if (std::fabs(x) < kNegligible) x = 0.0f;
  for (float& x : mean_)
    if (std::fabs(x) < kNegligible) x = 0.0f;
  decay_since_flush_ = 1.0;
}

// Exact merge of the batch into the cumulative mean and covariance (Chan, Golub and LeVeque):
// with batch mean μ_b, batch scatter S_b = Σ (e_j - μ_b)(e_j - μ_b)ᵀ, δ = μ_b - B and N' = N + m,
//   C ← (N/N')·C + S_b/N' + (N·m/N'²)·δδᵀ,   B ← B + (m/N')·δ.
void Statistics::collect_cumulative(float* e, std::size_t m, const float* bias, BatchSemantics semantics,
                                    float* scratch) {
  const std::size_t d = dim_;
  const double n_old = count_, n_new = count_ + double(m);
  float* B = mean_.data();

  std::vector<double> batch_mean(d, 0.0);
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = 0; i < d; ++i) batch_mean[i] += e[j * d + i];
  for (double& x : batch_mean) x /= double(m);

  // The centring each row would have met alone: the running mean of the rows before it.
  std::vector<double> running(B, B + d);
  for (std::size_t j = 0; j < m; ++j) {
    float* row = e + j * d;
    float* centred = scratch + j * d;
    const double seen = n_old + double(j);
    for (std::size_t i = 0; i < d; ++i) {
      const float x = row[i];
      centred[i] = static_cast<float>(x - batch_mean[i]);
      const float centre = (j == 0 || semantics == BatchSemantics::Sum) ? bias[i] : static_cast<float>(running[i]);
      row[i] = x - centre;
      running[i] += (x - running[i]) / (seen + 1.0);
    }
  }

  std::vector<float> delta(d);
  for (std::size_t i = 0; i < d; ++i) delta[i] = static_cast<float>(batch_mean[i] - B[i]);
  blas::syrk(d, m, static_cast<float>(1.0 / n_new), scratch, static_cast<float>(n_old / n_new), moment_.data());
  if (n_old > 0.0) blas::syr(d, static_cast<float>(n_old * double(m) / (n_new * n_new)), delta.data(), moment_.data());
  for (std::size_t i = 0; i < d; ++i) B[i] = static_cast<float>(B[i] + double(m) / n_new * delta[i]);
}

}  // namespace indee
