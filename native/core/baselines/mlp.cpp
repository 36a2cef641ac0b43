#include "mlp.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "backend/cpu/blas.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/simd.hpp"

namespace indee {
namespace {

constexpr std::size_t kMaxSize = std::size_t(1) << 20;
constexpr std::size_t kMaxParameters = std::size_t(1) << 31;
// logits() and consolidate() take any number of rows, in chunks of this many: their scratch stays
// bounded (a test set of 10,000 rows does not need 10,000-row activations).
constexpr std::size_t kChunk = 1024;

using blas::Op;

// Δ ← Δ ⊙ [A > 0] (the ReLU's derivative, read from its output).
INDEE_MULTIVERSION void relu_mask(const float* a, float* delta, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) delta[i] = a[i] > 0.0f ? delta[i] : 0.0f;
}

// Z ← max(Z + 1 bᵀ, 0) row by row (relu) or Z + 1 bᵀ (the logits).
INDEE_MULTIVERSION void add_bias(float* z, const float* b, std::size_t m, std::size_t n, bool relu) {
  for (std::size_t r = 0; r < m; ++r) {
    float* row = z + r * n;
    if (relu)
      for (std::size_t j = 0; j < n; ++j) row[j] = std::max(row[j] + b[j], 0.0f);
    else
      for (std::size_t j = 0; j < n; ++j) row[j] += b[j];
  }
}

INDEE_MULTIVERSION void square(const float* a, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = a[i] * a[i];
}

// out[j] = beta·out[j] + Σ_r a[r, j]   (a: m × n)
INDEE_MULTIVERSION void column_sums(const float* a, std::size_t m, std::size_t n, float beta, float* out) {
  for (std::size_t j = 0; j < n; ++j) out[j] *= beta;
  for (std::size_t r = 0; r < m; ++r) {
    const float* row = a + r * n;
    for (std::size_t j = 0; j < n; ++j) out[j] += row[j];
  }
}

// Whether every value is finite: a float is NaN or infinite exactly when its exponent bits are all
// ones. An integer OR-reduction vectorises, where a sum of floats (not reassociable) would not.
INDEE_MULTIVERSION bool all_finite(const float* v, std::size_t n) {
  std::uint32_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, v + i, sizeof bits);
    bad |= std::uint32_t((bits & 0x7F800000u) == 0x7F800000u);
  }
  return bad == 0;
}

}  // namespace

Mlp::Mlp(std::vector<std::size_t> sizes, std::uint64_t seed, float rate) : sizes_(std::move(sizes)) {
  require(sizes_.size() >= 2, ErrorCode::OutOfRange,
          "an MLP needs at least two sizes (inputs and outputs), got " + std::to_string(sizes_.size()));
  std::size_t total = 0;
  for (std::size_t l = 0; l < sizes_.size(); ++l)
    require(sizes_[l] >= 1 && sizes_[l] <= kMaxSize, ErrorCode::OutOfRange,
            "sizes[" + std::to_string(l) + "] must be in [1, " + std::to_string(kMaxSize) + "], got " +
                std::to_string(sizes_[l]));
  for (std::size_t l = 0; l + 1 < sizes_.size(); ++l) {
    offsets_.push_back(total);
    total += sizes_[l] * sizes_[l + 1] + sizes_[l + 1];  // each term < 2⁴⁰ + 2²⁰: no overflow
    require(total <= kMaxParameters, ErrorCode::OutOfRange,
            "an MLP of these sizes would have more than 2^31 parameters");
  }
  require(std::isfinite(rate) && rate > 0.0f, ErrorCode::OutOfRange,
          "rate must be a finite number > 0, got " + std::to_string(rate));
  hyper_.rate = rate;

  theta_.assign(total, 0.0f);
  adam_m_.assign(total, 0.0f);
  adam_v_.assign(total, 0.0f);
  grad_.assign(total, 0.0f);
  SplitMix64 rng(seed);
  for (std::size_t l = 0; l < depth(); ++l) {
    const float s = std::sqrt(6.0f / float(sizes_[l]));
    float* w = theta_.data() + weight_offset(l);
    for (std::size_t i = 0; i < sizes_[l] * sizes_[l + 1]; ++i) w[i] = s * (2.0f * rng.uniform() - 1.0f);
  }
  acts_.resize(sizes_.size());
  deltas_.resize(sizes_.size());
}

void Mlp::set_parameters(const std::vector<float>& theta) {
  require(theta.size() == theta_.size(), ErrorCode::OutOfRange,
          "parameters must have length " + std::to_string(theta_.size()) + ", got " + std::to_string(theta.size()));
  require(all_finite(theta.data(), theta.size()), ErrorCode::OutOfRange, "parameters must be finite");
  theta_ = theta;
}

