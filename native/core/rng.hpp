// The seeded generator behind every random choice of the library. SplitMix64 (Steele, Lea and
// Flood 2014): a 64-bit state advanced by a fixed odd constant and mixed; chosen because it is
// tiny, fully specified and gives identical streams on every platform and compiler.
#pragma once

#include <cstdint>

namespace indee {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t state) : state_(state) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1) with 24 random bits: exactly representable in float32.
  float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }

 private:
  std::uint64_t state_;
};

}  // namespace indee
