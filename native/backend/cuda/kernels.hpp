// The backend's own kernels (everything but the dense products, which are cuBLAS's), as host
// functions that launch them on a stream. Each follows the CPU semantics written in backend.hpp;
// sizes of 0 launch nothing. Errors throw Error(Device) (check.hpp).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "../backend.hpp"

namespace indee::cuda {

// ---- elementwise.cu: one thread per element (grid-stride) -------------------------------------
void scale_shift_diagonal(cudaStream_t stream, std::size_t n, float alpha, float beta, float* s);
void add_to_rows(cudaStream_t stream, std::size_t m, std::size_t d, float alpha, const float* b, float* x);
void set_rows(cudaStream_t stream, std::size_t m, std::size_t d, const float* b, float* x);
void flush_small(cudaStream_t stream, std::size_t count, float threshold, float* x);
void gather_rows(cudaStream_t stream, std::size_t count, std::size_t width, const std::uint32_t* index,
                 const float* source, float* target);
void scatter_add_rows(cudaStream_t stream, std::size_t count, std::size_t width, const std::uint32_t* index,
                      const float* source, float* target);
void gather_block(cudaStream_t stream, std::size_t d, const float* s, std::size_t a, const std::uint32_t* index,
                  float* block);
void symmetrize(cudaStream_t stream, std::size_t n, float* s);
void diagonal(cudaStream_t stream, std::size_t n, const float* s, float* diagonal);
void mirror(cudaStream_t stream, std::size_t count, const float* v, float* e);
void inverse_mirror_backward(cudaStream_t stream, std::size_t count, const float* u, const float* g, float* du);
void adam(cudaStream_t stream, const AdamStep& step, std::size_t count, const float* g, float* m, float* v, float* x);

// ---- reductions.cu: sums in double, in an order fixed by the sizes (so repeatable) ---------------
// At most this many partial sums per reduction.
constexpr std::size_t kMaxPartials = 512;
// Writes the partial sums of Σ a_i b_i (of Σ s_ii) into `partials` and returns how many there are;
// the caller adds them on the host, in order.
std::size_t dot_partials(cudaStream_t stream, std::size_t count, const float* a, const float* b, double* partials);
std::size_t trace_partials(cudaStream_t stream, std::size_t n, const float* s, double* partials);
// One block per row, the row's sum reduced in the block.
void inverse_mirror(cudaStream_t stream, std::size_t rows, std::size_t n, const float* u, float* out,
                    double* residue);
void completion_gradient(cudaStream_t stream, std::size_t rows, std::size_t input, std::size_t joint,
                         const float* reconstruction, const float* x, const double* residue, float* g, double* loss);

// ---- statistics.cu: one thread per coordinate, looping over the m rows in order --------------------
void moving_average_rows(cudaStream_t stream, std::size_t m, std::size_t d, const float* bias, float alpha,
                         const float* weight, float* e, float* B, float* scaled);
void moving_average_sum(cudaStream_t stream, std::size_t m, std::size_t d, const float* bias, float alpha, float* e,
                        float* B);
void cumulative_rows(cudaStream_t stream, std::size_t m, std::size_t d, const float* bias, double count,
                     bool sum_semantics, float* e, float* B, float* centred, float* delta);

}  // namespace indee::cuda
