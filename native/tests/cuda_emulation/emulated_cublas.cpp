// A fake libcublas.so.13 for the CPU emulation of the CUDA plugin (scripts/reliability/
// cuda-emulated.sh). The plugin dlopens "libcublas.so.13" (native/backend/cuda/cublas.cpp); with
// LD_LIBRARY_PATH pointing at the emulation's build folder it finds this one.
//
// It implements the functions the plugin resolves, as the BLAS specification defines them:
// column-major, straightforward loops (a reference, not fast), on the emulated runtime's guarded
// device memory (emulated_runtime.cpp). Each call is one fake call: every matrix must lie whole
// (its extent from the dimensions and the leading dimension) inside one live device allocation,
// alpha and beta must be host memory (CUBLAS_POINTER_MODE_HOST, the default the plugin relies on),
// and the handle must have a stream set (without one, cuBLAS runs on the legacy default stream,
// unordered with the backend's non-blocking stream). Argument errors return the status the real
// cuBLAS returns, so the plugin's error path is what reports them.
//
// What it cannot check: cuBLAS's own summation order and blocking, and TF32 tensor-core rounding
// (CUBLAS_TF32_TENSOR_OP_MATH is accepted and computed in full fp32): the parity tests' tolerances
// for those are exercised only on a GPU.
#include <algorithm>
#include <cstddef>
#include <map>
#include <vector>

#include "cuda_runtime.h"

namespace {

// cublasStatus_t values (cublas_api.h).
constexpr int kSuccess = 0, kNotInitialized = 1, kInvalidValue = 7;
constexpr int kDefaultMath = 0, kTf32TensorOpMath = 3;

// Live handles and the stream set on each (null: none yet). Never destroyed: a backend may destroy
// its handle from a static destructor at exit.
auto& handles = *new std::map<void*, cudaStream_t>;

// One fake call, for the scope of a cuBLAS function: the runtime's lock is held throughout.
struct Call {
  explicit Call(const char* op) { emu_begin(op); }
  ~Call() { emu_end(); }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;
};

bool valid(void* handle) { return handles.count(handle) != 0; }

// Bytes spanned by a column-major rows x cols float matrix with leading dimension ld.
std::size_t extent(int rows, int cols, int ld) {
  return rows == 0 || cols == 0 ? 0 : (std::size_t(ld) * (cols - 1) + rows) * sizeof(float);
}

void matrix(const char* op, const char* what, const void* p, int rows, int cols, int ld) {
  emu_device(op, what, p, extent(rows, cols, ld));
}

void scalar(const char* op, const char* what, const float* p) { emu_host(op, what, p, sizeof(float)); }

void on_stream(const char* op, void* handle) {
  if (handles[handle] == nullptr)
    emu_fatal(op, "the cuBLAS handle has no stream set (it would run on the legacy default stream)");
  emu_stream(op, handles[handle]);
}

// c = alpha * sum + beta * c, where beta = 0 means c is not read (it may hold NaN), as in BLAS.
void update(float& c, float alpha, float sum, float beta) { c = alpha * sum + (beta == 0 ? 0.0f : beta * c); }

// The products are computed on dense copies of the operands, in one loop order that the compiler
// vectorises: the emulated parity runs spend most of their time here.

// op(X) as a dense column-major rows x cols matrix (leading dimension rows), X being column-major
// with leading dimension ld.
std::vector<float> dense(const float* x, int ld, bool transpose, int rows, int cols) {
  std::vector<float> out(std::size_t(rows) * cols);
  for (int j = 0; j < cols; ++j)
    for (int i = 0; i < rows; ++i)
      out[i + std::size_t(j) * rows] = transpose ? x[j + std::size_t(i) * ld] : x[i + std::size_t(j) * ld];
  return out;
}

// The full n x n matrix of a symmetric one of which only the `uplo` triangle is stored.
std::vector<float> symmetric(const float* a, int lda, int uplo, int n) {
  std::vector<float> out(std::size_t(n) * n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const bool stored = uplo == 0 ? i >= j : i <= j;
      out[i + std::size_t(j) * n] = stored ? a[i + std::size_t(j) * lda] : a[j + std::size_t(i) * lda];
    }
  return out;
}

// a b for dense column-major a (m x k) and b (k x n): each column of the result accumulates the
// columns of a in order of l, in float.
std::vector<float> product(int m, int n, int k, const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> out(std::size_t(m) * n, 0.0f);
  for (int j = 0; j < n; ++j)
    for (int l = 0; l < k; ++l) {
      const float b_lj = b[l + std::size_t(j) * k];
      const float* __restrict column = a.data() + std::size_t(l) * m;
      float* __restrict sum = out.data() + std::size_t(j) * m;
      for (int i = 0; i < m; ++i) sum[i] += column[i] * b_lj;
    }
  return out;
}

}  // namespace

