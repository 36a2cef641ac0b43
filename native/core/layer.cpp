#include "layer.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "../backend/cpu/blas.hpp"
#include "error.hpp"
#include "mirror.hpp"
#include "objective.hpp"
#include "solvers.hpp"
#include "workspace.hpp"
#include "rng.hpp"

namespace indee {

using blas::Op;

namespace {

void check_tensor(const std::vector<float>& values, std::size_t size, const char* name, bool non_negative = false) {
  require(values.size() == size, ErrorCode::OutOfRange,
          std::string(name) + " must hold " + std::to_string(size) + " values, got " + std::to_string(values.size()));
  for (std::size_t i = 0; i < values.size(); ++i)
    require(std::isfinite(values[i]) && !(non_negative && values[i] < 0.0f), ErrorCode::OutOfRange,
            std::string(name) + "[" + std::to_string(i) + "] must be a finite" + (non_negative ? " non-negative" : "") +
                " number, got " + std::to_string(values[i]));
}

}  // namespace

Layer::Layer(std::size_t input, std::size_t code, std::uint64_t seed_state, float init_scale)
    : n_(input),
      k_(code),
      W_(2 * input * code),
      b_(2 * input, 0.0f),
      stats_(2 * input),
      adam_m_(2 * input * code, 0.0f),
      adam_v_(2 * input * code, 0.0f),
      objective_(2 * input, code),
      gradient_(2 * input * code) {
  SplitMix64 rng(seed_state);
  for (float& w : W_) w = init_scale * (2.0f * rng.uniform() - 1.0f);
}

void Layer::encode(const float* v, std::size_t m, float* h) const {
  const std::size_t d = mirrored_size();
  std::vector<float> z(m * d);
  mirror(v, m * n_, z.data());
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = 0; i < d; ++i) z[j * d + i] -= b_[i];
  blas::gemm(Op::None, Op::None, m, k_, d, 1.0f, z.data(), W_.data(), 0.0f, h);
}

void Layer::decode(const float* h, std::size_t m, float* u, float* out, double* residue) const {
  const std::size_t d = mirrored_size();
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = 0; i < d; ++i) u[j * d + i] = b_[i];
  blas::gemm(Op::None, Op::Transpose, m, d, k_, 1.0f, h, W_.data(), 1.0f, u);
  inverse_mirror(u, m, n_, out, residue);
}

void Layer::decode_backward(const float* du, std::size_t m, float* dh) const {
  blas::gemm(Op::None, Op::None, m, k_, mirrored_size(), 1.0f, du, W_.data(), 0.0f, dh);
}

void Layer::collect(const float* v, std::size_t m, const CollectOptions& options, float* h) {
  const std::size_t d = mirrored_size();
  batch_z_.resize(m * d);
  batch_scratch_.resize(m * d);
  mirror(v, m * n_, batch_z_.data());
  stats_.collect(batch_z_.data(), m, b_.data(), options.mode, options.alpha, options.semantics, batch_scratch_.data());
  b_ = stats_.mean();
  blas::gemm(Op::None, Op::None, m, k_, d, 1.0f, batch_z_.data(), W_.data(), 0.0f, h);
  release_if_large(batch_z_);
  release_if_large(batch_scratch_);
}

void Layer::replace_statistics(std::vector<float> mean, std::vector<float> moment, double count) {
  stats_.restore(std::move(mean), std::move(moment), count, stats_.decay_since_flush());
  b_ = stats_.mean();
}

void Layer::keep_learned_weights(bool statistics) {
  kept_W_.assign(W_.begin(), W_.end());
  kept_m_.assign(adam_m_.begin(), adam_m_.end());
  kept_v_.assign(adam_v_.begin(), adam_v_.end());
  kept_t_ = adam_t_;
  kept_statistics_ = statistics;
  if (!statistics) return;
  kept_b_.assign(b_.begin(), b_.end());
  kept_B_.assign(stats_.mean().begin(), stats_.mean().end());
  kept_C_.assign(stats_.moment_lower(), stats_.moment_lower() + stats_.dim() * stats_.dim());
  kept_N_ = stats_.count();
}

void Layer::restore_learned_weights() {
  W_.assign(kept_W_.begin(), kept_W_.end());
  adam_m_.assign(kept_m_.begin(), kept_m_.end());
  adam_v_.assign(kept_v_.begin(), kept_v_.end());
  adam_t_ = kept_t_;
  if (!kept_statistics_) return;
  b_.assign(kept_b_.begin(), kept_b_.end());
  stats_.restore(kept_B_, kept_C_, kept_N_, stats_.decay_since_flush());
}

