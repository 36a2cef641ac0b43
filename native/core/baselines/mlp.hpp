// The catastrophic-forgetting baselines of the continual-learning evaluation: a multilayer
// perceptron trained by backpropagation (fine-tuning), optionally with elastic weight
// consolidation (EWC, Kirkpatrick et al. 2017). Joint training is the same network given every
// task's rows at once; nothing here is specific to it.
//
// ---- The network ----------------------------------------------------------------------------------
// Sizes n_0 (inputs), n_1, ..., n_L (outputs); L weight layers. Row-major batches of m rows:
//   A_0 = X                                   (m × n_0)
//   Z_l = A_{l-1} W_l + 1 b_lᵀ                (W_l: n_{l-1} × n_l, stored row-major "in × out")
//   A_l = max(Z_l, 0)              for l < L  (ReLU hidden layers)
//   Z_L = the logits;  P = softmax(Z_L) row by row
//   loss = (1/m) Σ_r −log P[r, y_r] = (1/m) Σ_r (logsumexp(Z_L[r,·]) − Z_L[r, y_r])
// All parameters θ live in one flat vector: W_1, b_1, W_2, b_2, ... (weight_offset / bias_offset).
//
// Initialisation (He-uniform, He et al. 2015): W_l[i,j] = s_l·(2u − 1), s_l = √(6 / n_{l-1}), with u
// the successive draws of SplitMix64(seed).uniform() taken layer by layer, row-major; b_l = 0.
//
// ---- Backpropagation ------------------------------------------------------------------------------
//   Δ_L = (P − Y)·c                       (Y one-hot; c = 1/m for the mean loss, 1 per row below)
//   ∂/∂W_l = A_{l-1}ᵀ Δ_l,  ∂/∂b_l = Σ_r Δ_l[r,·]
//   Δ_{l-1} = (Δ_l W_lᵀ) ⊙ [A_{l-1} > 0]   (A > 0 exactly where Z > 0)
// Every product is one BLAS-3 gemm over the batch.
//
// ---- EWC ------------------------------------------------------------------------------------------
// After task t, consolidate() computes the diagonal empirical Fisher of its rows at the current
// θ*_t:  F_t,i = (1/m) Σ_r (∂ log p(y_r | x_r) / ∂θ_i)².  With Δ computed per row (c = 1), row r's
// gradient of a weight matrix is the outer product a_r ⊗ δ_r, so
//   F_t(W_l) = (1/m) Σ_r (a_r ⊗ δ_r)² = (1/m) (A_{l-1} ∘ A_{l-1})ᵀ (Δ_l ∘ Δ_l)   (one gemm, exact)
//   F_t(b_l) = (1/m) Σ_r δ_r ∘ δ_r
// (∘: elementwise). The penalty on later tasks is
//   Ω(θ) = (λ/2) Σ_t Σ_i F_t,i (θ_i − θ*_t,i)² = (λ/2) Σ_i (A_i θ_i² − 2 B_i θ_i + C_i),
//   A = Σ_t F_t,  B = Σ_t F_t ∘ θ*_t,  C = Σ_t F_t ∘ θ*_t²  (only Σ_i C_i is kept: a constant)
// so its gradient is ∂Ω/∂θ_i = λ (A_i θ_i − B_i), whatever the number of tasks. λ is the one given
// to the latest consolidate().
//
// ---- Optimiser ------------------------------------------------------------------------------------
// One Adam step (indee::adam_update, β1 = 0.9, β2 = 0.999, ε = 1e-8) per train_batch on
// ∇(loss + Ω). The step is taken only when the loss and every gradient entry are finite; otherwise
// train_batch throws Numerical and θ, the Adam moments and the step count are as before the call.
//
// Errors: indee::Error with OutOfRange for impossible sizes, m = 0, non-finite inputs, labels
// outside [0, n_L), a rate ≤ 0 or λ < 0; Numerical for a diverging (non-finite) loss or gradient.
// Scratch buffers grow to the largest train_batch seen (logits and consolidate run in chunks of at
// most 1024 rows) and are then reused: no allocation per step.
//
// Precision: float32 throughout, the loss summed in float64. Keeping the penalty as A, B rather
// than per-task anchors costs nothing material: the rounding of λ(A_i θ_i − B_i) is about
// 2⁻²⁴·λ·A_i·|θ*_i|, the pull of an anchor displaced by 2⁻²⁴·|θ*_i|.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/adam.hpp"

