// The operations the core's math runs on (DESIGN.md, "native/backend/"): memory on one device,
// the dense products, and the elementwise passes between them. A model keeps every large array (W,
// b, B, C, Adam moments, batch and decode workspaces) in its backend's memory and touches it only
// through these calls, so one formulation of the math runs on the CPU (cpu/cpu_backend.cpp:
// OpenBLAS and plain loops; memory is host memory) and on an NVIDIA GPU (cuda/: kernels and cuBLAS,
// a plugin loaded on demand, see registry.hpp).
//
// Conventions. Row-major. Every pointer is memory of this backend (from allocate) unless its name
// starts with host_. Symmetric matrices are read and written in their LOWER triangle only. Calls
// are ordered: each sees the results of the ones before it; download returns once the data is on
// the host. Sizes of 0 are no-ops. Failures throw indee::Error (nothing aborts): OutOfMemory when
// memory runs out, Device for a failed device or library call (with the library's message).
#pragma once

#include <cstddef>
#include <cstdint>

namespace indee {

enum class Op { None, Transpose };

// The constants of one Adam step (adam.hpp): step = rate·√(1-β2ᵗ)/(1-β1ᵗ), computed by the core.
struct AdamStep {
  float step, beta1, beta2, epsilon;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // "cpu", or "cuda (<device name>)".
  virtual const char* name() const = 0;
  // True when this backend's memory is the host's (pointers may be read directly).
  virtual bool host_memory() const = 0;

  // ---- Memory -----------------------------------------------------------------------------------
  // `bytes` of uninitialised memory aligned for any element type; release(nullptr) is a no-op.
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void release(void* memory) noexcept = 0;
  virtual void upload(const void* host_source, std::size_t bytes, void* target) = 0;
  virtual void download(const void* source, std::size_t bytes, void* host_target) = 0;
  virtual void copy(const void* source, std::size_t bytes, void* target) = 0;
  virtual void zero(void* target, std::size_t bytes) = 0;

  // ---- Dense products (as blas.hpp) ---------------------------------------------------------------
  // c (m x n) = alpha·op(a)·op(b) + beta·c, op(a) m x k, op(b) k x n.
  virtual void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
                    const float* b, float beta, float* c) = 0;
  // c (n x k) = s·b + beta·c, s (n x n) symmetric.
  virtual void symm(std::size_t n, std::size_t k, const float* s, const float* b, float beta, float* c) = 0;
  // s (n x n) = alpha·aᵀa + beta·s, a m x n.
  virtual void syrk(std::size_t n, std::size_t m, float alpha, const float* a, float beta, float* s) = 0;
  // s (n x n) += alpha·x xᵀ.
  virtual void syr(std::size_t n, float alpha, const float* x, float* s) = 0;
  // Copies the lower triangle of s (n x n) onto its upper triangle (so that s can be used as a
  // general matrix).
  virtual void symmetrize(std::size_t n, float* s) = 0;

  // ---- Reductions (accumulated in double) ------------------------------------------------------------
  // Σ_i s_ii of s (n x n).
  virtual double trace(std::size_t n, const float* s) = 0;
  // Σ_i a_i b_i.
  virtual double dot(std::size_t count, const float* a, const float* b) = 0;
  // diagonal[i] = s_ii.
  virtual void diagonal(std::size_t n, const float* s, float* diagonal) = 0;

  // ---- Elementwise --------------------------------------------------------------------------------
  // s (n x n) ← alpha·s + beta·I.
  virtual void scale_shift_diagonal(std::size_t n, float alpha, float beta, float* s) = 0;
  // x_j ← x_j + alpha·b for each row j of x (m x d); b has d values.
  virtual void add_to_rows(std::size_t m, std::size_t d, float alpha, const float* b, float* x) = 0;
  // Each row of x (m x d) ← b.
  virtual void set_rows(std::size_t m, std::size_t d, const float* b, float* x) = 0;
  // x_i ← 0 where |x_i| < threshold (the statistics' flush of negligible entries).
  virtual void flush_small(std::size_t count, float threshold, float* x) = 0;
  // Rows `index` (count of them, each < rows of source) of source (· x width) into target
  // (count x width), and back: target row index[i] += source row i.
  virtual void gather_rows(std::size_t count, std::size_t width, const std::uint32_t* index, const float* source,
                           float* target) = 0;
  virtual void scatter_add_rows(std::size_t count, std::size_t width, const std::uint32_t* index, const float* source,
                                float* target) = 0;
  // block (a x a, lower triangle) = s (d x d, lower triangle) on the coordinates index (a of them,
  // ascending).
  virtual void gather_block(std::size_t d, const float* s, std::size_t a, const std::uint32_t* index, float* block) = 0;

  // Mirroring ReLU and its inverse (mirror.hpp has the equations): e = mirror(v) for `count`
  // values; out = inverse mirror of u (rows x 2n) with residue[r] += row r's residue unless residue
  // is null; du from g = dL/dout.
  virtual void mirror(std::size_t count, const float* v, float* e) = 0;
  virtual void inverse_mirror(std::size_t rows, std::size_t n, const float* u, float* out, double* residue) = 0;
  virtual void inverse_mirror_backward(std::size_t count, const float* u, const float* g, float* du) = 0;

  // One Adam step over `count` parameters x with gradient g and moments m, v (adam.hpp).
  virtual void adam(const AdamStep& step, std::size_t count, const float* g, float* m, float* v, float* x) = 0;

  // The completion loss of rows of a joint reconstruction (rows x joint) against images x (rows x
  // input, input ≤ joint): g = 2(x̂ - x) on the first `input` coordinates and 0 on the label's;
  // unless loss is null, loss[r] = ‖x̂_r - x_r‖² + residue[r] (residue: rows doubles, or null for 0).
  virtual void completion_gradient(std::size_t rows, std::size_t input, std::size_t joint, const float* reconstruction,
                                   const float* x, const double* residue, float* g, double* loss) = 0;

  // ---- Statistics (statistics.cpp has the equations; each is one pass per coordinate over the
  // rows of the batch e, m x d, which it overwrites with the centred rows z) -------------------------
  // Moving average, row by row: with c_0 = bias and c_j = B after rows 0..j-1,
  //   scaled_j = weight_j·(e_j - c_j),  B ← alpha·e_j + (1-alpha)·B,  e_j ← e_j - c_j.
  virtual void moving_average_rows(std::size_t m, std::size_t d, const float* bias, float alpha, const float* weight,
                                   float* e, float* B, float* scaled) = 0;
  // Moving average, batch sum: B ← alpha·mean_j(e_j) + (1-alpha)·B (the sum in double), e_j ← e_j - bias.
  virtual void moving_average_sum(std::size_t m, std::size_t d, const float* bias, float alpha, float* e, float* B) = 0;
  // Cumulative, the count before the batch being `count`: with the batch mean μ (double),
  //   centred_j = e_j - μ,  e_j ← e_j - c_j (c_0 = bias; c_j = the running mean of the rows before j,
  //   or bias for every row when `sum_semantics`),  delta = μ - B,  B ← B + m/(count+m)·delta.
  virtual void cumulative_rows(std::size_t m, std::size_t d, const float* bias, double count, bool sum_semantics,
                               float* e, float* B, float* centred, float* delta) = 0;
};

}  // namespace indee
