// The CUDA implementation of backend.hpp: memory from cudaMalloc, the products through cuBLAS
// (cublas.hpp), everything else through the plugin's kernels (kernels.hpp). Each instance owns one
// stream and one cuBLAS handle, so models on different threads never share either; all of an
// instance's work is ordered on its stream.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "../backend.hpp"
#include "cublas.hpp"

namespace indee::cuda {

class CudaBackend final : public Backend {
 public:
  // On device 0 (the first of CUDA_VISIBLE_DEVICES). Throws Error(Device) when the stream or the
  // handle cannot be created. The caller has checked that a driver, a device and cuBLAS are there.
  CudaBackend();
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  const char* name() const override { return name_.c_str(); }
  bool host_memory() const override { return false; }

  void* allocate(std::size_t bytes) override;
  void release(void* memory) noexcept override;
  void upload(const void* host_source, std::size_t bytes, void* target) override;
  void download(const void* source, std::size_t bytes, void* host_target) override;
  void copy(const void* source, std::size_t bytes, void* target) override;
  void zero(void* target, std::size_t bytes) override;

  void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
            const float* b, float beta, float* c) override;
  void symm(std::size_t n, std::size_t k, const float* s, const float* b, float beta, float* c) override;
  void syrk(std::size_t n, std::size_t m, float alpha, const float* a, float beta, float* s) override;
  void syr(std::size_t n, float alpha, const float* x, float* s) override;
  void symmetrize(std::size_t n, float* s) override;

  double trace(std::size_t n, const float* s) override;
  double dot(std::size_t count, const float* a, const float* b) override;
  void diagonal(std::size_t n, const float* s, float* diagonal) override;

  void scale_shift_diagonal(std::size_t n, float alpha, float beta, float* s) override;
  void add_to_rows(std::size_t m, std::size_t d, float alpha, const float* b, float* x) override;
  void set_rows(std::size_t m, std::size_t d, const float* b, float* x) override;
  void flush_small(std::size_t count, float threshold, float* x) override;
  void gather_rows(std::size_t count, std::size_t width, const std::uint32_t* index, const float* source,
                   float* target) override;
  void scatter_add_rows(std::size_t count, std::size_t width, const std::uint32_t* index, const float* source,
                        float* target) override;
  void gather_block(std::size_t d, const float* s, std::size_t a, const std::uint32_t* index, float* block) override;

  void mirror(std::size_t count, const float* v, float* e) override;
  void inverse_mirror(std::size_t rows, std::size_t n, const float* u, float* out, double* residue) override;
  void inverse_mirror_backward(std::size_t count, const float* u, const float* g, float* du) override;
  void adam(const AdamStep& step, std::size_t count, const float* g, float* m, float* v, float* x) override;
  void completion_gradient(std::size_t rows, std::size_t input, std::size_t joint, const float* reconstruction,
                           const float* x, const double* residue, float* g, double* loss) override;

  void moving_average_rows(std::size_t m, std::size_t d, const float* bias, float alpha, const float* weight,
                           float* e, float* B, float* scaled) override;
  void moving_average_sum(std::size_t m, std::size_t d, const float* bias, float alpha, float* e, float* B) override;
  void cumulative_rows(std::size_t m, std::size_t d, const float* bias, double count, bool sum_semantics, float* e,
                       float* B, float* centred, float* delta) override;

 private:
  void destroy() noexcept;
  // The sum of the first `count` partial sums a reduction kernel left in partials_ (in order).
  double sum_partials(std::size_t count);

  const Cublas& blas_;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t handle_ = nullptr;
  double* partials_ = nullptr;  // kMaxPartials doubles of device memory
};

}  // namespace indee::cuda
