#include "blas.hpp"

#include <cblas.h>
#include <pthread.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <mutex>
#include <string>

#include "../../core/error.hpp"
#include "dimension.hpp"
#include "../../core/simd.hpp"

namespace indee::blas {
namespace {

int dim(std::size_t n) { return library_dimension(n, "BLAS"); }

CBLAS_TRANSPOSE trans(Op op) { return op == Op::Transpose ? CblasTrans : CblasNoTrans; }

}  // namespace

void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
          const float* b, float beta, float* c) {
  if (m == 0 || n == 0) return;
  const LibraryCall call;
  if (m == 1) {
    // One row (infer and collect on a single example): sgemm would pack all of op(b) for one
    // vector; sgemv streams it once. c = op(b)ᵀ a, a being contiguous whatever op_a. With beta = 0,
    // c may be uninitialised memory (backend.hpp): cleared first, as sgemv scales c by beta.
    if (beta == 0.0f) std::fill(c, c + n, 0.0f);
    if (op_b == Op::None)
      cblas_sgemv(CblasRowMajor, CblasTrans, dim(k), dim(n), alpha, b, dim(n), a, 1, beta, c, 1);
    else
      cblas_sgemv(CblasRowMajor, CblasNoTrans, dim(n), dim(k), alpha, b, dim(k), a, 1, beta, c, 1);
    return;
  }
  const int lda = dim(op_a == Op::None ? k : m);
  const int ldb = dim(op_b == Op::None ? n : k);
  cblas_sgemm(CblasRowMajor, trans(op_a), trans(op_b), dim(m), dim(n), dim(k), alpha, a, lda, b, ldb,
              beta, c, dim(n));
}

void symm(std::size_t n, std::size_t k, const float* s, const float* b, float beta, float* c) {
  if (n == 0 || k == 0) return;
  const LibraryCall call;
  cblas_ssymm(CblasRowMajor, CblasLeft, CblasLower, dim(n), dim(k), 1.0f, s, dim(n), b, dim(k), beta, c,
              dim(k));
}

namespace {

// The lower triangle of s (n x n) = alpha·x xᵀ + beta·s in one pass: each entry read and written
// once, where ssyrk's blocking (or a scaling pass, then ssyr) costs two to four times more.
INDEE_MULTIVERSION void rank1_update(std::size_t n, float alpha, const float* x, float beta, float* s) {
  for (std::size_t i = 0; i < n; ++i) {
    const float scaled = alpha * x[i];
    float* row = s + i * n;
    if (beta == 0.0f)
      for (std::size_t j = 0; j <= i; ++j) row[j] = scaled * x[j];
    else
      for (std::size_t j = 0; j <= i; ++j) row[j] = beta * row[j] + scaled * x[j];
  }
}

}  // namespace

void syrk(std::size_t n, std::size_t m, float alpha, const float* a, float beta, float* s) {
  if (n == 0) return;
  if (m == 1) return rank1_update(n, alpha, a, beta, s);  // collecting one row
  const LibraryCall call;
  cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, dim(n), dim(m), alpha, a, dim(n), beta, s, dim(n));
}

void syr(std::size_t n, float alpha, const float* x, float* s) {
  if (n == 0) return;
  const LibraryCall call;
  cblas_ssyr(CblasRowMajor, CblasLower, dim(n), alpha, x, 1, s, dim(n));
}

void symmetrize_from_lower(std::size_t n, float* s) {
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < i; ++j) s[j * n + i] = s[i * n + j];
}

}  // namespace indee::blas

namespace indee::blas {
namespace {

// The gate every LibraryCall passes. set_threads and fork() close it: they wait for the calls in
// flight to end, and new calls wait until they reopen it.
std::mutex gate;
std::condition_variable* gate_opened = new std::condition_variable;  // replaced in a forked child
int calls_in_flight = 0;  // LibraryCalls held
bool closed = false;

void close_gate(std::unique_lock<std::mutex>& lock) {
  gate_opened->wait(lock, [] { return !closed; });
  closed = true;
  gate_opened->wait(lock, [] { return calls_in_flight == 0; });
}

void open_gate(std::unique_lock<std::mutex>& lock) {
  closed = false;
  lock.unlock();
  gate_opened->notify_all();
}

// fork(). OpenBLAS's pthreads build registers a fork handler (blas_thread_shutdown_) that shuts its
// thread pool down and frees its threads' buffers, also under a call another thread is making
// with them; the next calls then re-create the pool, concurrently. In Node (async calls on libuv
// threads, child_process.spawn on the main thread) that hung fork() or a call within a second.
// Ours, registered after OpenBLAS's, runs its prepare step before it: it closes the gate across the
// fork, so that OpenBLAS shuts down with no call in flight, and in the parent re-creates the pool
// on the forking thread before the calls resume.
void before_fork() {
  std::unique_lock<std::mutex> lock(gate);
  close_gate(lock);
  lock.release();  // held across the fork; unlocked by after_fork_in_*
}

void after_fork_in_parent() {
  openblas_set_num_threads(openblas_get_num_threads());  // re-creates the pool and its buffers
  std::unique_lock<std::mutex> lock(gate, std::adopt_lock);
  open_gate(lock);
}

void after_fork_in_child() {
  // The forking thread, which holds the gate, is the child's only thread. The threads that were
  // waiting at the gate are gone, and glibc's condition variables may wait for their waiters
  // (pthread_cond_broadcast does): the child gets a fresh one, the old one is left as it is.
  gate_opened = new std::condition_variable;
  calls_in_flight = 0;
  closed = false;
  gate.unlock();
}

// Once, before the first call into OpenBLAS: by then OpenBLAS has registered its fork handler (when
// it was loaded), so ours comes after it, and prepare handlers run in reverse order. A fork before
// this point left OpenBLAS's pool shut down: it is re-created here.
std::once_flag set_up;
void set_up_once() {
  std::call_once(set_up, [] {
    require(pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child) == 0, ErrorCode::OutOfMemory,
            "could not register the BLAS fork handler");
    openblas_set_num_threads(openblas_get_num_threads());
  });
}

}  // namespace

LibraryCall::LibraryCall() {
  set_up_once();
  std::unique_lock<std::mutex> lock(gate);
  gate_opened->wait(lock, [] { return !closed; });
  ++calls_in_flight;
}

LibraryCall::~LibraryCall() {
  std::lock_guard<std::mutex> lock(gate);
  if (--calls_in_flight == 0 && closed) gate_opened->notify_all();
}

void set_threads(std::size_t count) {
  require(count >= 1 && count <= 1024, ErrorCode::OutOfRange,
          "threads must be an integer in [1, 1024], got " + std::to_string(count));
  set_up_once();
  std::unique_lock<std::mutex> lock(gate);
  close_gate(lock);  // OpenBLAS resizes its pool: not under a call
  openblas_set_num_threads(static_cast<int>(count));
  open_gate(lock);
}

std::size_t threads() { return static_cast<std::size_t>(openblas_get_num_threads()); }

}  // namespace indee::blas