void Mlp::check_batch(const float* x, const std::int32_t* labels, std::size_t m) const {
  // Checked with `if` rather than require(): its message string would be built (allocated) on
  // every call, for every row.
  if (m == 0) throw Error(ErrorCode::OutOfRange, "a batch needs at least one row");
  if (m > kMaxParameters / inputs()) throw Error(ErrorCode::OutOfRange, "a batch of " + std::to_string(m) + " rows is too large");
  if (!all_finite(x, m * inputs())) {
    std::size_t i = 0;
    while (std::isfinite(x[i])) ++i;
    throw Error(ErrorCode::OutOfRange, "x[" + std::to_string(i) + "] must be a finite number, got " + std::to_string(x[i]));
  }
  if (labels != nullptr)
    for (std::size_t r = 0; r < m; ++r)
      if (labels[r] < 0 || std::size_t(labels[r]) >= outputs())
        throw Error(ErrorCode::OutOfRange, "labels[" + std::to_string(r) + "] must be a class in [0, " +
                                               std::to_string(outputs() - 1) + "], got " + std::to_string(labels[r]));
}

void Mlp::reserve(std::size_t m) {
  if (m <= capacity_) return;
  std::size_t widest_in = 0, widest_out = 0;
  for (std::size_t l = 1; l < sizes_.size(); ++l) {
    acts_[l].assign(m * sizes_[l], 0.0f);
    deltas_[l].assign(m * sizes_[l], 0.0f);
    widest_in = std::max(widest_in, sizes_[l - 1]);
    widest_out = std::max(widest_out, sizes_[l]);
  }
  // Only the Fisher needs the squares; they are allocated with the rest so that consolidate()
  // after training allocates nothing either.
  squares_in_.assign(m * widest_in, 0.0f);
  squares_out_.assign(m * widest_out, 0.0f);
  capacity_ = m;
}

void Mlp::forward(const float* x, std::size_t m) {
  const float* a = x;
  for (std::size_t l = 0; l < depth(); ++l) {
    const std::size_t n_in = sizes_[l], n_out = sizes_[l + 1];
    float* z = acts_[l + 1].data();
    blas::gemm(Op::None, Op::None, m, n_out, n_in, 1.0f, a, theta_.data() + weight_offset(l), 0.0f, z);
    add_bias(z, theta_.data() + bias_offset(l), m, n_out, l + 1 < depth());
    a = z;
  }
}

double Mlp::output_delta(const std::int32_t* labels, std::size_t m, float scale, std::int32_t* predicted) {
  const std::size_t k = outputs();
  const float* z = acts_[depth()].data();
  float* delta = deltas_[depth()].data();
  double total = 0.0;
  for (std::size_t r = 0; r < m; ++r) {
    const float* zr = z + r * k;
    float* dr = delta + r * k;
    std::size_t best = 0;
    for (std::size_t j = 1; j < k; ++j)
      if (zr[j] > zr[best]) best = j;
    if (predicted != nullptr) predicted[r] = std::int32_t(best);
    const float top = zr[best];
    float sum = 0.0f;
    for (std::size_t j = 0; j < k; ++j) sum += (dr[j] = std::exp(zr[j] - top));
    const std::size_t y = std::size_t(labels[r]);
    // −log p_y = log Σ_j exp(z_j − max) − (z_y − max)
    total += double(std::log(sum)) - double(zr[y] - top);
    const float inv = scale / sum;
    for (std::size_t j = 0; j < k; ++j) dr[j] *= inv;
    dr[y] -= scale;
  }
  return total;
}

void Mlp::backward(const float* x, std::size_t m, Accumulate mode, float* g) {
  for (std::size_t l = depth(); l-- > 0;) {
    const std::size_t n_in = sizes_[l], n_out = sizes_[l + 1];
    const float* a = l == 0 ? x : acts_[l].data();
    const float* delta = deltas_[l + 1].data();
    float* gw = g + weight_offset(l);
    float* gb = g + bias_offset(l);
    if (mode == Accumulate::Gradient) {
      blas::gemm(Op::Transpose, Op::None, n_in, n_out, m, 1.0f, a, delta, 0.0f, gw);
      column_sums(delta, m, n_out, 0.0f, gb);
    } else {
      // Σ_r (a_r ⊗ δ_r)² = Σ_r (a_r ∘ a_r) ⊗ (δ_r ∘ δ_r) = (A ∘ A)ᵀ (Δ ∘ Δ)
      square(a, squares_in_.data(), m * n_in);
      square(delta, squares_out_.data(), m * n_out);
      blas::gemm(Op::Transpose, Op::None, n_in, n_out, m, 1.0f, squares_in_.data(), squares_out_.data(), 1.0f, gw);
      column_sums(squares_out_.data(), m, n_out, 1.0f, gb);
    }
    if (l > 0) {
      float* below = deltas_[l].data();
      blas::gemm(Op::None, Op::Transpose, m, n_in, n_out, 1.0f, delta, theta_.data() + weight_offset(l), 0.0f, below);
      relu_mask(acts_[l].data(), below, m * n_in);
    }
  }
}