extern "C" {

int cublasCreate_v2(void** handle) {
  Call call("cublasCreate_v2");
  *handle = new char[1];
  handles[*handle] = nullptr;
  return kSuccess;
}

int cublasDestroy_v2(void* handle) {
  Call call("cublasDestroy_v2");
  if (!valid(handle)) return kNotInitialized;
  handles.erase(handle);
  delete[] static_cast<char*>(handle);
  return kSuccess;
}

int cublasSetStream_v2(void* handle, cudaStream_t stream) {
  Call call("cublasSetStream_v2");
  if (!valid(handle)) return kNotInitialized;
  emu_stream("cublasSetStream_v2", stream);
  handles[handle] = stream;
  return kSuccess;
}

int cublasSetMathMode(void* handle, int mode) {
  Call call("cublasSetMathMode");
  if (!valid(handle)) return kNotInitialized;
  return mode == kDefaultMath || mode == kTf32TensorOpMath ? kSuccess : kInvalidValue;
}

const char* cublasGetStatusString(int status) {
  switch (status) {
    case kSuccess: return "CUBLAS_STATUS_SUCCESS";
    case kNotInitialized: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case kInvalidValue: return "CUBLAS_STATUS_INVALID_VALUE";
  }
  return "CUBLAS_STATUS_UNKNOWN (emulated cuBLAS)";
}

// C = alpha op(A) op(B) + beta C; C is m x n, op(A) m x k, op(B) k x n.
int cublasSgemm_v2(void* handle, int trans_a, int trans_b, int m, int n, int k, const float* alpha, const float* a,
                   int lda, const float* b, int ldb, const float* beta, float* c, int ldc) {
  const char* op = "cublasSgemm_v2";
  Call call(op);
  if (!valid(handle)) return kNotInitialized;
  if (m < 0 || n < 0 || k < 0 || (trans_a != 0 && trans_a != 1) || (trans_b != 0 && trans_b != 1)) return kInvalidValue;
  if (lda < std::max(1, trans_a == 0 ? m : k) || ldb < std::max(1, trans_b == 0 ? k : n) || ldc < std::max(1, m))
    return kInvalidValue;
  if (m == 0 || n == 0) return kSuccess;
  on_stream(op, handle);
  scalar(op, "alpha", alpha);
  scalar(op, "beta", beta);
  if (k > 0) {
    matrix(op, "A", a, trans_a == 0 ? m : k, trans_a == 0 ? k : m, lda);
    matrix(op, "B", b, trans_b == 0 ? k : n, trans_b == 0 ? n : k, ldb);
  }
  matrix(op, "C", c, m, n, ldc);
  const std::vector<float> sum = k == 0 ? std::vector<float>(std::size_t(m) * n, 0.0f)
                                        : product(m, n, k, dense(a, lda, trans_a == 1, m, k),
                                                  dense(b, ldb, trans_b == 1, k, n));
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) update(c[i + std::size_t(j) * ldc], *alpha, sum[i + std::size_t(j) * m], *beta);
  return kSuccess;
}

