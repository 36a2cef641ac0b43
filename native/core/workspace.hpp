// Batch workspaces a model keeps between calls (see Layer's and Stack's members): reusing them
// spares a long run the allocation and release of batch-sized buffers on every call, which glibc
// keeps per thread once freed (the RSS would swing with the thread each call lands on).
#pragma once

#include <cstddef>
#include <vector>

namespace indee {

// Gives a workspace's memory back when a one-off large batch made it bigger than 64 MiB, so that
// the kept workspaces cost at most that much while usual batches reuse theirs.
inline void release_if_large(std::vector<float>& workspace) {
  if (workspace.capacity() * sizeof(float) > (std::size_t(64) << 20)) std::vector<float>().swap(workspace);
}

}  // namespace indee
