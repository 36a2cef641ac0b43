// The streaming statistics of one layer (ALGORITHM.md, "Collect"): the running mean B of the
// mirrored input, its second moment C and the number of rows N. C is symmetric and kept in its
// lower triangle; second_moment() returns it whole.
#pragma once

#include <cstddef>
#include <vector>

#include "../backend/device_array.hpp"

namespace indee {

enum class StatisticsMode {
  // The original's default: C ← α·z zᵀ + (1-α)·C and B ← α·e + (1-α)·B per row.
  MovingAverage,
  // The exact average over every row ever collected: B is the mean of the mirrored inputs and C
  // their second moment about B (the population covariance), independent of row order.
  Cumulative,
};

enum class BatchSemantics {
  // A batch of m rows gives exactly what m single-row collects give (the default).
  Sequential,
  // The original program's batch form: every row is centred on the b before the call and the
  // moving average takes the batch sum at once, C ← α·Σ zᵀz + (1-α)·C, B ← α·mean(e) + (1-α)·B.
  // In cumulative mode the statistics are the same either way; only the centring of z differs.
  Sum,
};

class Statistics {
 public:
  Statistics(Backend& backend, std::size_t dim);

  // Collects the m mirrored rows `e` (m x dim, row-major, backend memory) and overwrites each row
  // e_j with z_j = e_j - b_j, the row centred on the bias it would have met had it been collected
  // alone: b_0 = `bias` and, with Sequential semantics, b_j = B after rows 0..j-1 (with Sum
  // semantics b_j = `bias` for every row). `scratch` must hold m x dim floats.
  void collect(float* e, std::size_t m, const float* bias, StatisticsMode mode, float alpha,
               BatchSemantics semantics, float* scratch);

  std::size_t dim() const { return dim_; }
  // B and C (both triangles) copied to the host.
  std::vector<float> mean() const { return mean_.download(); }
  std::vector<float> second_moment() const;
  // B and C (lower triangle valid) in backend memory.
  const float* mean_data() const { return mean_.data(); }
  const float* moment_data() const { return moment_.data(); }
  double count() const { return count_; }
  double decay_since_flush() const { return decay_since_flush_; }

  // Replaces the statistics; `moment` is dim x dim (its lower triangle is kept). The caller
  // (Layer::restore) has checked sizes and values.
  void restore(const std::vector<float>& mean, const std::vector<float>& moment, double count, double decay_since_flush);
  // The same from backend memory (a kept copy of the statistics).
  void restore(const DeviceArray<float>& mean, const DeviceArray<float>& moment, double count, double decay_since_flush);

 private:
  void collect_moving_average(float* e, std::size_t m, const float* bias, float alpha,
                              BatchSemantics semantics, float* scratch);
  void collect_cumulative(float* e, std::size_t m, const float* bias, BatchSemantics semantics,
                          float* scratch);
  // Notes that the moving average scaled old entries by `factor`; flushes negligible ones when due.
  void record_decay(double factor);

  Backend* backend_;
  std::size_t dim_;
  DeviceArray<float> mean_;    // B
  DeviceArray<float> moment_;  // C, lower triangle valid
  DeviceArray<float> row_weight_, delta_;  // collect's per-row weights and cumulative mean shift
  double count_ = 0.0;         // N
  double decay_since_flush_ = 1.0;  // product of the moving average's decay factors since the last flush
};

}  // namespace indee
