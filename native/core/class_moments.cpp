#include "class_moments.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "../backend/cpu/blas.hpp"
#include "error.hpp"

namespace indee {

ClassMoments::ClassMoments(std::size_t dim, std::size_t classes)
    : dim_(dim), weight_(classes, 0.0), mean_(classes), covariance_(classes) {}

double ClassMoments::total_weight() const {
  double total = 0.0;
  for (double w : weight_) total += w;
  return total;
}

void ClassMoments::collect(const float* e, const std::uint32_t* class_of, std::size_t m, StatisticsMode mode,
                           float alpha) {
  if (m == 0) return;
  std::vector<double> row_weight(m, 1.0);
  if (mode == StatisticsMode::MovingAverage) {
    const double keep = 1.0 - double(alpha);
    for (std::size_t j = 0; j < m; ++j) row_weight[j] = double(alpha) * std::pow(keep, double(m - 1 - j));
    const double decay = std::pow(keep, double(m));
    for (double& w : weight_) w *= decay;
  }
  std::vector<std::vector<std::size_t>> rows(classes());
  for (std::size_t j = 0; j < m; ++j) rows[class_of[j]].push_back(j);
  for (std::size_t c = 0; c < classes(); ++c)
    if (!rows[c].empty()) add(c, e, rows[c], row_weight);
}

// The weighted merge of a batch into class c (Chan, Golub and LeVeque, with weights): batch weight
// w_b = Σ a_j, mean μ_b = Σ a_j e_j / w_b, scatter S_b = Σ a_j (e_j − μ_b)(e_j − μ_b)ᵀ, δ = μ_b − μ_c,
// w' = w_c + w_b:
//   Σ_c ← (w_c Σ_c + S_b) / w' + (w_c w_b / w'²) δδᵀ,   μ_c ← μ_c + (w_b / w') δ,   w_c ← w'.
// S_b and the δ term are one syrk over the rows √a_j (e_j − μ_b) and √(w_c w_b / w') δ.
void ClassMoments::add(std::size_t c, const float* e, const std::vector<std::size_t>& rows,
                       const std::vector<double>& row_weight) {
  const std::size_t d = dim_;
  double batch_weight = 0.0;
  std::vector<double> batch_mean(d, 0.0);
  for (std::size_t j : rows) {
    batch_weight += row_weight[j];
    for (std::size_t i = 0; i < d; ++i) batch_mean[i] += row_weight[j] * e[j * d + i];
  }
  if (!(batch_weight > 0.0)) return;  // α = 0: nothing is added
  for (double& x : batch_mean) x /= batch_weight;

  if (mean_[c].empty()) {
    mean_[c].assign(d, 0.0f);
    covariance_[c].assign(d * d, 0.0f);
  }
  const double w = weight_[c], merged = w + batch_weight;
  float* mu = mean_[c].data();
  scratch_.resize((rows.size() + 1) * d);
  std::size_t count = 0;
  if (rows.size() > 1) {  // one row has no scatter about its own mean
    for (std::size_t j : rows) {
      const double scale = std::sqrt(row_weight[j]);
      for (std::size_t i = 0; i < d; ++i) scratch_[count * d + i] = float(scale * (e[j * d + i] - batch_mean[i]));
      ++count;
    }
  }
  const double delta_scale = std::sqrt(w * batch_weight / merged);
  for (std::size_t i = 0; i < d; ++i) scratch_[count * d + i] = float(delta_scale * (batch_mean[i] - mu[i]));
  ++count;
  blas::syrk(d, count, float(1.0 / merged), scratch_.data(), float(w / merged), covariance_[c].data());
  for (std::size_t i = 0; i < d; ++i) mu[i] = float(mu[i] + (batch_weight / merged) * (batch_mean[i] - mu[i]));
  weight_[c] = merged;
}

ClassMomentsState ClassMoments::state() const {
  ClassMomentsState s{weight_, mean_, {}};
  s.covariance.resize(classes());
  for (std::size_t c = 0; c < classes(); ++c) {
    if (covariance_[c].empty()) continue;
    s.covariance[c] = covariance_[c];
    blas::symmetrize_from_lower(dim_, s.covariance[c].data());
  }
  return s;
}

void ClassMoments::restore(ClassMomentsState s) {
  const std::size_t k = classes(), d = dim_;
  auto range = [](bool ok, const std::string& what) { require(ok, ErrorCode::OutOfRange, what); };
  range(s.weight.size() == k && s.mean.size() == k && s.covariance.size() == k,
        "class moments must describe " + std::to_string(k) + " classes");
  for (std::size_t c = 0; c < k; ++c) {
    const std::string name = "class " + std::to_string(c);
    range(std::isfinite(s.weight[c]) && s.weight[c] >= 0.0, name + ": weight must be a finite number >= 0");
    const bool seen = !s.mean[c].empty();
    range(seen == !s.covariance[c].empty(), name + ": mean and covariance must both be present or both absent");
    if (!seen) {
      range(s.weight[c] == 0.0, name + ": a class with weight > 0 needs a mean and a covariance");
      continue;
    }
    range(s.mean[c].size() == d, name + ": mean must hold " + std::to_string(d) + " values");
    range(s.covariance[c].size() == d * d, name + ": covariance must hold " + std::to_string(d * d) + " values");
    for (float x : s.mean[c]) range(std::isfinite(x), name + ": mean must be finite");
    for (float x : s.covariance[c]) range(std::isfinite(x), name + ": covariance must be finite");
  }
  weight_ = std::move(s.weight);
  mean_ = std::move(s.mean);
  covariance_ = std::move(s.covariance);
}

}  // namespace indee
