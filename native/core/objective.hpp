// The learning objective of one layer (ALGORITHM.md, "Learn"): the expected tied-weight
// reconstruction error E‖z - WWᵀz‖² written through the second moment C alone,
//   f(W) = tr C - 2 tr(Wᵀ C W) + tr((Wᵀ C W)(Wᵀ W)),
//   ∇f   = -4 C W + 2 C W (WᵀW) + 2 W (Wᵀ C W).
// The product P = C W dominates the cost; it is computed once and reused by f and ∇f.
//
// Coordinates that never vary (C_ii = 0, hence their whole row and column of the PSD matrix C:
// for non-negative inputs, half of the first layer's mirrored coordinates) contribute nothing to
// C W. Given the active coordinates, C is passed as its a x a active block and P is formed there
// (2a²k instead of 2d²k flops); W, WᵀW and the term 2W(WᵀCW) keep all d rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../backend/device_array.hpp"

namespace indee {

class TraceObjective {
 public:
  // Every coordinate active: C is the whole d x d matrix. Buffers live in `backend`'s memory.
  TraceObjective(Backend& backend, std::size_t dim, std::size_t code);
  // Only the coordinates `active` (ascending, each < dim) may have C_ii > 0; C is their block.
  TraceObjective(Backend& backend, std::size_t dim, std::size_t code, std::vector<std::size_t> active);

  // Changes the active coordinates, keeping the buffers' memory (a layer reuses one objective).
  void reset(std::vector<std::size_t> active);

  // f(W) for C (the active block, a x a, lower triangle read) and W (dim x code), both in backend
  // memory; writes ∇f into `gradient` (dim x code, backend memory) unless it is null.
  double evaluate(const float* C, const float* W, float* gradient);
  // ∇f alone: no reductions, which on a GPU would each wait for the device (Adam needs only ∇f).
  void gradient(const float* C, const float* W, float* gradient);

 private:
  bool dense() const { return active_.size() == d_; }
  void zero_gradient(float* gradient);
  void form_products(const float* C, const float* W);  // P, S and T
  void assemble_gradient(const float* W, float* gradient);

  Backend* backend_;
  std::size_t d_, k_;
  std::vector<std::size_t> active_;
  DeviceArray<std::uint32_t> index_;  // active_, in backend memory
  DeviceArray<float> Wa_;  // W's active rows (a x k), unless dense
  DeviceArray<float> P_;   // C W on the active rows (a x k)
  DeviceArray<float> S_;   // Wᵀ W (k x k); turned into 2WᵀW - 4I for the gradient once f is read
  DeviceArray<float> T_;   // Wᵀ C W (k x k)
  DeviceArray<float> Q_;   // P (2WᵀW - 4I) (a x k), unless dense
};

// The indices i < n with values[i] > 0, ascending: the active coordinates, given C's diagonal.
std::vector<std::size_t> positive_entries(std::size_t n, const float* values);

// The same indices as backend-ready 32-bit values.
std::vector<std::uint32_t> narrow_indices(const std::vector<std::size_t>& indices);

// The a x a block of C (d x d, host memory; lower triangle read and written) on the coordinates
// `active`. `block` is resized (its memory kept between calls by callers that reuse it) and filled.
void active_block(std::size_t d, const float* C, const std::vector<std::size_t>& active, std::vector<float>& block);

}  // namespace indee
