// Replayed upper statistics (issue 9): the statistics of the layers above the first, re-derived at
// every learn from the per-class moments of the first layer's input (class_moments.hpp) through the
// lower layers as they are now, instead of the codes collected through the weights of the time.
//
// Why: an upper layer's collected C describes the codes the lower layers produced when each row
// was collected; once the lower layers move, it no longer describes what the layer receives, and
// the stack forgets (REFERENCE-RESULTS, class-incremental split MNIST). The first layer's input
// never changes meaning, so its statistics, kept per class, can be pushed through the current
// weights whenever they change.
//
// Both methods start from the first layer's code, which is linear in its mirrored input,
// h = (e − b)W, so that for class c its mean and covariance are exactly
//   m_c = (μ_c − b) W,   S_c = Wᵀ Σ_c W,
// and take h | c to be Gaussian N(m_c, S_c), class c weighing p_c = w_c / Σ w. They differ above:
//  - SampledReplay draws `samples` codes per class, h = m_c + ε Lᵀ (S_c = L Lᵀ, ε standard normal),
//    and moves them up through the layers: each upper layer's B and C are the weighted mean and
//    covariance of its mirrored input samples. Gaussian only at the first code; sampling noise of
//    order 1/√samples. ε is drawn from a fixed seed, the same at every learn, so upper statistics
//    change only when the moments or the weights do (and a resumed model continues exactly).
//  - MomentPropagation keeps a Gaussian per class at every layer and propagates its moments in
//    closed form (rectified_gaussian.hpp): the mirrored input e = mirror(h) of class c has mean M_c
//    and second moment E_c from the rectified-Gaussian formulas; the layer's statistics are the
//    mixture's, B = Σ p_c M_c and C = Σ p_c E_c − B Bᵀ; the code above it, (e − b)W, has mean
//    (M_c − b)W and covariance Wᵀ (E_c − M_c M_cᵀ) W, taken Gaussian again. No noise, a Gaussian
//    approximation at every layer.
// Either way, each upper layer's bias becomes b ← B, and its N the first layer's.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "class_moments.hpp"
#include "layer.hpp"

namespace indee {

// A class's Gaussian at one layer's code: weight p_c (summing to 1 over the classes), mean (k) and
// covariance (k x k, both triangles).
struct ClassGaussian {
  double weight = 0.0;
  std::vector<float> mean, covariance;
};

// m_c, S_c of the bottom layer's code for every class seen, from `moments` through its W and b.
std::vector<ClassGaussian> first_code_gaussians(const Layer& bottom, const ClassMoments& moments);

// The steps of Stack::learn for a replaying stack: start() once the first layer has learned, then
// for each upper layer derive_statistics() before it learns and advance() after.
class Replay {
 public:
  virtual ~Replay() = default;
  virtual void start(const Layer& bottom, const ClassMoments& moments) = 0;
  // Sets `layer`'s statistics (B, C, N = count) and its bias b ← B.
  virtual void derive_statistics(Layer& layer, double count) = 0;
  // Moves the replay up through `layer`, which has just learned.
  virtual void advance(const Layer& layer) = 0;
};

class SampledReplay final : public Replay {
 public:
  explicit SampledReplay(std::size_t samples_per_class) : samples_per_class_(samples_per_class) {}
  void start(const Layer& bottom, const ClassMoments& moments) override;
  void derive_statistics(Layer& layer, double count) override;
  void advance(const Layer& layer) override;

 private:
  std::size_t samples_per_class_;
  std::size_t width_ = 0;          // the samples' size: the code size of the last layer they passed
  std::vector<float> samples_;     // rows x width_
  std::vector<double> weights_;    // per sample, summing to 1
};

class MomentPropagation final : public Replay {
 public:
  void start(const Layer& bottom, const ClassMoments& moments) override;
  void derive_statistics(Layer& layer, double count) override;
  void advance(const Layer& layer) override;

 private:
  std::vector<ClassGaussian> codes_;  // per class, at the input of the next layer to derive
  // Per class, from the last derive_statistics: the mirrored input's mean M_c and covariance.
  std::vector<std::vector<float>> mirrored_mean_, mirrored_covariance_;
};

}  // namespace indee
