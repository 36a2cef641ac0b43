// Every CUDA runtime status is checked: a failure becomes Error(Device, "<call>: <CUDA's message>").
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "../../core/error.hpp"

namespace indee::cuda {

inline void check(cudaError_t status, const char* call) {
  if (status != cudaSuccess) throw Error(ErrorCode::Device, std::string(call) + ": " + cudaGetErrorString(status));
}

// After a kernel launch: a bad launch shows at once; a fault inside the kernel shows at the next
// call that waits for it (a download, a reduction), with CUDA's message.
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

}  // namespace indee::cuda
