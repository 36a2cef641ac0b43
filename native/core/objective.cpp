#include "objective.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

#include "../backend/cpu/blas.hpp"

namespace indee {

using blas::Op;

namespace {

std::vector<std::size_t> all_coordinates(std::size_t d) {
  std::vector<std::size_t> all(d);
  std::iota(all.begin(), all.end(), std::size_t(0));
  return all;
}

}  // namespace

std::vector<std::size_t> active_coordinates(std::size_t d, const float* C) {
  std::vector<std::size_t> active;
  for (std::size_t i = 0; i < d; ++i)
    if (C[i * d + i] > 0.0f) active.push_back(i);
  return active;
}

void active_block(std::size_t d, const float* C, const std::vector<std::size_t>& active, std::vector<float>& block) {
  const std::size_t a = active.size();
  block.assign(a * a, 0.0f);
  for (std::size_t i = 0; i < a; ++i)
    for (std::size_t j = 0; j <= i; ++j) block[i * a + j] = C[active[i] * d + active[j]];
}

TraceObjective::TraceObjective(std::size_t dim, std::size_t code) : TraceObjective(dim, code, all_coordinates(dim)) {}

TraceObjective::TraceObjective(std::size_t dim, std::size_t code, std::vector<std::size_t> active)
    : d_(dim), k_(code), S_(code * code), T_(code * code) {
  reset(std::move(active));
}

void TraceObjective::reset(std::vector<std::size_t> active) {
  active_ = std::move(active);
  const std::size_t rows = dense() ? 0 : active_.size() * k_;
  Wa_.resize(rows);
  Q_.resize(rows);
  P_.resize(active_.size() * k_);
}

double TraceObjective::evaluate(const float* C, const float* W, float* gradient) {
  const std::size_t d = d_, k = k_, a = active_.size();
  if (a == 0) {  // C = 0: f = 0 and ∇f = 0 whatever W
    if (gradient != nullptr) std::fill(gradient, gradient + d * k, 0.0f);
    return 0.0;
  }
  const float* Wa = W;
  if (!dense()) {
    for (std::size_t i = 0; i < a; ++i)
      std::copy(W + active_[i] * k, W + (active_[i] + 1) * k, Wa_.begin() + i * k);
    Wa = Wa_.data();
  }
  blas::symm(a, k, C, Wa, 0.0f, P_.data());                                        // P = C W
  blas::syrk(k, d, 1.0f, W, 0.0f, S_.data());                                      // S = WᵀW
  blas::symmetrize_from_lower(k, S_.data());
  blas::gemm(Op::Transpose, Op::None, k, k, a, 1.0f, Wa, P_.data(), 0.0f, T_.data());  // T = WᵀP

  double trace_C = 0.0, trace_T = 0.0, trace_TS = 0.0;
  for (std::size_t i = 0; i < a; ++i) trace_C += C[i * a + i];
  for (std::size_t i = 0; i < k; ++i) trace_T += T_[i * k + i];
  for (std::size_t i = 0; i < k * k; ++i) trace_TS += double(T_[i]) * S_[i];  // tr(TS) = Σ T∘S, both symmetric

  if (gradient != nullptr) {
    // ∇f = -4P + 2PS + 2WT = P·(2S - 4I) + 2W·T: two products and no elementwise pass over d x k
    // (P being zero outside the active rows).
    for (std::size_t i = 0; i < k * k; ++i) S_[i] *= 2.0f;
    for (std::size_t i = 0; i < k; ++i) S_[i * k + i] -= 4.0f;
    if (dense()) {
      blas::gemm(Op::None, Op::None, d, k, k, 1.0f, P_.data(), S_.data(), 0.0f, gradient);
      blas::gemm(Op::None, Op::None, d, k, k, 2.0f, W, T_.data(), 1.0f, gradient);
    } else {
      blas::gemm(Op::None, Op::None, d, k, k, 2.0f, W, T_.data(), 0.0f, gradient);
      blas::gemm(Op::None, Op::None, a, k, k, 1.0f, P_.data(), S_.data(), 0.0f, Q_.data());
      for (std::size_t i = 0; i < a; ++i) {
        float* row = gradient + active_[i] * k;
        const float* q = Q_.data() + i * k;
        for (std::size_t j = 0; j < k; ++j) row[j] += q[j];
      }
    }
  }
  return trace_C - 2.0 * trace_T + trace_TS;
}

}  // namespace indee
