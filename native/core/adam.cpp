#include "adam.hpp"

#include <cmath>
#include <limits>

#include "simd.hpp"

namespace indee {

AdamStep adam_step_constants(const AdamHyper& hyper, std::uint64_t t) {
  const double td = static_cast<double>(t);
  const float step = static_cast<float>(hyper.rate * std::sqrt(1.0 - std::pow(double(hyper.beta2), td)) /
                                        (1.0 - std::pow(double(hyper.beta1), td)));
  return {step, hyper.beta1, hyper.beta2, hyper.epsilon};
}

INDEE_MULTIVERSION void adam_update(const AdamStep& s, const float* g, float* m, float* v, float* x, std::size_t n) {
  const float step = s.step, b1 = s.beta1, b2 = s.beta2, eps = s.epsilon;
  // Moments that fall below the smallest normal float are set to zero, as TensorFlow's CPU kernels
  // do (they run with flush-to-zero): a denormal moment contributes nothing to the step but makes
  // every operation on it many times slower.
  const float tiny = std::numeric_limits<float>::min();
  for (std::size_t i = 0; i < n; ++i) {
    const float mi = b1 * m[i] + (1.0f - b1) * g[i];
    const float vi = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    m[i] = std::fabs(mi) < tiny ? 0.0f : mi;
    v[i] = vi < tiny ? 0.0f : vi;
    x[i] -= step * m[i] / (std::sqrt(v[i]) + eps);
  }
}

}  // namespace indee
