// Adam in TensorFlow 1's form (ALGORITHM.md, "Learn"): one mechanism for the weights W (learn)
// and for the top codes h (infer). At step count t (t >= 1), over parameters x with gradient g:
//   m ← β1·m + (1-β1)·g;  v ← β2·v + (1-β2)·g²;
//   x ← x − rate·√(1-β2ᵗ)/(1-β1ᵗ) · m/(√v + ε)
// with m and v flushed to zero below the smallest normal float (see adam.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "../backend/backend.hpp"

namespace indee {

struct AdamHyper {
  float rate = 0.01f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
};

// The constants of step t (already incremented, t >= 1), for Backend::adam.
AdamStep adam_step_constants(const AdamHyper& hyper, std::uint64_t t);

// The update itself over n parameters, on host memory (the CPU backend's Backend::adam).
void adam_update(const AdamStep& step, const float* g, float* m, float* v, float* x, std::size_t n);

}  // namespace indee
