// MomentPropagation (replay.hpp): a Gaussian per class at every layer, its moments through the
// mirroring ReLU in closed form (rectified_gaussian.hpp).
#include <cmath>

#include "../backend/cpu/blas.hpp"
#include "error.hpp"
#include "rectified_gaussian.hpp"
#include "replay.hpp"

namespace indee {

using blas::Op;

void MomentPropagation::start(const Layer& bottom, const ClassMoments& moments) {
  codes_ = first_code_gaussians(bottom, moments);
}

// For each class, mirror(h) with h ~ N(m, S): mean M (2k) and second moment E (2k x 2k, lower
// triangle) pair by pair; then B = Σ p_c M_c, C = Σ p_c E_c − B Bᵀ, and each class's covariance
// E_c − M_c M_cᵀ kept for advance().
void MomentPropagation::derive_statistics(Layer& layer, double count) {
  const std::size_t k = layer.input_size(), d = layer.mirrored_size();
  std::vector<double> mean(d, 0.0), second(d * d, 0.0);
  mirrored_mean_.assign(codes_.size(), std::vector<float>(d));
  mirrored_covariance_.assign(codes_.size(), std::vector<float>(d * d, 0.0f));
  std::vector<double> M(d), E(d * d);
  std::vector<double> sigma(k);
  for (std::size_t c = 0; c < codes_.size(); ++c) {
    const ClassGaussian& g = codes_[c];
    require(g.mean.size() == k, ErrorCode::Internal, "moment propagation: moments do not fit the layer");
    for (std::size_t i = 0; i < k; ++i) {
      sigma[i] = std::sqrt(std::max(0.0, double(g.covariance[i * k + i])));
      M[2 * i] = rectified_mean(g.mean[i], sigma[i]);
      M[2 * i + 1] = rectified_mean(-double(g.mean[i]), sigma[i]);
      E[2 * i * d + 2 * i] = rectified_square(g.mean[i], sigma[i]);
      E[(2 * i + 1) * d + 2 * i + 1] = rectified_square(-double(g.mean[i]), sigma[i]);
      E[(2 * i + 1) * d + 2 * i] = 0.0;  // relu(v) relu(−v) = 0
      for (std::size_t j = 0; j < i; ++j) {
        const double scale = sigma[i] * sigma[j];
        const double rho = scale > 0.0 ? g.covariance[i * k + j] / scale : 0.0;
        double products[4];
        mirrored_products(g.mean[i], sigma[i], g.mean[j], sigma[j], rho, products);
        for (int p = 0; p < 2; ++p)
          for (int q = 0; q < 2; ++q) E[(2 * i + p) * d + 2 * j + q] = products[2 * p + q];
      }
    }
    for (std::size_t i = 0; i < d; ++i) {
      mean[i] += g.weight * M[i];
      mirrored_mean_[c][i] = float(M[i]);
      for (std::size_t j = 0; j <= i; ++j) {
        second[i * d + j] += g.weight * E[i * d + j];
        mirrored_covariance_[c][i * d + j] = float(E[i * d + j] - M[i] * M[j]);
      }
    }
  }
  std::vector<float> moment(d * d, 0.0f);
  for (std::size_t i = 0; i < d; ++i)
    for (std::size_t j = 0; j <= i; ++j) moment[i * d + j] = float(second[i * d + j] - mean[i] * mean[j]);
  layer.replace_statistics(std::vector<float>(mean.begin(), mean.end()), moment, count);
}

// The next code per class: mean (M_c − b) W, covariance Wᵀ Cov_c W.
void MomentPropagation::advance(const Layer& layer) {
  const std::size_t d = layer.mirrored_size(), k = layer.code_size();
  const std::vector<float> weights = layer.weights(), bias = layer.bias();
  const float* W = weights.data();
  std::vector<float> centred(d), P(d * k);
  for (std::size_t c = 0; c < codes_.size(); ++c) {
    ClassGaussian& g = codes_[c];
    g.mean.assign(k, 0.0f);
    g.covariance.assign(k * k, 0.0f);
    for (std::size_t i = 0; i < d; ++i) centred[i] = mirrored_mean_[c][i] - bias[i];
    blas::gemm(Op::None, Op::None, 1, k, d, 1.0f, centred.data(), W, 0.0f, g.mean.data());
    blas::symm(d, k, mirrored_covariance_[c].data(), W, 0.0f, P.data());
    blas::gemm(Op::Transpose, Op::None, k, k, d, 1.0f, W, P.data(), 0.0f, g.covariance.data());
  }
}

}  // namespace indee
