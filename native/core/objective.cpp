#include "objective.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

#include "../backend/registry.hpp"

namespace indee {

namespace {

std::vector<std::size_t> all_coordinates(std::size_t d) {
  std::vector<std::size_t> all(d);
  std::iota(all.begin(), all.end(), std::size_t(0));
  return all;
}

}  // namespace

std::vector<std::size_t> positive_entries(std::size_t n, const float* values) {
  std::vector<std::size_t> positive;
  for (std::size_t i = 0; i < n; ++i)
    if (values[i] > 0.0f) positive.push_back(i);
  return positive;
}

std::vector<std::uint32_t> narrow_indices(const std::vector<std::size_t>& indices) {
  return std::vector<std::uint32_t>(indices.begin(), indices.end());  // dimensions are below 46,341 (stack.cpp)
}

void active_block(std::size_t d, const float* C, const std::vector<std::size_t>& active, std::vector<float>& block) {
  const std::size_t a = active.size();
  block.resize(a * a);
  cpu_backend().gather_block(d, C, a, narrow_indices(active).data(), block.data());
}

TraceObjective::TraceObjective(Backend& backend, std::size_t dim, std::size_t code)
    : TraceObjective(backend, dim, code, all_coordinates(dim)) {}

TraceObjective::TraceObjective(Backend& backend, std::size_t dim, std::size_t code, std::vector<std::size_t> active)
    : backend_(&backend), d_(dim), k_(code), index_(backend), Wa_(backend), P_(backend), S_(backend, code * code),
      T_(backend, code * code), Q_(backend) {
  reset(std::move(active));
}

void TraceObjective::reset(std::vector<std::size_t> active) {
  active_ = std::move(active);
  const std::size_t rows = dense() ? 0 : active_.size() * k_;
  index_.upload(narrow_indices(dense() ? std::vector<std::size_t>() : active_));
  Wa_.resize(rows);
  Q_.resize(rows);
  P_.resize(active_.size() * k_);
}

double TraceObjective::evaluate(const float* C, const float* W, float* gradient) {
  if (active_.empty()) {  // C = 0: f = 0 and ∇f = 0 whatever W
    zero_gradient(gradient);
    return 0.0;
  }
  form_products(C, W);
  Backend& be = *backend_;
  const double trace_C = be.trace(active_.size(), C), trace_T = be.trace(k_, T_.data());
  const double trace_TS = be.dot(k_ * k_, T_.data(), S_.data());  // tr(TS) = Σ T∘S, both symmetric
  if (gradient != nullptr) assemble_gradient(W, gradient);
  return trace_C - 2.0 * trace_T + trace_TS;
}

void TraceObjective::gradient(const float* C, const float* W, float* gradient) {
  if (active_.empty()) return zero_gradient(gradient);
  form_products(C, W);
  assemble_gradient(W, gradient);
}

void TraceObjective::zero_gradient(float* gradient) {
  if (gradient != nullptr) backend_->zero(gradient, d_ * k_ * sizeof(float));
}

void TraceObjective::form_products(const float* C, const float* W) {
  Backend& be = *backend_;
  const std::size_t d = d_, k = k_, a = active_.size();
  const float* Wa = W;
  if (!dense()) {
    be.gather_rows(a, k, index_.data(), W, Wa_.data());
    Wa = Wa_.data();
  }
  be.symm(a, k, C, Wa, 0.0f, P_.data());                                        // P = C W
  be.syrk(k, d, 1.0f, W, 0.0f, S_.data());                                      // S = WᵀW
  be.symmetrize(k, S_.data());
  be.gemm(Op::Transpose, Op::None, k, k, a, 1.0f, Wa, P_.data(), 0.0f, T_.data());  // T = WᵀP
}

// ∇f = -4P + 2PS + 2WT = P·(2S - 4I) + 2W·T: two products and no elementwise pass over d x k (P being
// zero outside the active rows). Turns S into 2S - 4I.
void TraceObjective::assemble_gradient(const float* W, float* gradient) {
  Backend& be = *backend_;
  const std::size_t d = d_, k = k_, a = active_.size();
  be.scale_shift_diagonal(k, 2.0f, -4.0f, S_.data());
  if (dense()) {
    be.gemm(Op::None, Op::None, d, k, k, 1.0f, P_.data(), S_.data(), 0.0f, gradient);
    be.gemm(Op::None, Op::None, d, k, k, 2.0f, W, T_.data(), 1.0f, gradient);
  } else {
    be.gemm(Op::None, Op::None, d, k, k, 2.0f, W, T_.data(), 0.0f, gradient);
    be.gemm(Op::None, Op::None, a, k, k, 1.0f, P_.data(), S_.data(), 0.0f, Q_.data());
    be.scatter_add_rows(a, k, index_.data(), Q_.data(), gradient);
  }
}

}  // namespace indee
