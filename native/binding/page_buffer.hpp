// The memory of the buffers a call copies its arguments into (a batch: 3 MB for 1,000 rows of 794
// floats). Through malloc, such buffers end up inside glibc's heaps once the process has freed a
// block of their size (glibc then raises its mmap threshold for the whole process, up to 32 MiB),
// and a heap gives memory back only from its top: a copy freed below a longer-lived allocation stays
// resident. In the soak (RELIABILITY.md, "Soak") the copies made on the main thread left up to
// 6.5 MiB of such free memory in the main heap, more or less from one reading to the next, a 4%
// swing of the whole process's RSS. Buffers of kPageBufferMin bytes or more are therefore mapped
// from the kernel for themselves and unmapped when freed, whatever glibc's thresholds are. The
// microseconds of a mapping and its page faults are nothing next to the work of a batch that size.
// Process-wide malloc tuning (mallopt, the MALLOC_* variables) would do the same for every
// allocation of the host program, which is not a library's to change.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

#if !defined(_WIN32)
#include <sys/mman.h>
#endif

namespace indee::binding {

inline constexpr std::size_t kPageBufferMin = std::size_t(256) << 10;

template <class T>
struct PageAllocator {
  using value_type = T;

  PageAllocator() noexcept = default;
  template <class U>
  PageAllocator(const PageAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > std::size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
#if !defined(_WIN32)
    if (bytes >= kPageBufferMin) {
      void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      return static_cast<T*>(p);
    }
#endif
    return static_cast<T*>(::operator new(bytes));
  }

  // std::allocator_traits passes the n of the allocation, so the same test picks the same path.
  void deallocate(T* p, std::size_t n) noexcept {
#if !defined(_WIN32)
    if (n * sizeof(T) >= kPageBufferMin) {
      munmap(p, n * sizeof(T));
      return;
    }
#endif
    ::operator delete(p);
  }

  template <class U>
  bool operator==(const PageAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const PageAllocator<U>&) const noexcept { return false; }
};

// A batch-sized buffer of one call (see above).
template <class T>
using PageVector = std::vector<T, PageAllocator<T>>;

}  // namespace indee::binding
