// The statistics' per-coordinate recurrences (statistics.cpp, backend.hpp): one thread per
// coordinate i runs over the m rows of the batch in order, so each coordinate sees exactly the
// CPU's sequence of operations (floats where it uses floats, doubles where it uses doubles); the
// threads of a warp read consecutive coordinates of a row (coalesced). Compiled with --fmad=false.
#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace indee::cuda {
namespace {

__global__ void moving_average_rows_kernel(std::size_t m, std::size_t d, const float* bias, float alpha,
                                           const float* weight, float* e, float* B, float* scaled) {
  const float keep = 1.0f - alpha;
  for (std::size_t i = first_index(); i < d; i += grid_stride()) {
    float mean = B[i];
    for (std::size_t j = 0; j < m; ++j) {
      const std::size_t at = j * d + i;
      const float x = e[at];
      const float z = x - (j == 0 ? bias[i] : mean);
      scaled[at] = weight[j] * z;
      mean = alpha * x + keep * mean;
      e[at] = z;
    }
    B[i] = mean;
  }
}

// B ← alpha·mean + (1-alpha)·B with the mean in double and (1-alpha)·B a float product, as the CPU.
__global__ void moving_average_sum_kernel(std::size_t m, std::size_t d, const float* bias, float alpha, float* e,
                                          float* B) {
  const float keep = 1.0f - alpha;
  for (std::size_t i = first_index(); i < d; i += grid_stride()) {
    double sum = 0.0;
    for (std::size_t j = 0; j < m; ++j) {
      const std::size_t at = j * d + i;
      sum += e[at];
      e[at] -= bias[i];
    }
    B[i] = static_cast<float>(alpha * (sum / double(m)) + keep * B[i]);
  }
}

// Two passes over the rows: the batch mean μ (double), then the centrings and the running mean.
__global__ void cumulative_rows_kernel(std::size_t m, std::size_t d, const float* bias, double count,
                                       bool sum_semantics, float* e, float* B, float* centred, float* delta) {
  for (std::size_t i = first_index(); i < d; i += grid_stride()) {
    double mean = 0.0;
    for (std::size_t j = 0; j < m; ++j) mean += e[j * d + i];
    mean /= double(m);
    double running = B[i];
    for (std::size_t j = 0; j < m; ++j) {
      const std::size_t at = j * d + i;
      const float x = e[at];
      centred[at] = static_cast<float>(x - mean);
      const float centre = (j == 0 || sum_semantics) ? bias[i] : static_cast<float>(running);
      e[at] = x - centre;
      running += (x - running) / (count + double(j) + 1.0);
    }
    const float change = static_cast<float>(mean - B[i]);
    delta[i] = change;
    B[i] = static_cast<float>(B[i] + double(m) / (count + double(m)) * change);
  }
}

}  // namespace

void moving_average_rows(cudaStream_t stream, std::size_t m, std::size_t d, const float* bias, float alpha,
                         const float* weight, float* e, float* B, float* scaled) {
  if (m == 0 || d == 0) return;
  moving_average_rows_kernel<<<blocks_for(d), kThreads, 0, stream>>>(m, d, bias, alpha, weight, e, B, scaled);
  check_launch("moving_average_rows kernel");
}

void moving_average_sum(cudaStream_t stream, std::size_t m, std::size_t d, const float* bias, float alpha, float* e,
                        float* B) {
  if (m == 0 || d == 0) return;
  moving_average_sum_kernel<<<blocks_for(d), kThreads, 0, stream>>>(m, d, bias, alpha, e, B);
  check_launch("moving_average_sum kernel");
}

void cumulative_rows(cudaStream_t stream, std::size_t m, std::size_t d, const float* bias, double count,
                     bool sum_semantics, float* e, float* B, float* centred, float* delta) {
  if (m == 0 || d == 0) return;
  cumulative_rows_kernel<<<blocks_for(d), kThreads, 0, stream>>>(m, d, bias, count, sum_semantics, e, B, centred,
                                                                  delta);
  check_launch("cumulative_rows kernel");
}

}  // namespace indee::cuda
