// Where a model's backend comes from. The CPU backend is always there; the CUDA backend lives in a
// plugin (`indeependence-cuda.so`, built when nvcc is found) that is loaded the first time a model
// asks for device 'cuda', so that a machine without CUDA never loads a CUDA library.
#pragma once

#include <memory>
#include <string>

#include "backend.hpp"

namespace indee {

enum class Device { Cpu, Cuda };

// The process's CPU backend (stateless; shared by every model).
Backend& cpu_backend();

// A backend for one model on `device`: the CPU backend, or a new CUDA backend (its own stream and
// cuBLAS handle, so models on different threads never share one). Throws Error(Unavailable) with
// the reason (no plugin, no driver, no device, no cuBLAS) when 'cuda' cannot be served.
std::shared_ptr<Backend> make_backend(Device device);

// Why make_backend(Device::Cuda) would fail, or an empty string when it would succeed (tests use
// this to skip the parity tests with a message).
std::string cuda_unavailable_reason();

}  // namespace indee
