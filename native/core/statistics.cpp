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

Statistics::Statistics(Backend& backend, std::size_t dim)
    : backend_(&backend), dim_(dim), mean_(backend, dim), moment_(backend, dim * dim), row_weight_(backend),
      delta_(backend, dim) {
  mean_.zero();
  moment_.zero();
}

std::vector<float> Statistics::second_moment() const {
  std::vector<float> full = moment_.download();
  blas::symmetrize_from_lower(dim_, full.data());
  return full;
}

void Statistics::restore(const std::vector<float>& mean, const std::vector<float>& moment, double count,
                         double decay_since_flush) {
  mean_.upload(mean);
  moment_.upload(moment);
  count_ = count;
  decay_since_flush_ = decay_since_flush;
}

void Statistics::restore(const DeviceArray<float>& mean, const DeviceArray<float>& moment, double count,
                         double decay_since_flush) {
  mean_.assign(mean);
  moment_.assign(moment);
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
// done as one syrk on the rows scaled by √(α (1-α)^(m-1-j)) (Backend::moving_average_rows centres
// and scales them and moves B row by row).
void Statistics::collect_moving_average(float* e, std::size_t m, const float* bias, float alpha,
                                        BatchSemantics semantics, float* scratch) {
  const std::size_t d = dim_;
  const float keep = 1.0f - alpha;

  if (semantics == BatchSemantics::Sum) {
    backend_->moving_average_sum(m, d, bias, alpha, e, mean_.data());
    backend_->syrk(d, m, alpha, e, keep, moment_.data());
    record_decay(keep);
    return;
  }

  std::vector<float> weight(m);
  for (std::size_t j = 0; j < m; ++j) weight[j] = std::sqrt(significant(double(alpha) * std::pow(double(keep), double(m - 1 - j))));
  row_weight_.upload(weight);
  backend_->moving_average_rows(m, d, bias, alpha, row_weight_.data(), e, mean_.data(), scratch);
  const double decay = std::pow(double(keep), double(m));
  backend_->syrk(d, m, 1.0f, scratch, significant(decay), moment_.data());
  record_decay(decay);
}

void Statistics::record_decay(double factor) {
  decay_since_flush_ *= factor;
  if (decay_since_flush_ >= kFlushDecay) return;
  backend_->flush_small(moment_.size(), float(kNegligible), moment_.data());
  backend_->flush_small(mean_.size(), float(kNegligible), mean_.data());
  decay_since_flush_ = 1.0;
}

// Exact merge of the batch into the cumulative mean and covariance (Chan, Golub and LeVeque):
// with batch mean μ_b, batch scatter S_b = Σ (e_j - μ_b)(e_j - μ_b)ᵀ, δ = μ_b - B and N' = N + m,
//   C ← (N/N')·C + S_b/N' + (N·m/N'²)·δδᵀ,   B ← B + (m/N')·δ
// (Backend::cumulative_rows forms e_j - μ_b and δ and moves B; the centring of each row is the
// running mean of the rows before it, the centring it would have met alone).
void Statistics::collect_cumulative(float* e, std::size_t m, const float* bias, BatchSemantics semantics,
                                    float* scratch) {
  const std::size_t d = dim_;
  const double n_old = count_, n_new = count_ + double(m);
  backend_->cumulative_rows(m, d, bias, n_old, semantics == BatchSemantics::Sum, e, mean_.data(), scratch, delta_.data());
  backend_->syrk(d, m, static_cast<float>(1.0 / n_new), scratch, static_cast<float>(n_old / n_new), moment_.data());
  if (n_old > 0.0) backend_->syr(d, static_cast<float>(n_old * double(m) / (n_new * n_new)), delta_.data(), moment_.data());
}

}  // namespace indee
