// The elementwise kernels. Compiled with --fmad=false (CMakeLists.txt): each expression rounds
// exactly as written, like the CPU backend's C++ (which contracts nothing in its baseline build),
// so these ops agree with the CPU bit for bit unless the CPU build itself fuses multiply-adds.
#include <cfloat>

#include "check.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace indee::cuda {
namespace {

// Diagonal entries are the multiples of n + 1.
__global__ void scale_shift_diagonal_kernel(std::size_t n, float alpha, float beta, float* s) {
  for (std::size_t i = first_index(); i < n * n; i += grid_stride()) {
    float value = alpha * s[i];
    if (i % (n + 1) == 0) value += beta;
    s[i] = value;
  }
}

__global__ void add_to_rows_kernel(std::size_t m, std::size_t d, float alpha, const float* b, float* x) {
  for (std::size_t i = first_index(); i < m * d; i += grid_stride()) x[i] += alpha * b[i % d];
}

__global__ void set_rows_kernel(std::size_t m, std::size_t d, const float* b, float* x) {
  for (std::size_t i = first_index(); i < m * d; i += grid_stride()) x[i] = b[i % d];
}

__global__ void flush_small_kernel(std::size_t count, float threshold, float* x) {
  for (std::size_t i = first_index(); i < count; i += grid_stride())
    if (fabsf(x[i]) < threshold) x[i] = 0.0f;
}

__global__ void gather_rows_kernel(std::size_t count, std::size_t width, const std::uint32_t* index,
                                   const float* source, float* target) {
  for (std::size_t i = first_index(); i < count * width; i += grid_stride())
    target[i] = source[std::size_t(index[i / width]) * width + i % width];
}

// One thread per column, adding the rows in order: an index may repeat, and each target entry then
// receives its additions in the CPU's order (no atomics, no race, same rounding).
__global__ void scatter_add_rows_kernel(std::size_t count, std::size_t width, const std::uint32_t* index,
                                        const float* source, float* target) {
  for (std::size_t c = first_index(); c < width; c += grid_stride())
    for (std::size_t r = 0; r < count; ++r) target[std::size_t(index[r]) * width + c] += source[r * width + c];
}

__global__ void gather_block_kernel(std::size_t d, const float* s, std::size_t a, const std::uint32_t* index,
                                    float* block) {
  for (std::size_t t = first_index(); t < a * a; t += grid_stride()) {
    const std::size_t p = t / a, q = t % a;
    if (q <= p) block[t] = s[std::size_t(index[p]) * d + index[q]];
  }
}

// Entry (i, j) above the diagonal takes (j, i): reads only the lower triangle, writes only the upper.
__global__ void symmetrize_kernel(std::size_t n, float* s) {
  for (std::size_t t = first_index(); t < n * n; t += grid_stride()) {
    const std::size_t i = t / n, j = t % n;
    if (j > i) s[t] = s[j * n + i];
  }
}

__global__ void diagonal_kernel(std::size_t n, const float* s, float* diagonal) {
  for (std::size_t i = first_index(); i < n; i += grid_stride()) diagonal[i] = s[i * (n + 1)];
}

__global__ void mirror_kernel(std::size_t count, const float* v, float* e) {
  for (std::size_t i = first_index(); i < count; i += grid_stride()) {
    const float x = v[i];
    e[2 * i] = x > 0.0f ? x : 0.0f;
    e[2 * i + 1] = x < 0.0f ? -x : 0.0f;
  }
}

__global__ void inverse_mirror_backward_kernel(std::size_t count, const float* u, const float* g, float* du) {
  for (std::size_t i = first_index(); i < count; i += grid_stride()) {
    const float p = u[2 * i], q = u[2 * i + 1];
    if (p > q) {
      du[2 * i] = g[i];
      du[2 * i + 1] = 2.0f * q;
    } else {
      du[2 * i] = 2.0f * p;
      du[2 * i + 1] = -g[i];
    }
  }
}

// adam.cpp's step, operation for operation, with its flush of moments below FLT_MIN (the GPU keeps
// denormals by default, so the flush is explicit as on the CPU).
__global__ void adam_kernel(AdamStep step, std::size_t count, const float* g, float* m, float* v, float* x) {
  for (std::size_t i = first_index(); i < count; i += grid_stride()) {
    const float gi = g[i];
    const float mi = step.beta1 * m[i] + (1.0f - step.beta1) * gi;
    const float vi = step.beta2 * v[i] + (1.0f - step.beta2) * gi * gi;
    const float mf = fabsf(mi) < FLT_MIN ? 0.0f : mi;
    const float vf = vi < FLT_MIN ? 0.0f : vi;
    m[i] = mf;
    v[i] = vf;
    x[i] -= step.step * mf / (sqrtf(vf) + step.epsilon);
  }
}

}  // namespace

