#include "adam.hpp"

#include <cmath>

namespace indee {

void adam_step(const AdamHyper& hyper, std::uint64_t t, const float* g, float* m, float* v, float* x,
               std::size_t n) {
  const double td = static_cast<double>(t);
  const float step = static_cast<float>(hyper.rate * std::sqrt(1.0 - std::pow(double(hyper.beta2), td)) /
                                        (1.0 - std::pow(double(hyper.beta1), td)));
  const float b1 = hyper.beta1, b2 = hyper.beta2, eps = hyper.epsilon;
  for (std::size_t i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    x[i] -= step * m[i] / (std::sqrt(v[i]) + eps);
  }
}

}  // namespace indee
