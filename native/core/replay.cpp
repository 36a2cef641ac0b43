#include "replay.hpp"

#include "../backend/cpu/blas.hpp"
#include "objective.hpp"

namespace indee {

using blas::Op;

// Σ_c is zero outside the bottom layer's active coordinates (C's diagonal is the classes' variances
// plus their spread), so S_c = Wᵀ Σ_c W is formed on that block.
std::vector<ClassGaussian> first_code_gaussians(const Layer& bottom, const ClassMoments& moments) {
  const std::size_t d = bottom.mirrored_size(), k = bottom.code_size();
  const double total = moments.total_weight();
  std::vector<ClassGaussian> out;
  if (!(total > 0.0)) return out;
  const std::vector<std::size_t> active = bottom.active_coordinates();
  const std::size_t a = active.size();
  const std::vector<float> weights = bottom.weights(), bias = bottom.bias();
  const float* W = weights.data();
  std::vector<float> Wa(a * k), P(a * k), centred(d), block;
  for (std::size_t i = 0; i < a; ++i)
    for (std::size_t j = 0; j < k; ++j) Wa[i * k + j] = W[active[i] * k + j];
  for (std::size_t c = 0; c < moments.classes(); ++c) {
    if (!(moments.weight(c) > 0.0)) continue;
    ClassGaussian g{moments.weight(c) / total, std::vector<float>(k), std::vector<float>(k * k)};
    for (std::size_t i = 0; i < d; ++i) centred[i] = moments.mean(c)[i] - bias[i];
    blas::gemm(Op::None, Op::None, 1, k, d, 1.0f, centred.data(), W, 0.0f, g.mean.data());
    active_block(d, moments.covariance_lower(c), active, block);
    blas::symm(a, k, block.data(), Wa.data(), 0.0f, P.data());
    blas::gemm(Op::Transpose, Op::None, k, k, a, 1.0f, Wa.data(), P.data(), 0.0f, g.covariance.data());
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace indee