void scale_shift_diagonal(cudaStream_t stream, std::size_t n, float alpha, float beta, float* s) {
  if (n == 0) return;
  scale_shift_diagonal_kernel<<<blocks_for(n * n), kThreads, 0, stream>>>(n, alpha, beta, s);
  check_launch("scale_shift_diagonal kernel");
}

void add_to_rows(cudaStream_t stream, std::size_t m, std::size_t d, float alpha, const float* b, float* x) {
  if (m == 0 || d == 0) return;
  add_to_rows_kernel<<<blocks_for(m * d), kThreads, 0, stream>>>(m, d, alpha, b, x);
  check_launch("add_to_rows kernel");
}

void set_rows(cudaStream_t stream, std::size_t m, std::size_t d, const float* b, float* x) {
  if (m == 0 || d == 0) return;
  set_rows_kernel<<<blocks_for(m * d), kThreads, 0, stream>>>(m, d, b, x);
  check_launch("set_rows kernel");
}

void flush_small(cudaStream_t stream, std::size_t count, float threshold, float* x) {
  if (count == 0) return;
  flush_small_kernel<<<blocks_for(count), kThreads, 0, stream>>>(count, threshold, x);
  check_launch("flush_small kernel");
}

void gather_rows(cudaStream_t stream, std::size_t count, std::size_t width, const std::uint32_t* index,
                 const float* source, float* target) {
  if (count == 0 || width == 0) return;
  gather_rows_kernel<<<blocks_for(count * width), kThreads, 0, stream>>>(count, width, index, source, target);
  check_launch("gather_rows kernel");
}

void scatter_add_rows(cudaStream_t stream, std::size_t count, std::size_t width, const std::uint32_t* index,
                      const float* source, float* target) {
  if (count == 0 || width == 0) return;
  scatter_add_rows_kernel<<<blocks_for(width), kThreads, 0, stream>>>(count, width, index, source, target);
  check_launch("scatter_add_rows kernel");
}

void gather_block(cudaStream_t stream, std::size_t d, const float* s, std::size_t a, const std::uint32_t* index,
                  float* block) {
  if (a == 0) return;
  gather_block_kernel<<<blocks_for(a * a), kThreads, 0, stream>>>(d, s, a, index, block);
  check_launch("gather_block kernel");
}

void symmetrize(cudaStream_t stream, std::size_t n, float* s) {
  if (n == 0) return;
  symmetrize_kernel<<<blocks_for(n * n), kThreads, 0, stream>>>(n, s);
  check_launch("symmetrize kernel");
}

void diagonal(cudaStream_t stream, std::size_t n, const float* s, float* diagonal) {
  if (n == 0) return;
  diagonal_kernel<<<blocks_for(n), kThreads, 0, stream>>>(n, s, diagonal);
  check_launch("diagonal kernel");
}

void mirror(cudaStream_t stream, std::size_t count, const float* v, float* e) {
  if (count == 0) return;
  mirror_kernel<<<blocks_for(count), kThreads, 0, stream>>>(count, v, e);
  check_launch("mirror kernel");
}

void inverse_mirror_backward(cudaStream_t stream, std::size_t count, const float* u, const float* g, float* du) {
  if (count == 0) return;
  inverse_mirror_backward_kernel<<<blocks_for(count), kThreads, 0, stream>>>(count, u, g, du);
  check_launch("inverse_mirror_backward kernel");
}

void adam(cudaStream_t stream, const AdamStep& step, std::size_t count, const float* g, float* m, float* v, float* x) {
  if (count == 0) return;
  adam_kernel<<<blocks_for(count), kThreads, 0, stream>>>(step, count, g, m, v, x);
  check_launch("adam kernel");
}

}  // namespace indee::cuda
