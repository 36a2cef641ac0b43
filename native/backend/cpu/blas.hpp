// The dense linear algebra the core needs, on the CPU through OpenBLAS's cblas. Row-major
// throughout. Symmetric matrices (the second moments C) are kept in their lower triangle only:
// syrk/syr write it and symm reads it, so the upper triangle is never touched in hot paths.
#pragma once

#include <cstddef>

#include "../backend.hpp"

namespace indee::blas {

using Op = indee::Op;

// c (m x n) = alpha * op(a) * op(b) + beta * c, where op(a) is m x k and op(b) is k x n.
void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
          const float* b, float beta, float* c);

// c (n x k) = s * b + beta * c, where s (n x n) is symmetric and stored in its lower triangle.
void symm(std::size_t n, std::size_t k, const float* s, const float* b, float beta, float* c);

// Lower triangle of s (n x n) = alpha * aᵀ a + beta * s, where a is m x n.
void syrk(std::size_t n, std::size_t m, float alpha, const float* a, float beta, float* s);

// Lower triangle of s (n x n) += alpha * x xᵀ.
void syr(std::size_t n, float alpha, const float* x, float* s);

// Copies the lower triangle of s (n x n) onto its upper triangle.
void symmetrize_from_lower(std::size_t n, float* s);

}  // namespace indee::blas

namespace indee::blas {

// The threads BLAS uses, process-wide (OpenBLAS keeps one pool per process). OpenBLAS starts with
// one per core, or OPENBLAS_NUM_THREADS when set. set_threads waits for the calls into OpenBLAS
// that other threads are making.
void set_threads(std::size_t count);
std::size_t threads();

// Held around every call into OpenBLAS, BLAS or LAPACK: the wrappers here and in lapack.cpp take
// one, and code that calls OpenBLAS directly must too. OpenBLAS shuts down or resizes the thread
// pool all calls share in its fork handler and when its thread count changes, even under calls
// other threads are making; so set_threads and fork() wait for the calls in flight and hold new
// ones back meanwhile (blas.cpp). A thread must not take a second LibraryCall while it holds one,
// nor fork.
class LibraryCall {
 public:
  LibraryCall();
  ~LibraryCall();
  LibraryCall(const LibraryCall&) = delete;
  LibraryCall& operator=(const LibraryCall&) = delete;
};

}  // namespace indee::blas
