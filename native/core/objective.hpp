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
#include <vector>

namespace indee {

class TraceObjective {
 public:
  // Every coordinate active: C is the whole d x d matrix.
  TraceObjective(std::size_t dim, std::size_t code);
  // Only the coordinates `active` (ascending, each < dim) may have C_ii > 0; C is their block.
  TraceObjective(std::size_t dim, std::size_t code, std::vector<std::size_t> active);

  // Changes the active coordinates, keeping the buffers' memory (a layer reuses one objective).
  void reset(std::vector<std::size_t> active);

  // f(W) for C (the active block, a x a, lower triangle read) and W (dim x code); writes ∇f into
  // `gradient` (dim x code) unless it is null.
  double evaluate(const float* C, const float* W, float* gradient);

 private:
  bool dense() const { return active_.size() == d_; }

  std::size_t d_, k_;
  std::vector<std::size_t> active_;
  std::vector<float> Wa_;  // W's active rows (a x k), unless dense
  std::vector<float> P_;   // C W on the active rows (a x k)
  std::vector<float> S_;   // Wᵀ W (k x k); turned into 2WᵀW - 4I for the gradient once f is read
  std::vector<float> T_;   // Wᵀ C W (k x k)
  std::vector<float> Q_;   // P (2WᵀW - 4I) (a x k), unless dense
};

// The coordinates i with C_ii > 0, ascending, of a d x d matrix C (lower triangle read).
std::vector<std::size_t> active_coordinates(std::size_t d, const float* C);

// The a x a block of C (lower triangle read and written) on the coordinates `active`.
// `block` is resized (its memory kept between calls by callers that reuse it) and filled.
void active_block(std::size_t d, const float* C, const std::vector<std::size_t>& active, std::vector<float>& block);

}  // namespace indee
