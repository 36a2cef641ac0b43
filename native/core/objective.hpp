// The learning objective of one layer (ALGORITHM.md, "Learn"): the expected tied-weight
// reconstruction error E‖z - WWᵀz‖² written through the second moment C alone,
//   f(W) = tr C - 2 tr(Wᵀ C W) + tr((Wᵀ C W)(Wᵀ W)),
//   ∇f   = -4 C W + 2 C W (WᵀW) + 2 W (Wᵀ C W).
// The product P = C W dominates the cost; it is computed once and reused by f and ∇f.
#pragma once

#include <cstddef>
#include <vector>

namespace indee {

class TraceObjective {
 public:
  TraceObjective(std::size_t dim, std::size_t code);

  // f(W) for C (dim x dim, lower triangle read) and W (dim x code); writes ∇f into `gradient`
  // (dim x code) unless it is null.
  double evaluate(const float* C, const float* W, float* gradient);

 private:
  std::size_t d_, k_;
  std::vector<float> P_;  // C W        (d x k)
  std::vector<float> S_;  // Wᵀ W (k x k); turned into 2WᵀW - 4I for the gradient once f is read
  std::vector<float> T_;  // Wᵀ C W     (k x k)
};

}  // namespace indee