bool Layer::weights_finite() const {
  for (float w : W_)
    if (!std::isfinite(w)) return false;
  return true;
}

LayerState Layer::state() const {
  return {W_, b_, stats_.mean(), stats_.second_moment(), stats_.count(), stats_.decay_since_flush(),
          adam_m_, adam_v_, adam_t_};
}

void Layer::restore(LayerState s) {
  const std::size_t d = mirrored_size();
  check_tensor(s.W, d * k_, "W");
  check_tensor(s.b, d, "b");
  check_tensor(s.B, d, "B");
  check_tensor(s.C, d * d, "C");
  check_tensor(s.adam_m, d * k_, "adam.m");
  check_tensor(s.adam_v, d * k_, "adam.v", true);
  require(std::isfinite(s.N) && s.N >= 0.0, ErrorCode::OutOfRange, "N must be a finite count >= 0, got " + std::to_string(s.N));
  require(s.decay_since_flush > 0.0 && s.decay_since_flush <= 1.0, ErrorCode::OutOfRange,
          "decay must be in (0, 1], got " + std::to_string(s.decay_since_flush));
  W_ = std::move(s.W);
  b_ = std::move(s.b);
  stats_.restore(std::move(s.B), std::move(s.C), s.N, s.decay_since_flush);
  adam_m_ = std::move(s.adam_m);
  adam_v_ = std::move(s.adam_v);
  adam_t_ = s.adam_t;
}

// The statistics as the objective and the solvers read them: C restricted to its active block
// (see objective.hpp, copied into `block`) when that leaves coordinates out, else C itself.
struct Layer::Moment {
  std::vector<std::size_t> active;
  const float* C;
};

Layer::Moment Layer::moment(std::vector<float>& block) const {
  const std::size_t d = mirrored_size();
  Moment moment{active_coordinates(d, stats_.moment_lower()), stats_.moment_lower()};
  if (moment.active.size() < d) {
    active_block(d, stats_.moment_lower(), moment.active, block);
    moment.C = block.data();
  }
  return moment;
}

double Layer::objective(float* gradient) const {
  Moment m = moment(block_);
  objective_.reset(std::move(m.active));
  return objective_.evaluate(m.C, W_.data(), gradient);
}

// The fast solvers on the active block: C's eigenvectors are zero on the inactive coordinates, so
// W's rows there become zero and the eigenproblem shrinks from d x d to a x a. The block is used
// only while it can hold k directions (a ≥ k); before that, the whole matrix.
void Layer::solve(Solver solver, std::size_t steps, const Moment& m) {
  const std::size_t d = mirrored_size(), a = m.active.size();
  const bool block = a < d && a >= k_;
  std::vector<float> Wa;
  if (block) {
    Wa.resize(a * k_);
    for (std::size_t i = 0; i < a; ++i) std::copy(W_.begin() + m.active[i] * k_, W_.begin() + (m.active[i] + 1) * k_, Wa.begin() + i * k_);
  }
  float* target = block ? Wa.data() : W_.data();
  const float* C = block ? m.C : stats_.moment_lower();
  const std::size_t n = block ? a : d;
  const std::size_t kept = solver == Solver::Eig ? eig_solve(n, k_, C, target) : subspace_solve(n, k_, C, steps, target);
  if (!block || kept == 0) return;  // kept == 0: nothing to learn yet, W unchanged
  std::fill(W_.begin(), W_.end(), 0.0f);
  for (std::size_t i = 0; i < a; ++i) std::copy(Wa.begin() + i * k_, Wa.begin() + (i + 1) * k_, W_.begin() + m.active[i] * k_);
}

double Layer::learn(std::size_t steps, const AdamHyper& hyper, Solver solver) {
  Moment m = moment(block_);
  if (steps > 0 && solver != Solver::Adam) {
    solve(solver, steps, m);
    steps = 0;
  }
  objective_.reset(std::move(m.active));
  if (steps == 0) return objective_.evaluate(m.C, W_.data(), nullptr);

  double value = 0.0;
  for (std::size_t s = 0; s < steps; ++s) {
    value = objective_.evaluate(m.C, W_.data(), gradient_.data());
    adam_step(hyper, ++adam_t_, gradient_.data(), adam_m_.data(), adam_v_.data(), W_.data(), W_.size());
  }
  return value;
}

}  // namespace indee