void Mlp::add_penalty_gradient(float* g) const {
  if (lambda_ == 0.0f || ewc_a_.empty()) return;
  const float lambda = lambda_;
  const float* a = ewc_a_.data();
  const float* b = ewc_b_.data();
  const float* theta = theta_.data();
  for (std::size_t i = 0; i < theta_.size(); ++i) g[i] += lambda * (a[i] * theta[i] - b[i]);
}

double Mlp::penalty() const {
  if (ewc_a_.empty()) return 0.0;
  double sum = ewc_c_;
  for (std::size_t i = 0; i < theta_.size(); ++i)
    sum += double(ewc_a_[i]) * theta_[i] * theta_[i] - 2.0 * double(ewc_b_[i]) * theta_[i];
  return 0.5 * double(lambda_) * sum;
}

double Mlp::gradient(const float* x, const std::int32_t* labels, std::size_t m, float* g) {
  if (labels == nullptr) throw Error(ErrorCode::OutOfRange, "labels are required");
  check_batch(x, labels, m);
  reserve(m);
  forward(x, m);
  const double loss = output_delta(labels, m, 1.0f / float(m), nullptr) / double(m);
  backward(x, m, Accumulate::Gradient, g);
  add_penalty_gradient(g);
  return loss;
}

double Mlp::train_batch(const float* x, const std::int32_t* labels, std::size_t m, std::int32_t* predicted) {
  if (labels == nullptr) throw Error(ErrorCode::OutOfRange, "labels are required");
  check_batch(x, labels, m);
  reserve(m);
  forward(x, m);
  const double loss = output_delta(labels, m, 1.0f / float(m), predicted) / double(m);
  if (!std::isfinite(loss))
    throw Error(ErrorCode::Numerical, "the training loss diverged (" + std::to_string(loss) +
                                          "); the weights are left as they were before this batch");
  backward(x, m, Accumulate::Gradient, grad_.data());
  add_penalty_gradient(grad_.data());
  if (!all_finite(grad_.data(), grad_.size()))
    throw Error(ErrorCode::Numerical,
                "the training gradient is not finite; the weights are left as they were before this batch");
  adam_update(adam_step_constants(hyper_, step_ + 1), grad_.data(), adam_m_.data(), adam_v_.data(), theta_.data(), theta_.size());
  ++step_;
  return loss;
}

void Mlp::logits(const float* x, std::size_t m, float* out) {
  check_batch(x, nullptr, m);
  reserve(std::min(m, kChunk));
  const std::size_t n = inputs(), k = outputs();
  for (std::size_t start = 0; start < m; start += kChunk) {
    const std::size_t rows = std::min(kChunk, m - start);
    forward(x + start * n, rows);
    std::copy(acts_[depth()].begin(), acts_[depth()].begin() + std::ptrdiff_t(rows * k), out + start * k);
  }
}

void Mlp::fisher(const float* x, const std::int32_t* labels, std::size_t m, float* f) {
  if (labels == nullptr) throw Error(ErrorCode::OutOfRange, "labels are required");
  check_batch(x, labels, m);
  reserve(std::min(m, kChunk));
  std::fill(f, f + theta_.size(), 0.0f);
  const std::size_t n = inputs();
  for (std::size_t start = 0; start < m; start += kChunk) {
    const std::size_t rows = std::min(kChunk, m - start);
    forward(x + start * n, rows);
    // Per-row gradients of −log p(y_r | x_r): Δ_L unscaled (c = 1).
    const double loss = output_delta(labels + start, rows, 1.0f, nullptr);
    if (!std::isfinite(loss))
      throw Error(ErrorCode::Numerical, "the loss is not finite: no Fisher information can be computed");
    backward(x + start * n, rows, Accumulate::Fisher, f);
  }
  const float inv = 1.0f / float(m);
  for (std::size_t i = 0; i < theta_.size(); ++i) f[i] *= inv;
}

void Mlp::consolidate(const float* x, const std::int32_t* labels, std::size_t m, float lambda) {
  if (!(std::isfinite(lambda) && lambda >= 0.0f))
    throw Error(ErrorCode::OutOfRange, "lambda must be a finite number >= 0, got " + std::to_string(lambda));
  // The Fisher goes through grad_ (free between steps), so that nothing changes if it fails.
  fisher(x, labels, m, grad_.data());
  if (!all_finite(grad_.data(), grad_.size())) throw Error(ErrorCode::Numerical, "the Fisher information is not finite");
  if (ewc_a_.empty()) {
    ewc_a_.assign(theta_.size(), 0.0f);
    ewc_b_.assign(theta_.size(), 0.0f);
  }
  double c = 0.0;
  for (std::size_t i = 0; i < theta_.size(); ++i) {
    const float f = grad_[i], t = theta_[i];
    ewc_a_[i] += f;
    ewc_b_[i] += f * t;
    c += double(f) * t * t;
  }
  ewc_c_ += c;
  lambda_ = lambda;
}

}  // namespace indee