namespace indee {

class Mlp {
 public:
  // sizes: {n_0, ..., n_L}, at least two, each in [1, 2²⁰]; rate: Adam's learning rate, > 0.
  Mlp(std::vector<std::size_t> sizes, std::uint64_t seed, float rate = 0.001f);

  const std::vector<std::size_t>& sizes() const { return sizes_; }
  std::size_t inputs() const { return sizes_.front(); }
  std::size_t outputs() const { return sizes_.back(); }
  std::size_t depth() const { return sizes_.size() - 1; }  // L, the number of weight layers
  float rate() const { return hyper_.rate; }

  // One Adam step on the batch's mean cross-entropy plus the EWC penalty. x: m × inputs;
  // labels: m classes in [0, outputs). Returns the mean cross-entropy at the weights before the
  // step. When `predicted` is not null it receives the argmax of each row's logits before the step
  // (the prequential prediction, at no extra cost).
  double train_batch(const float* x, const std::int32_t* labels, std::size_t m, std::int32_t* predicted = nullptr);

  // out (m × outputs) = the logits of m rows.
  void logits(const float* x, std::size_t m, float* out);

  // EWC: adds this data's diagonal empirical Fisher F to A and F ∘ θ to B at the current θ, and
  // sets λ (≥ 0; 0 keeps the statistics but turns the penalty off).
  void consolidate(const float* x, const std::int32_t* labels, std::size_t m, float lambda);

  // ---- inspection (tests, checkpoints of the evaluation) ----
  std::size_t parameter_count() const { return theta_.size(); }
  std::size_t weight_offset(std::size_t layer) const { return offsets_[layer]; }  // layer in [0, L)
  std::size_t bias_offset(std::size_t layer) const { return offsets_[layer] + sizes_[layer] * sizes_[layer + 1]; }
  const std::vector<float>& parameters() const { return theta_; }
  void set_parameters(const std::vector<float>& theta);  // sizes and finiteness checked
  const std::vector<float>& importance() const { return ewc_a_; }  // A = Σ_t F_t
  const std::vector<float>& anchor() const { return ewc_b_; }      // B = Σ_t F_t ∘ θ*_t
  float lambda() const { return lambda_; }
  std::uint64_t steps() const { return step_; }
  // Ω(θ) at the current θ (0 before any consolidate).
  double penalty() const;

  // The mean cross-entropy of m rows and its gradient with respect to θ (plus Ω's when λ > 0),
  // into g (parameter_count values), without a step. Returns the mean cross-entropy.
  double gradient(const float* x, const std::int32_t* labels, std::size_t m, float* g);
  // This data's diagonal empirical Fisher at the current θ, into f (parameter_count values).
  void fisher(const float* x, const std::int32_t* labels, std::size_t m, float* f);

 private:
  void check_batch(const float* x, const std::int32_t* labels, std::size_t m) const;
  void reserve(std::size_t m);
  void forward(const float* x, std::size_t m);
  // Softmax, the rows' summed cross-entropy, argmax (if predicted), and Δ_L = (P − Y)·scale.
  double output_delta(const std::int32_t* labels, std::size_t m, float scale, std::int32_t* predicted);
  enum class Accumulate { Gradient, Fisher };
  // Backpropagates Δ_L; Gradient: g = ∂/∂θ; Fisher: g += Σ_r (∂_r/∂θ)².
  void backward(const float* x, std::size_t m, Accumulate mode, float* g);
  void add_penalty_gradient(float* g) const;

  std::vector<std::size_t> sizes_;
  std::vector<std::size_t> offsets_;  // per layer, the offset of W_l in θ (b_l follows it)
  AdamHyper hyper_;
  std::vector<float> theta_, adam_m_, adam_v_, grad_;
  std::uint64_t step_ = 0;

  std::vector<float> ewc_a_, ewc_b_;  // empty until the first consolidate
  double ewc_c_ = 0.0;                // Σ_i C_i
  float lambda_ = 0.0f;

  // Scratch, sized for `capacity_` rows: acts_[l] (l = 1..L) holds A_l (Z_L for l = L), deltas_[l]
  // Δ_l, squares_in_/squares_out_ the squared activations and deltas of the Fisher.
  std::size_t capacity_ = 0;
  std::vector<std::vector<float>> acts_, deltas_;
  std::vector<float> squares_in_, squares_out_;
};

}  // namespace indee
