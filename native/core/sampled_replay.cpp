// SampledReplay (replay.hpp): Gaussian samples of the first code, moved up through the layers.
#include <cmath>

#include "../backend/cpu/blas.hpp"
#include "../backend/cpu/lapack.hpp"
#include "error.hpp"
#include "mirror.hpp"
#include "replay.hpp"
#include "rng.hpp"

namespace indee {

using blas::Op;

namespace {

// The seed of ε: fixed, so every learn replays the same standard-normal draws.
constexpr std::uint64_t kReplaySeed = 0x5EED4E91A7ULL;
constexpr double kTwoPi = 6.283185307179586476925286766559;

// Standard normal draws (Box–Muller on SplitMix64's uniforms).
std::vector<float> standard_normal(std::size_t count) {
  SplitMix64 rng(kReplaySeed);
  std::vector<float> out(count);
  for (std::size_t i = 0; i < count; i += 2) {
    const double u1 = (double(rng.next() >> 11) + 1.0) * 0x1p-53;  // (0, 1]: log never sees 0
    const double u2 = double(rng.next() >> 11) * 0x1p-53;
    const double radius = std::sqrt(-2.0 * std::log(u1)), angle = kTwoPi * u2;
    out[i] = float(radius * std::cos(angle));
    if (i + 1 < count) out[i + 1] = float(radius * std::sin(angle));
  }
  return out;
}

// L with S = L Lᵀ (k x k). S is positive semi-definite but may be singular (W's zeroed columns,
// classes with fewer rows than k): a jitter δ·I, from 1e-6 of S's mean diagonal upwards, makes it
// definite while adding a variance far below the eigenvalues the solvers keep.
std::vector<float> covariance_factor(std::size_t k, const std::vector<float>& S) {
  double trace = 0.0;
  for (std::size_t i = 0; i < k; ++i) trace += S[i * k + i];
  const double scale = trace > 0.0 ? trace / double(k) : 1.0;
  for (double jitter = 1e-6; jitter <= 1.0; jitter *= 10.0) {
    std::vector<float> L = S;
    for (std::size_t i = 0; i < k; ++i) L[i * k + i] += float(jitter * scale);
    if (lapack::cholesky_lower(k, L.data())) return L;
  }
  throw Error(ErrorCode::Numerical, "replay: a class's code covariance has no Cholesky factor");
}

}  // namespace

void SampledReplay::start(const Layer& bottom, const ClassMoments& moments) {
  const std::size_t k = bottom.code_size(), n = samples_per_class_;
  const std::vector<ClassGaussian> classes = first_code_gaussians(bottom, moments);
  const std::vector<float> epsilon = standard_normal(n * k);
  width_ = k;
  samples_.assign(classes.size() * n * k, 0.0f);
  weights_.clear();
  for (std::size_t c = 0; c < classes.size(); ++c) {
    float* h = samples_.data() + c * n * k;
    for (std::size_t r = 0; r < n; ++r) std::copy(classes[c].mean.begin(), classes[c].mean.end(), h + r * k);
    const std::vector<float> L = covariance_factor(k, classes[c].covariance);
    blas::gemm(Op::None, Op::Transpose, n, k, k, 1.0f, epsilon.data(), L.data(), 1.0f, h);
    weights_.insert(weights_.end(), n, classes[c].weight / double(n));
  }
}

// B = Σ_j w_j e_j and C = Σ_j w_j (e_j − B)(e_j − B)ᵀ over the mirrored samples e_j.
void SampledReplay::derive_statistics(Layer& layer, double count) {
  const std::size_t d = layer.mirrored_size(), m = weights_.size();
  require(layer.input_size() == width_, ErrorCode::Internal, "replay: samples do not fit the layer");
  std::vector<float> e(m * d), moment(d * d, 0.0f);
  mirror(samples_.data(), m * width_, e.data());
  std::vector<double> mean(d, 0.0);
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = 0; i < d; ++i) mean[i] += weights_[j] * e[j * d + i];
  for (std::size_t j = 0; j < m; ++j) {
    const double scale = std::sqrt(weights_[j]);
    for (std::size_t i = 0; i < d; ++i) e[j * d + i] = float(scale * (e[j * d + i] - mean[i]));
  }
  blas::syrk(d, m, 1.0f, e.data(), 0.0f, moment.data());
  layer.replace_statistics(std::vector<float>(mean.begin(), mean.end()), moment, count);
}

// The samples stay on the host (their statistics are formed there); they visit the layer's backend
// only to be encoded.
void SampledReplay::advance(const Layer& layer) {
  Backend& backend = layer.backend();
  const std::size_t m = weights_.size();
  DeviceArray<float> v(backend, samples_), z(backend), codes(backend, m * layer.code_size());
  layer.encode(v.data(), m, z, codes.data());
  samples_ = codes.download();
  width_ = layer.code_size();
}

}  // namespace indee
