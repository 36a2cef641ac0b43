// Per-class moments of the bottom layer's mirrored input, for statistical replay (replay.hpp).
// For each class c: its weight w_c, mean μ_c and covariance Σ_c (about μ_c) of the mirrored joint
// rows e = mirror([x, y]) of that class, every row weighted as the layer's own statistics weight
// it (cumulative: 1 per row; moving average: row j of the stream α(1-α)^(rows collected after it);
// a batch collected with BatchSemantics::Sum, which the layer weighs at once, keeps these row weights).
// The classes together hold what the layer's C holds, split by class:
//   Σ_c w_c (Σ_c + (μ_c − μ)(μ_c − μ)ᵀ) / Σ_c w_c,  μ = Σ_c w_c μ_c / Σ_c w_c,
// and, like it, they only ever add rows (or decay them all alike): mergeable and order-independent
// in cumulative mode. A row's class is the argmax of its label y; rows collected without a label,
// or with an all-zero one, form one more class (index label_size). A class's buffers are allocated
// on its first row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "statistics.hpp"

namespace indee {

struct ClassMomentsState {
  std::vector<double> weight;                   // per class; 0 for a class never seen
  std::vector<std::vector<float>> mean;         // per class: dim values, or empty when weight is 0
  std::vector<std::vector<float>> covariance;   // per class: dim x dim (both triangles), or empty
};

class ClassMoments {
 public:
  ClassMoments(std::size_t dim, std::size_t classes);

  // Adds m uncentred mirrored rows e (m x dim) whose classes are class_of[j] (< classes()). The
  // moving average first decays every class's weight by (1-α)^m, then adds row j with weight
  // α(1-α)^(m-1-j): exactly m single-row collects.
  void collect(const float* e, const std::uint32_t* class_of, std::size_t m, StatisticsMode mode, float alpha);

  std::size_t dim() const { return dim_; }
  std::size_t classes() const { return weight_.size(); }
  double weight(std::size_t c) const { return weight_[c]; }
  double total_weight() const;
  const float* mean(std::size_t c) const { return mean_[c].data(); }                // empty class: null
  const float* covariance_lower(std::size_t c) const { return covariance_[c].data(); }  // lower triangle valid

  ClassMomentsState state() const;
  // Throws Error(OutOfRange) naming the first class or field of the wrong size or with a value no
  // class can hold (NaN, Inf, negative weight), leaving the moments untouched.
  void restore(ClassMomentsState state);

 private:
  void add(std::size_t c, const float* e, const std::vector<std::size_t>& rows, const std::vector<double>& row_weight);

  std::size_t dim_;
  std::vector<double> weight_;
  std::vector<std::vector<float>> mean_, covariance_;
  std::vector<float> scratch_;
};

}  // namespace indee
