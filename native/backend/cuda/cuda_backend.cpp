#include "cuda_backend.hpp"

#include <cstdlib>
#include <cstring>
#include <vector>

#include "../cpu/dimension.hpp"
#include "check.hpp"
#include "kernels.hpp"

// Row-major and cuBLAS. cuBLAS is column-major, and the buffer of a row-major r x c matrix X
// (leading dimension c) is, read column-major, Xᵀ (c x r, leading dimension c). Every product is
// therefore asked of cuBLAS about the transposes, and each mapping below follows from that.

namespace indee::cuda {
namespace {

int dim(std::size_t n) { return library_dimension(n, "cuBLAS"); }

// TF32 tensor cores for the products when INDEEPENDENCE_CUDA_TF32=1: inputs rounded to 10-bit
// mantissas (about 3 decimal digits), accumulation in fp32. Off by default: full fp32 like the CPU.
bool tf32_requested() {
  const char* value = std::getenv("INDEEPENDENCE_CUDA_TF32");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

}  // namespace

CudaBackend::CudaBackend() : blas_(cublas()) {
  try {
    // The static CUDA runtime is this plugin's own, so nothing else in the process changes its
    // current device: device 0 stays current on every thread that calls in.
    check(cudaSetDevice(0), "cudaSetDevice");
    cudaDeviceProp properties{};
    check(cudaGetDeviceProperties(&properties, 0), "cudaGetDeviceProperties");
    name_ = std::string("cuda (") + properties.name + ")";
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    check(blas_, blas_.create(&handle_), "cublasCreate_v2");
    check(blas_, blas_.set_stream(handle_, stream_), "cublasSetStream_v2");
    check(blas_, blas_.set_math_mode(handle_, tf32_requested() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
          "cublasSetMathMode");
    partials_ = static_cast<double*>(allocate(kMaxPartials * sizeof(double)));
  } catch (...) {
    destroy();
    throw;
  }
}

CudaBackend::~CudaBackend() { destroy(); }

void CudaBackend::destroy() noexcept {
  release(partials_);
  if (handle_ != nullptr) blas_.destroy(handle_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
  partials_ = nullptr;
  handle_ = nullptr;
  stream_ = nullptr;
}

// ---- Memory ---------------------------------------------------------------------------------------

void* CudaBackend::allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  void* memory = nullptr;
  const cudaError_t status = cudaMalloc(&memory, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it so that later calls do not report it
    throw Error(ErrorCode::OutOfMemory, "cudaMalloc of " + std::to_string(bytes) + " bytes: out of GPU memory");
  }
  check(status, "cudaMalloc");
  return memory;  // 256-byte aligned
}

// Only this backend's stream uses its memory: once the stream is idle, nothing queued touches it.
void CudaBackend::release(void* memory) noexcept {
  if (memory == nullptr) return;
  cudaStreamSynchronize(stream_);
  cudaFree(memory);
}

// From pageable host memory, cudaMemcpyAsync returns once the source has been staged, so the caller
// may reuse it at once; the copy itself stays ordered on the stream.
void CudaBackend::upload(const void* host_source, std::size_t bytes, void* target) {
  if (bytes == 0) return;
  check(cudaMemcpyAsync(target, host_source, bytes, cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync (upload)");
}

void CudaBackend::download(const void* source, std::size_t bytes, void* host_target) {
  if (bytes == 0) return;
  check(cudaMemcpyAsync(host_target, source, bytes, cudaMemcpyDeviceToHost, stream_), "cudaMemcpyAsync (download)");
  check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (download)");
}

void CudaBackend::copy(const void* source, std::size_t bytes, void* target) {
  if (bytes == 0) return;
  check(cudaMemcpyAsync(target, source, bytes, cudaMemcpyDeviceToDevice, stream_), "cudaMemcpyAsync (copy)");
}

void CudaBackend::zero(void* target, std::size_t bytes) {
  if (bytes == 0) return;
  check(cudaMemsetAsync(target, 0, bytes, stream_), "cudaMemsetAsync (zero)");
}

// ---- Dense products -----------------------------------------------------------------------------------

// Row-major c (m x n) = alpha·op(a)·op(b) + beta·c. Column-major, the buffer of c is cᵀ (n x m) and
//   cᵀ = alpha·op(b)ᵀ·op(a)ᵀ + beta·cᵀ.
// The buffer of b read column-major is bᵀ, so op(b)ᵀ is that buffer under the SAME op: for
// op_b = None, op(b)ᵀ = bᵀ is the buffer as it is (n x k, ld n); for op_b = Transpose, op(b)ᵀ = b is
// the buffer (k x n, ld k) transposed. Likewise for a. Hence
//   cublasSgemm(op_b, op_a, M = n, N = m, K = k, b, ld = row length of b, a, ld = row length of a, c, ld = n).
void CudaBackend::gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
                       const float* b, float beta, float* c) {
  if (m == 0 || n == 0 || k == 0) return;
  const int trans_a = op_a == Op::Transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int trans_b = op_b == Op::Transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int lda = dim(op_a == Op::None ? k : m), ldb = dim(op_b == Op::None ? n : k);
  check(blas_, blas_.sgemm(handle_, trans_b, trans_a, dim(n), dim(m), dim(k), &alpha, b, ldb, a, lda, &beta, c, dim(n)),
        "cublasSgemm_v2");
}

// Row-major c (n x k) = s·b + beta·c with s's lower triangle. Column-major: cᵀ (k x n) = bᵀ·sᵀ =
// bᵀ·s, so s multiplies from the RIGHT; the buffers of b and c read as bᵀ, cᵀ (k x n, ld k). Entry
// (i, j), i ≥ j, of the row-major lower triangle sits at i·n + j, which column-major is entry (j, i)
// with j ≤ i: the UPPER triangle.
void CudaBackend::symm(std::size_t n, std::size_t k, const float* s, const float* b, float beta, float* c) {
  if (n == 0 || k == 0) return;
  const float one = 1.0f;
  check(blas_, blas_.ssymm(handle_, CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER, dim(k), dim(n), &one, s, dim(n), b,
                           dim(k), &beta, c, dim(k)),
        "cublasSsymm_v2");
}

// Row-major lower triangle of s (n x n) = alpha·aᵀa + beta·s, a (m x n). The buffer of a read
// column-major is A = aᵀ (n x m, ld n), and aᵀa = A·Aᵀ: cuBLAS's syrk with trans N and K = m. s is
// symmetric, so its buffer read column-major is s again, with the row-major lower triangle as the
// column-major UPPER one (see symm).
void CudaBackend::syrk(std::size_t n, std::size_t m, float alpha, const float* a, float beta, float* s) {
  if (n == 0 || m == 0) return;
  check(blas_, blas_.ssyrk(handle_, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_N, dim(n), dim(m), &alpha, a, dim(n), &beta, s,
                           dim(n)),
        "cublasSsyrk_v2");
}

// Row-major lower triangle of s += alpha·x xᵀ: x xᵀ is symmetric, so it is cuBLAS's syr on the
// column-major UPPER triangle.
void CudaBackend::syr(std::size_t n, float alpha, const float* x, float* s) {
  if (n == 0) return;
  check(blas_, blas_.ssyr(handle_, CUBLAS_FILL_MODE_UPPER, dim(n), &alpha, x, 1, s, dim(n)), "cublasSsyr_v2");
}

void CudaBackend::symmetrize(std::size_t n, float* s) { cuda::symmetrize(stream_, n, s); }

// ---- Reductions -------------------------------------------------------------------------------------

double CudaBackend::sum_partials(std::size_t count) {
  std::vector<double> partials(count);
  download(partials_, count * sizeof(double), partials.data());
  double sum = 0.0;
  for (double partial : partials) sum += partial;
  return sum;
}

double CudaBackend::trace(std::size_t n, const float* s) {
  return sum_partials(trace_partials(stream_, n, s, partials_));
}

double CudaBackend::dot(std::size_t count, const float* a, const float* b) {
  return sum_partials(dot_partials(stream_, count, a, b, partials_));
}

void CudaBackend::diagonal(std::size_t n, const float* s, float* diagonal) { cuda::diagonal(stream_, n, s, diagonal); }

// ---- Elementwise ------------------------------------------------------------------------------------

void CudaBackend::scale_shift_diagonal(std::size_t n, float alpha, float beta, float* s) {
  cuda::scale_shift_diagonal(stream_, n, alpha, beta, s);
}

void CudaBackend::add_to_rows(std::size_t m, std::size_t d, float alpha, const float* b, float* x) {
  cuda::add_to_rows(stream_, m, d, alpha, b, x);
}

void CudaBackend::set_rows(std::size_t m, std::size_t d, const float* b, float* x) {
  cuda::set_rows(stream_, m, d, b, x);
}

void CudaBackend::flush_small(std::size_t count, float threshold, float* x) {
  cuda::flush_small(stream_, count, threshold, x);
}

void CudaBackend::gather_rows(std::size_t count, std::size_t width, const std::uint32_t* index, const float* source,
                              float* target) {
  cuda::gather_rows(stream_, count, width, index, source, target);
}

void CudaBackend::scatter_add_rows(std::size_t count, std::size_t width, const std::uint32_t* index,
                                   const float* source, float* target) {
  cuda::scatter_add_rows(stream_, count, width, index, source, target);
}

void CudaBackend::gather_block(std::size_t d, const float* s, std::size_t a, const std::uint32_t* index,
                               float* block) {
  cuda::gather_block(stream_, d, s, a, index, block);
}

void CudaBackend::mirror(std::size_t count, const float* v, float* e) { cuda::mirror(stream_, count, v, e); }

void CudaBackend::inverse_mirror(std::size_t rows, std::size_t n, const float* u, float* out, double* residue) {
  cuda::inverse_mirror(stream_, rows, n, u, out, residue);
}

void CudaBackend::inverse_mirror_backward(std::size_t count, const float* u, const float* g, float* du) {
  cuda::inverse_mirror_backward(stream_, count, u, g, du);
}

void CudaBackend::adam(const AdamStep& step, std::size_t count, const float* g, float* m, float* v, float* x) {
  cuda::adam(stream_, step, count, g, m, v, x);
}

void CudaBackend::completion_gradient(std::size_t rows, std::size_t input, std::size_t joint,
                                      const float* reconstruction, const float* x, const double* residue, float* g,
                                      double* loss) {
  cuda::completion_gradient(stream_, rows, input, joint, reconstruction, x, residue, g, loss);
}

// ---- Statistics -----------------------------------------------------------------------------------

void CudaBackend::moving_average_rows(std::size_t m, std::size_t d, const float* bias, float alpha,
                                      const float* weight, float* e, float* B, float* scaled) {
  cuda::moving_average_rows(stream_, m, d, bias, alpha, weight, e, B, scaled);
}

void CudaBackend::moving_average_sum(std::size_t m, std::size_t d, const float* bias, float alpha, float* e,
                                     float* B) {
  cuda::moving_average_sum(stream_, m, d, bias, alpha, e, B);
}

void CudaBackend::cumulative_rows(std::size_t m, std::size_t d, const float* bias, double count, bool sum_semantics,
                                  float* e, float* B, float* centred, float* delta) {
  cuda::cumulative_rows(stream_, m, d, bias, count, sum_semantics, e, B, centred, delta);
}

}  // namespace indee::cuda
