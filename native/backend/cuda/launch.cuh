// Launch geometry shared by the kernels: blocks of kThreads threads running grid-stride loops, so
// that any size runs with a bounded grid.
#pragma once

#include <algorithm>
#include <cstddef>

namespace indee::cuda {

constexpr unsigned kThreads = 256;
// Enough blocks to fill any current GPU (an H200 holds 132 SMs x 8 such blocks) several times.
constexpr std::size_t kMaxBlocks = 4096;

inline unsigned blocks_for(std::size_t count) {
  return static_cast<unsigned>(std::min((count + kThreads - 1) / kThreads, kMaxBlocks));
}

__device__ inline std::size_t first_index() { return blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; }
__device__ inline std::size_t grid_stride() { return std::size_t(gridDim.x) * blockDim.x; }

}  // namespace indee::cuda
