// Batch workspaces a model keeps between calls (see Layer's and Stack's members): reusing them
// spares a long run the allocation and release of batch-sized buffers on every call, which glibc
// keeps in its heaps once freed (the RSS would swing with where they landed; RELIABILITY.md, "Soak").
#pragma once

#include <cstddef>
#include <vector>

#include "../backend/device_array.hpp"

namespace indee {

// The most memory a kept workspace may hold after a call: a one-off large batch gives its memory
// back, while usual batches reuse theirs.
constexpr std::size_t kWorkspaceLimitBytes = std::size_t(64) << 20;

inline void release_if_large(std::vector<float>& workspace) {
  if (workspace.capacity() * sizeof(float) > kWorkspaceLimitBytes) std::vector<float>().swap(workspace);
}

template <class T>
void release_if_large(DeviceArray<T>& workspace) {
  workspace.release_if_larger(kWorkspaceLimitBytes);
}

}  // namespace indee
