// Stand-in for <cuda_runtime.h> in the CPU emulation of the CUDA plugin (scripts/reliability/
// cuda-emulated.sh). The plugin's sources (native/backend/cuda/*.cpp) and the C++ that
// translate_kernels.py makes of its .cu files are compiled by g++ with this directory first on the
// include path, so that they build unchanged against the emulated runtime (libemucuda.so,
// emulated_runtime.cpp) instead of NVIDIA's.
//
// It declares only the subset of the runtime the plugin calls, with NVIDIA's names and values: a
// call the plugin starts using that is missing here fails the emulated build (a compile error, or
// the plugin's --no-undefined link), and must be added to emulated_runtime.cpp with its checks.
//
// Device side: __global__/__device__ vanish, __shared__ becomes static (one copy per kernel; blocks
// run one after another, so that is the block's shared memory), threadIdx/blockIdx/blockDim/gridDim
// are globals the launch sets, and __syncthreads switches fibers (emulated_runtime.cpp). Only 1-D
// launches without dynamic shared memory are emulated; warp intrinsics, atomics and the like are
// not declared, so a kernel using them does not compile here until they are emulated.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

// ---- Runtime API (the subset the plugin uses) -----------------------------------------------------
struct CUstream_st;
using cudaStream_t = CUstream_st*;
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
};
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3 };
constexpr unsigned cudaStreamNonBlocking = 1;
struct cudaDeviceProp {
  char name[256];
};

extern "C" {
const char* cudaGetErrorString(cudaError_t error);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* properties, int device);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaMalloc(void** pointer, std::size_t bytes);
cudaError_t cudaFree(void* pointer);
cudaError_t cudaMemcpyAsync(void* target, const void* source, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream);
cudaError_t cudaMemsetAsync(void* target, int value, std::size_t bytes, cudaStream_t stream);
cudaError_t cudaGetLastError();
cudaError_t cudaDriverGetVersion(int* version);
cudaError_t cudaRuntimeGetVersion(int* version);
cudaError_t cudaGetDeviceCount(int* count);

// ---- The emulation's own API (libemucuda.so), used by the launches below and by the fake cuBLAS --
// One fake call: takes the runtime's lock (recursive) and names the operation for diagnostics.
void emu_begin(const char* op);
// Ends it: the allocations the call opened are checked (their slack canaries) and closed again.
void emu_end();
// Checks that [pointer, pointer + bytes) lies inside one live device allocation (bytes 0: the
// pointer itself) that no other stream has used, and opens that allocation for this call.
void emu_device(const char* op, const char* what, const void* pointer, std::size_t bytes);
// Checks that [pointer, pointer + bytes) lies outside device memory.
void emu_host(const char* op, const char* what, const void* pointer, std::size_t bytes);
// Checks that the stream is live and makes it the call's stream.
void emu_stream(const char* op, cudaStream_t stream);
// Prints what went wrong, with a backtrace, and aborts.
[[noreturn]] void emu_fatal(const char* op, const char* message);
// Runs fn(context) as `threads` fibers (threadIdx.x = 0 .. threads-1): __syncthreads is a barrier.
void emu_run_fibers(unsigned threads, void (*fn)(void*), void* context);
// True when blocks and threads run last to first (INDEE_EMU_ORDER=reverse).
bool emu_reverse_order();
void emu_syncthreads();
}

// ---- Device side ------------------------------------------------------------------------------------
struct uint3 {
  unsigned x, y, z;
};
extern "C" uint3 threadIdx, blockIdx, blockDim, gridDim;
inline void __syncthreads() { emu_syncthreads(); }
#define __global__
#define __device__
#define __shared__ static

// Every pointer parameter of a kernel must be null or point into a live device allocation; the
// allocations so named are the only device memory the kernel may touch (the rest stays PROT_NONE).
template <class Tuple, std::size_t... I>
void emu_check_kernel_pointers(const char* kernel, const Tuple& parameters, std::index_sequence<I...>) {
  auto one = [kernel](const auto& value, std::size_t index) {
    if constexpr (std::is_pointer_v<std::decay_t<decltype(value)>>) {
      if (value != nullptr) emu_device(kernel, ("argument " + std::to_string(index)).c_str(), value, 0);
    }
  };
  (one(std::get<I>(parameters), I), ...);
}

// translate_kernels.py rewrites   kernel<<<grid, block, shared, stream>>>(args...)   into
//   emulate_launch("kernel", grid, block, shared, stream, uses_syncthreads, kernel, args...)
// Blocks run one after another; a block's threads run one after another (or, where the kernel's
// file uses __syncthreads, as fibers switching at each barrier). The launch is synchronous.
template <class... Params, class... Args>
void emulate_launch(const char* name, unsigned grid, unsigned block, std::size_t shared, cudaStream_t stream,
                    bool fibers, void (*kernel)(Params...), Args&&... args) {
  emu_begin(name);
  emu_stream(name, stream);
  if (grid == 0 || grid > 2147483647u || block == 0 || block > 1024 || shared != 0)
    emu_fatal(name, "launch configuration the emulation does not support (or CUDA rejects)");
  std::tuple<Params...> parameters(std::forward<Args>(args)...);  // by value, converted, as CUDA does
  emu_check_kernel_pointers(name, parameters, std::index_sequence_for<Params...>{});
  gridDim = {grid, 1, 1};
  blockDim = {block, 1, 1};
  struct Context {
    void (*kernel)(Params...);
    std::tuple<Params...>* parameters;
  } context{kernel, &parameters};
  const bool reverse = emu_reverse_order();
  for (unsigned i = 0; i < grid; ++i) {
    blockIdx = {reverse ? grid - 1 - i : i, 0, 0};
    if (fibers) {
      emu_run_fibers(
          block, [](void* c) { std::apply(static_cast<Context*>(c)->kernel, *static_cast<Context*>(c)->parameters); },
          &context);
    } else {
      for (unsigned t = 0; t < block; ++t) {
        threadIdx = {reverse ? block - 1 - t : t, 0, 0};
        std::apply(kernel, parameters);
      }
    }
  }
  emu_end();
}
