#include "layer.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "../backend/registry.hpp"
#include "error.hpp"
#include "objective.hpp"
#include "solvers.hpp"
#include "workspace.hpp"
#include "rng.hpp"

namespace indee {

namespace {

void check_tensor(const std::vector<float>& values, std::size_t size, const char* name, bool non_negative = false) {
  require(values.size() == size, ErrorCode::OutOfRange,
          std::string(name) + " must hold " + std::to_string(size) + " values, got " + std::to_string(values.size()));
  for (std::size_t i = 0; i < values.size(); ++i)  // the message only for a value that fails (see Stack::collect)
    if (!(std::isfinite(values[i]) && !(non_negative && values[i] < 0.0f)))
      throw Error(ErrorCode::OutOfRange, std::string(name) + "[" + std::to_string(i) + "] must be a finite" +
                                             (non_negative ? " non-negative" : "") + " number, got " + std::to_string(values[i]));
}

}  // namespace

Layer::Layer(Backend& backend, std::size_t input, std::size_t code, std::uint64_t seed_state, float init_scale)
    : backend_(&backend),
      n_(input),
      k_(code),
      W_(backend),
      b_(backend, 2 * input),
      stats_(backend, 2 * input),
      adam_m_(backend, 2 * input * code),
      adam_v_(backend, 2 * input * code),
      objective_(backend, 2 * input, code),
      gradient_(backend, 2 * input * code),
      block_(backend),
      active_(backend),
      diagonal_(backend),
      batch_z_(backend),
      batch_scratch_(backend),
      kept_W_(backend),
      kept_m_(backend),
      kept_v_(backend),
      kept_b_(backend),
      kept_B_(backend),
      kept_C_(backend) {
  SplitMix64 rng(seed_state);
  std::vector<float> W(2 * input * code);
  for (float& w : W) w = init_scale * (2.0f * rng.uniform() - 1.0f);
  W_.upload(W);
  b_.zero();
  adam_m_.zero();
  adam_v_.zero();
}

void Layer::encode(const float* v, std::size_t m, DeviceArray<float>& z, float* h) const {
  const std::size_t d = mirrored_size();
  z.resize(m * d);
  backend_->mirror(m * n_, v, z.data());
  backend_->add_to_rows(m, d, -1.0f, b_.data(), z.data());
  backend_->gemm(Op::None, Op::None, m, k_, d, 1.0f, z.data(), W_.data(), 0.0f, h);
}

void Layer::decode(const float* h, std::size_t m, float* u, float* out, double* residue) const {
  const std::size_t d = mirrored_size();
  backend_->set_rows(m, d, b_.data(), u);
  backend_->gemm(Op::None, Op::Transpose, m, d, k_, 1.0f, h, W_.data(), 1.0f, u);
  backend_->inverse_mirror(m, n_, u, out, residue);
}

void Layer::decode_backward(const float* du, std::size_t m, float* dh) const {
  backend_->gemm(Op::None, Op::None, m, k_, mirrored_size(), 1.0f, du, W_.data(), 0.0f, dh);
}

void Layer::collect(const float* v, std::size_t m, const CollectOptions& options, float* h) {
  const std::size_t d = mirrored_size();
  batch_z_.resize(m * d);
  batch_scratch_.resize(m * d);
  backend_->mirror(m * n_, v, batch_z_.data());
  stats_.collect(batch_z_.data(), m, b_.data(), options.mode, options.alpha, options.semantics, batch_scratch_.data());
  backend_->copy(stats_.mean_data(), b_.bytes(), b_.data());
  backend_->gemm(Op::None, Op::None, m, k_, d, 1.0f, batch_z_.data(), W_.data(), 0.0f, h);
  release_if_large(batch_z_);
  release_if_large(batch_scratch_);
}

void Layer::replace_statistics(const std::vector<float>& mean, const std::vector<float>& moment, double count) {
  stats_.restore(mean, moment, count, stats_.decay_since_flush());
  b_.upload(mean);
}

void Layer::keep_learned_weights(bool statistics) {
  kept_W_.assign(W_);
  kept_m_.assign(adam_m_);
  kept_v_.assign(adam_v_);
  kept_t_ = adam_t_;
  kept_statistics_ = statistics;
  if (!statistics) return;
  kept_b_.assign(b_);
  kept_B_.resize(stats_.dim());
  backend_->copy(stats_.mean_data(), kept_B_.bytes(), kept_B_.data());
  kept_C_.resize(stats_.dim() * stats_.dim());
  backend_->copy(stats_.moment_data(), kept_C_.bytes(), kept_C_.data());
  kept_N_ = stats_.count();
}

void Layer::restore_learned_weights() {
  W_.assign(kept_W_);
  adam_m_.assign(kept_m_);
  adam_v_.assign(kept_v_);
  adam_t_ = kept_t_;
  if (!kept_statistics_) return;
  b_.assign(kept_b_);
  stats_.restore(kept_B_, kept_C_, kept_N_, stats_.decay_since_flush());
}

bool Layer::weights_finite() const {
  const HostView<float> W(W_);
  for (std::size_t i = 0; i < W_.size(); ++i)
    if (!std::isfinite(W[i])) return false;
  return true;
}

LayerState Layer::state() const {
  return {W_.download(), b_.download(), stats_.mean(), stats_.second_moment(), stats_.count(), stats_.decay_since_flush(),
          adam_m_.download(), adam_v_.download(), adam_t_};
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
  W_.upload(s.W);
  b_.upload(s.b);
  stats_.restore(s.B, s.C, s.N, s.decay_since_flush);
  adam_m_.upload(s.adam_m);
  adam_v_.upload(s.adam_v);
  adam_t_ = s.adam_t;
}

std::vector<std::size_t> Layer::active_coordinates() const {
  const std::size_t d = mirrored_size();
  diagonal_.resize(d);
  backend_->diagonal(d, stats_.moment_data(), diagonal_.data());
  const HostView<float> diagonal(diagonal_);
  return positive_entries(d, diagonal.data());
}

// The statistics as the objective and the solvers read them: C restricted to its active block
// (see objective.hpp, gathered into block_) when that leaves coordinates out, else C itself.
struct Layer::Moment {
  std::vector<std::size_t> active;
  const float* C;
};

Layer::Moment Layer::moment() const {
  const std::size_t d = mirrored_size();
  Moment moment{active_coordinates(), stats_.moment_data()};
  const std::size_t a = moment.active.size();
  if (a < d) {
    active_.upload(narrow_indices(moment.active));
    block_.resize(a * a);
    backend_->gather_block(d, stats_.moment_data(), a, active_.data(), block_.data());
    moment.C = block_.data();
  }
  return moment;
}

double Layer::objective(float* gradient) const {
  Moment m = moment();
  objective_.reset(std::move(m.active));
  return objective_.evaluate(m.C, W_.data(), gradient);
}

// The fast solvers run on the host (LAPACK), on the active block: C's eigenvectors are zero on the
// inactive coordinates, so W's rows there become zero and the eigenproblem shrinks from d x d to
// a x a. The block is used only while it can hold k directions (a ≥ k); before that, the whole
// matrix.
void Layer::solve(Solver solver, std::size_t steps, const Moment& m) {
  Backend& host = cpu_backend();
  const std::size_t d = mirrored_size(), a = m.active.size();
  const bool block = a < d && a >= k_;
  const std::size_t n = block ? a : d;
  const HostView<float> C(*backend_, block ? m.C : stats_.moment_data(), n * n);
  std::vector<float> W = W_.download();
  const std::vector<std::uint32_t> rows = narrow_indices(m.active);
  std::vector<float> Wa;
  if (block) {
    Wa.resize(a * k_);
    host.gather_rows(a, k_, rows.data(), W.data(), Wa.data());
  }
  float* target = block ? Wa.data() : W.data();
  const std::size_t kept = solver == Solver::Eig ? eig_solve(n, k_, C.data(), target) : subspace_solve(n, k_, C.data(), steps, target);
  if (block && kept == 0) return;  // nothing to learn yet: W unchanged
  if (block) {
    std::fill(W.begin(), W.end(), 0.0f);
    host.scatter_add_rows(a, k_, rows.data(), Wa.data(), W.data());
  }
  W_.upload(W);
}

double Layer::learn(std::size_t steps, const AdamHyper& hyper, Solver solver) {
  Moment m = moment();
  if (steps > 0 && solver != Solver::Adam) {
    solve(solver, steps, m);
    steps = 0;
  }
  objective_.reset(std::move(m.active));
  if (steps == 0) return objective_.evaluate(m.C, W_.data(), nullptr);

  double value = 0.0;
  for (std::size_t s = 0; s < steps; ++s) {
    if (s + 1 < steps)
      objective_.gradient(m.C, W_.data(), gradient_.data());
    else
      value = objective_.evaluate(m.C, W_.data(), gradient_.data());
    backend_->adam(adam_step_constants(hyper, ++adam_t_), W_.size(), gradient_.data(), adam_m_.data(), adam_v_.data(), W_.data());
  }
  return value;
}

}  // namespace indee