// C = alpha A B + beta C (side left) or alpha B A + beta C (side right), A symmetric (its `uplo`
// triangle stored); C and B are m x n.
int cublasSsymm_v2(void* handle, int side, int uplo, int m, int n, const float* alpha, const float* a, int lda,
                   const float* b, int ldb, const float* beta, float* c, int ldc) {
  const char* op = "cublasSsymm_v2";
  Call call(op);
  if (!valid(handle)) return kNotInitialized;
  if (m < 0 || n < 0 || (side != 0 && side != 1) || (uplo != 0 && uplo != 1)) return kInvalidValue;
  if (lda < std::max(1, side == 0 ? m : n) || ldb < std::max(1, m) || ldc < std::max(1, m)) return kInvalidValue;
  if (m == 0 || n == 0) return kSuccess;
  on_stream(op, handle);
  scalar(op, "alpha", alpha);
  scalar(op, "beta", beta);
  const int order = side == 0 ? m : n;
  matrix(op, "A", a, order, order, lda);
  matrix(op, "B", b, m, n, ldb);
  matrix(op, "C", c, m, n, ldc);
  const std::vector<float> full = symmetric(a, lda, uplo, order), dense_b = dense(b, ldb, false, m, n);
  const std::vector<float> sum = side == 0 ? product(m, n, m, full, dense_b) : product(m, n, n, dense_b, full);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) update(c[i + std::size_t(j) * ldc], *alpha, sum[i + std::size_t(j) * m], *beta);
  return kSuccess;
}

// The `uplo` triangle of C (n x n) = alpha A Aᵀ + beta C (trans N, A n x k) or alpha Aᵀ A + beta C
// (trans T, A k x n). The other triangle is not touched.
int cublasSsyrk_v2(void* handle, int uplo, int trans, int n, int k, const float* alpha, const float* a, int lda,
                   const float* beta, float* c, int ldc) {
  const char* op = "cublasSsyrk_v2";
  Call call(op);
  if (!valid(handle)) return kNotInitialized;
  if (n < 0 || k < 0 || (uplo != 0 && uplo != 1) || (trans != 0 && trans != 1)) return kInvalidValue;
  if (lda < std::max(1, trans == 0 ? n : k) || ldc < std::max(1, n)) return kInvalidValue;
  if (n == 0) return kSuccess;
  on_stream(op, handle);
  scalar(op, "alpha", alpha);
  scalar(op, "beta", beta);
  if (k > 0) matrix(op, "A", a, trans == 0 ? n : k, trans == 0 ? k : n, lda);
  matrix(op, "C", c, n, n, ldc);
  // op(A) op(A)ᵀ with op(A) n x k: A itself (trans N) or its transpose (trans T).
  const std::vector<float> sum = k == 0 ? std::vector<float>(std::size_t(n) * n, 0.0f)
                                        : product(n, n, k, dense(a, lda, trans == 1, n, k),
                                                  dense(a, lda, trans == 0, k, n));
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i)
      if (uplo == 0 ? i >= j : i <= j) update(c[i + std::size_t(j) * ldc], *alpha, sum[i + std::size_t(j) * n], *beta);
  return kSuccess;
}

// The `uplo` triangle of A (n x n) += alpha x xᵀ. Unit stride only (all the plugin uses).
int cublasSsyr_v2(void* handle, int uplo, int n, const float* alpha, const float* x, int incx, float* a, int lda) {
  const char* op = "cublasSsyr_v2";
  Call call(op);
  if (!valid(handle)) return kNotInitialized;
  if (n < 0 || incx == 0 || (uplo != 0 && uplo != 1) || lda < std::max(1, n)) return kInvalidValue;
  if (incx != 1) emu_fatal(op, "incx != 1 is not emulated");
  if (n == 0) return kSuccess;
  on_stream(op, handle);
  scalar(op, "alpha", alpha);
  emu_device(op, "x", x, std::size_t(n) * sizeof(float));
  matrix(op, "A", a, n, n, lda);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i)
      if (uplo == 0 ? i >= j : i <= j) a[i + std::size_t(j) * lda] += *alpha * x[i] * x[j];
  return kSuccess;
}

}  // extern "C"
