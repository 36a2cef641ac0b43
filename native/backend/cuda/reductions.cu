// The kernels that sum: in double (each float product is exact in double, so only the additions
// round), in an order fixed by the sizes, so that a result repeats exactly from run to run.
#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace indee::cuda {
namespace {

// The sum of `value` over the block's kThreads threads by a fixed tree; every thread gets it. The
// leading barrier lets a block call it again (next row) once every thread has read the last sum.
__device__ double block_sum(double value) {
  __shared__ double shared[kThreads];
  __syncthreads();
  shared[threadIdx.x] = value;
  __syncthreads();
  for (unsigned half = kThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
    __syncthreads();
  }
  return shared[0];
}

__global__ void dot_kernel(std::size_t count, const float* a, const float* b, double* partials) {
  double sum = 0.0;
  for (std::size_t i = first_index(); i < count; i += grid_stride()) sum += double(a[i]) * b[i];
  sum = block_sum(sum);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

__global__ void trace_kernel(std::size_t n, const float* s, double* partials) {
  double sum = 0.0;
  for (std::size_t i = first_index(); i < n; i += grid_stride()) sum += s[i * (n + 1)];
  sum = block_sum(sum);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

// mirror.cpp's inverse, one block per row; the row's residue is added to residue[r].
__global__ void inverse_mirror_kernel(std::size_t rows, std::size_t n, const float* u, float* out, double* residue) {
  for (std::size_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* pairs = u + r * 2 * n;
    float* row_out = out + r * n;
    double sum = 0.0;
    for (std::size_t i = threadIdx.x; i < n; i += blockDim.x) {
      const float p = pairs[2 * i], q = pairs[2 * i + 1];
      if (p > q) {
        row_out[i] = p;
        sum += double(q) * q;
      } else {
        row_out[i] = -q;
        sum += double(p) * p;
      }
    }
    if (residue == nullptr) continue;  // the same branch in every thread of the block
    sum = block_sum(sum);
    if (threadIdx.x == 0) residue[r] += sum;
  }
}

// decode_pass.cpp's loss and gradient, one block per row: g = 2(x̂ - x) (the difference rounded
// once, the doubling exact) on the image, 0 on the label; loss = Σ (x̂ - x)² in double + residue.
__global__ void completion_gradient_kernel(std::size_t rows, std::size_t input, std::size_t joint,
                                           const float* reconstruction, const float* x, const double* residue,
                                           float* g, double* loss) {
  for (std::size_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* row = reconstruction + r * joint;
    const float* target = x + r * input;
    float* gradient = g + r * joint;
    double sum = 0.0;
    for (std::size_t i = threadIdx.x; i < joint; i += blockDim.x) {
      if (i < input) {
        const float difference = row[i] - target[i];
        gradient[i] = 2.0f * difference;
        sum += double(difference) * difference;
      } else {
        gradient[i] = 0.0f;
      }
    }
    if (loss == nullptr) continue;  // the same branch in every thread of the block
    sum = block_sum(sum);
    if (threadIdx.x == 0) loss[r] = sum + (residue != nullptr ? residue[r] : 0.0);
  }
}

unsigned partial_blocks(std::size_t count) {
  return static_cast<unsigned>(std::min<std::size_t>((count + kThreads - 1) / kThreads, kMaxPartials));
}

}  // namespace

std::size_t dot_partials(cudaStream_t stream, std::size_t count, const float* a, const float* b, double* partials) {
  if (count == 0) return 0;
  const unsigned blocks = partial_blocks(count);
  dot_kernel<<<blocks, kThreads, 0, stream>>>(count, a, b, partials);
  check_launch("dot kernel");
  return blocks;
}

std::size_t trace_partials(cudaStream_t stream, std::size_t n, const float* s, double* partials) {
  if (n == 0) return 0;
  const unsigned blocks = partial_blocks(n);
  trace_kernel<<<blocks, kThreads, 0, stream>>>(n, s, partials);
  check_launch("trace kernel");
  return blocks;
}

void inverse_mirror(cudaStream_t stream, std::size_t rows, std::size_t n, const float* u, float* out,
                    double* residue) {
  if (rows == 0 || n == 0) return;
  inverse_mirror_kernel<<<unsigned(std::min(rows, kMaxBlocks)), kThreads, 0, stream>>>(rows, n, u, out, residue);
  check_launch("inverse_mirror kernel");
}

void completion_gradient(cudaStream_t stream, std::size_t rows, std::size_t input, std::size_t joint,
                         const float* reconstruction, const float* x, const double* residue, float* g, double* loss) {
  if (rows == 0 || joint == 0) return;
  completion_gradient_kernel<<<unsigned(std::min(rows, kMaxBlocks)), kThreads, 0, stream>>>(
      rows, input, joint, reconstruction, x, residue, g, loss);
  check_launch("completion_gradient kernel");
}

}  // namespace indee::cuda
