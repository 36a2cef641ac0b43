// BLAS and LAPACK take int dimensions. The model's size checks keep every dimension far below
// INT_MAX; this guard makes any breach an error rather than a silent wrap-around.
#pragma once

#include <climits>
#include <cstddef>
#include <string>

#include "../../core/error.hpp"

namespace indee {

inline int library_dimension(std::size_t n, const char* library) {
  require(n <= static_cast<std::size_t>(INT_MAX), ErrorCode::Internal,
          "matrix dimension " + std::to_string(n) + " exceeds the " + library + " integer range");
  return static_cast<int>(n);
}

}  // namespace indee
