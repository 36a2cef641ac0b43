#include "objective.hpp"

#include "../backend/cpu/blas.hpp"

namespace indee {

using blas::Op;

TraceObjective::TraceObjective(std::size_t dim, std::size_t code)
    : d_(dim), k_(code), P_(dim * code), S_(code * code), T_(code * code) {}

double TraceObjective::evaluate(const float* C, const float* W, float* gradient) {
  const std::size_t d = d_, k = k_;
  blas::symm(d, k, C, W, 0.0f, P_.data());
  blas::syrk(k, d, 1.0f, W, 0.0f, S_.data());
  blas::symmetrize_from_lower(k, S_.data());
  blas::gemm(Op::Transpose, Op::None, k, k, d, 1.0f, W, P_.data(), 0.0f, T_.data());

  double trace_C = 0.0, trace_T = 0.0, trace_TS = 0.0;
  for (std::size_t i = 0; i < d; ++i) trace_C += C[i * d + i];
  for (std::size_t i = 0; i < k; ++i) trace_T += T_[i * k + i];
  for (std::size_t i = 0; i < k * k; ++i) trace_TS += double(T_[i]) * S_[i];  // tr(TS) = Σ T∘S, both symmetric

  if (gradient != nullptr) {
    // ∇f = -4P + 2PS + 2WT = P·(2S - 4I) + 2W·T: two products and no elementwise pass over d x k.
    for (std::size_t i = 0; i < k * k; ++i) S_[i] *= 2.0f;
    for (std::size_t i = 0; i < k; ++i) S_[i * k + i] -= 4.0f;
    blas::gemm(Op::None, Op::None, d, k, k, 1.0f, P_.data(), S_.data(), 0.0f, gradient);
    blas::gemm(Op::None, Op::None, d, k, k, 2.0f, W, T_.data(), 1.0f, gradient);
  }
  return trace_C - 2.0 * trace_T + trace_TS;
}

}  // namespace indee
