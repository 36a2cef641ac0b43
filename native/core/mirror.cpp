#include "mirror.hpp"

#include "simd.hpp"

namespace indee {

INDEE_MULTIVERSION void mirror(const float* v, std::size_t count, float* e) {
  for (std::size_t i = 0; i < count; ++i) {
    const float x = v[i];
    e[2 * i] = x > 0.0f ? x : 0.0f;
    e[2 * i + 1] = x < 0.0f ? -x : 0.0f;
  }
}

INDEE_MULTIVERSION void inverse_mirror(const float* u, std::size_t rows, std::size_t n, float* out, double* residue) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* pairs = u + r * 2 * n;
    float* row_out = out + r * n;
    double row_residue = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const float p = pairs[2 * i], q = pairs[2 * i + 1];
      if (residue == nullptr) {
        row_out[i] = p > q ? p : -q;
      } else if (p > q) {
        row_out[i] = p;
        row_residue += static_cast<double>(q) * q;
      } else {
        row_out[i] = -q;
        row_residue += static_cast<double>(p) * p;
      }
    }
    if (residue != nullptr) residue[r] += row_residue;
  }
}

INDEE_MULTIVERSION void inverse_mirror_backward(const float* u, const float* g, std::size_t count, float* du) {
  for (std::size_t i = 0; i < count; ++i) {
    const float p = u[2 * i], q = u[2 * i + 1];
    if (p > q) {
      du[2 * i] = g[i];
      du[2 * i + 1] = 2.0f * q;
    } else {
      du[2 * i] = 2.0f * p;
      du[2 * i + 1] = -g[i];
    }
  }
}

}  // namespace indee
