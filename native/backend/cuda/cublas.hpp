// cuBLAS, loaded at run time (dlopen) rather than linked: the plugin then builds where no cuBLAS is
// installed (only nvcc), and one plugin binary runs with whichever cuBLAS the machine has (13 or
// 12). Only the few C functions the backend calls are declared here, by hand: cuBLAS's C ABI is
// stable, and its enums are passed as int. Values from cuBLAS's public cublas_api.h.
#pragma once

#include <string>

struct CUstream_st;  // cudaStream_t is CUstream_st*

namespace indee::cuda {

using cublasHandle_t = struct cublasContext*;
using cublasStatus_t = int;  // CUBLAS_STATUS_SUCCESS = 0

constexpr cublasStatus_t CUBLAS_STATUS_SUCCESS = 0;
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;                          // cublasOperation_t
constexpr int CUBLAS_FILL_MODE_LOWER = 0, CUBLAS_FILL_MODE_UPPER = 1;   // cublasFillMode_t
constexpr int CUBLAS_SIDE_LEFT = 0, CUBLAS_SIDE_RIGHT = 1;              // cublasSideMode_t
constexpr int CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3;  // cublasMath_t
// Scalars (alpha, beta) are passed by host pointer: the default CUBLAS_POINTER_MODE_HOST (0).

// The functions, by the names cuBLAS exports (cublas_v2.h maps cublasSgemm to cublasSgemm_v2).
struct Cublas {
  cublasStatus_t (*create)(cublasHandle_t* handle);
  cublasStatus_t (*destroy)(cublasHandle_t handle);
  cublasStatus_t (*set_stream)(cublasHandle_t handle, CUstream_st* stream);
  cublasStatus_t (*set_math_mode)(cublasHandle_t handle, int mode);
  cublasStatus_t (*sgemm)(cublasHandle_t handle, int trans_a, int trans_b, int m, int n, int k, const float* alpha,
                          const float* a, int lda, const float* b, int ldb, const float* beta, float* c, int ldc);
  cublasStatus_t (*ssymm)(cublasHandle_t handle, int side, int uplo, int m, int n, const float* alpha, const float* a,
                          int lda, const float* b, int ldb, const float* beta, float* c, int ldc);
  cublasStatus_t (*ssyrk)(cublasHandle_t handle, int uplo, int trans, int n, int k, const float* alpha, const float* a,
                          int lda, const float* beta, float* c, int ldc);
  cublasStatus_t (*ssyr)(cublasHandle_t handle, int uplo, int n, const float* alpha, const float* x, int incx,
                         float* a, int lda);
  const char* (*status_string)(cublasStatus_t status);  // cuBLAS ≥ 11.4 has it; null otherwise
  std::string library;                                  // the file that was loaded
};

// The process's cuBLAS, loaded on first use and never unloaded. Throws Error(Unavailable,
// "cuBLAS not found: <why, per file tried>") when no usable cuBLAS can be loaded.
const Cublas& cublas();

// Throws Error(Device, "<call>: <cuBLAS's name for the status>") unless status is success.
void check(const Cublas& api, cublasStatus_t status, const char* call);

}  // namespace indee::cuda
