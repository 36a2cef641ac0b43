// The plugin's one exported symbol (plugin.hpp; exports.map hides everything else, the static CUDA
// runtime included). It reports why it cannot serve instead of failing later: interface version,
// driver, device, cuBLAS, in that order. Nothing escapes it: every exception becomes the reason.
#include <cuda_runtime.h>

#include <cstdio>
#include <exception>
#include <string>

#include "../../core/error.hpp"
#include "../plugin.hpp"
#include "cublas.hpp"
#include "cuda_backend.hpp"

namespace indee::cuda {
namespace {

// 13000 → "13.0".
std::string version(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

void unavailable_unless(bool condition, const std::string& reason) {
  require(condition, ErrorCode::Unavailable, reason);
}

void require_interface(int version) {
  unavailable_unless(version == kBackendInterfaceVersion,
                      "the CUDA plugin implements backend interface " + std::to_string(kBackendInterfaceVersion) +
                          " but the core asks for " + std::to_string(version) + ": rebuild them together");
}

void require_device() {
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);  // 0 when no driver (libcuda.so.1) can be loaded
  cudaRuntimeGetVersion(&runtime);
  unavailable_unless(driver != 0, "no CUDA driver (libcuda.so.1 not found: no NVIDIA driver installed)");
  int devices = 0;
  const cudaError_t status = cudaGetDeviceCount(&devices);
  unavailable_unless(status != cudaErrorInsufficientDriver,
                      "the NVIDIA driver supports CUDA " + version(driver) + " but this plugin was built with CUDA " +
                          version(runtime) + ": update the driver or rebuild the plugin with an older toolkit");
  const std::string why = status == cudaSuccess ? "none visible" : cudaGetErrorString(status);
  unavailable_unless(status == cudaSuccess && devices > 0, "no CUDA device (" + why + ")");
}

}  // namespace
}  // namespace indee::cuda

extern "C" __attribute__((visibility("default"))) indee::Backend* indee_create_cuda_backend(int interface_version,
                                                                                             char* error,
                                                                                             std::size_t error_size) {
  std::string reason;
  try {
    indee::cuda::require_interface(interface_version);
    indee::cuda::require_device();
    indee::cuda::cublas();  // throws "cuBLAS not found: ..."
    return new indee::cuda::CudaBackend();
  } catch (const std::exception& e) {
    reason = e.what();
  } catch (...) {
    reason = "unknown error while starting the CUDA backend";
  }
  if (error != nullptr && error_size > 0) std::snprintf(error, error_size, "%s", reason.c_str());
  return nullptr;
}
