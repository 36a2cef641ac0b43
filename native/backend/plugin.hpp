// The contract between the core and the CUDA plugin (registry.cpp loads it with dlopen; cuda/
// implements it). The plugin exports one C function; the version guards against a plugin built
// from another revision of backend.hpp.
#pragma once

#include <cstddef>

#include "backend.hpp"

namespace indee {

// Raise whenever backend.hpp's interface changes.
constexpr int kBackendInterfaceVersion = 1;

// File name of the plugin, looked for next to the module holding the core (see registry.cpp).
constexpr const char* kCudaPluginFile = "indeependence-cuda.so";
constexpr const char* kCudaPluginEntry = "indee_create_cuda_backend";

// Returns a new backend (the caller deletes it), or null after writing the reason (NUL-terminated,
// at most error_size bytes) into `error`.
using CreateBackend = Backend* (*)(int interface_version, char* error, std::size_t error_size);

}  // namespace indee
