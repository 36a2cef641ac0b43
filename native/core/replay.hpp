// Statistical replay (issue 9): the statistics of the layers above the first, re-derived at every
// learn from the per-class moments of the first layer's input (class_moments.hpp) through the
// lower layers as they are now, instead of the codes collected through the weights of the time.
//
// Why: an upper layer's collected C describes the codes the lower layers produced when each row
// was collected; once the lower layers move, it no longer describes what the layer receives, and
// the stack forgets (REFERENCE-RESULTS, class-incremental split MNIST). The first layer's input
// never changes meaning, so its statistics, kept per class, can be pushed through the current
// weights whenever they change.
//
// How: the first layer's code is linear in its mirrored input, h = (e − b)W, so for class c its mean
// and covariance are exactly
//   m_c = (μ_c − b) W,   S_c = Wᵀ Σ_c W.
// The replay takes h | c to be Gaussian N(m_c, S_c) (the one approximation) and draws `samples`
// codes per class, h = m_c + ε Lᵀ with S_c = L Lᵀ and ε standard normal, every sample of class c
// weighing w_c / (Σ w · samples). Each upper layer's statistics are then the weighted mean B and
// covariance C of the mirrored samples, its bias b ← B, and the samples move up through it once it
// has learned. ε is drawn from a fixed seed, the same at every learn, so upper statistics change
// only when the moments or the weights do (and a resumed model continues exactly).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "class_moments.hpp"
#include "layer.hpp"

namespace indee {

class Replay {
 public:
  explicit Replay(std::size_t samples_per_class) : samples_per_class_(samples_per_class) {}

  // Draws the samples of the bottom layer's code, from `moments` through `bottom`'s current W and b.
  void draw(const Layer& bottom, const ClassMoments& moments);
  // Sets `layer`'s statistics (B, C, N = count) and bias from the current samples, its input.
  void derive_statistics(Layer& layer, double count) const;
  // Moves the samples up through `layer` (after it has learned): samples ← encode(samples).
  void advance(const Layer& layer);

  std::size_t rows() const { return weights_.size(); }

 private:
  std::size_t samples_per_class_;
  std::size_t width_ = 0;          // the samples' size: the code size of the last layer they passed
  std::vector<float> samples_;     // rows() x width_
  std::vector<double> weights_;    // per sample, summing to 1
};

}  // namespace indee
