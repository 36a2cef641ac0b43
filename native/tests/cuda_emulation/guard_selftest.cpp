// Negative controls of the CPU emulation of the CUDA plugin (scripts/reliability/cuda-emulated.sh):
// proof that the emulation can fail. A parity run that passes means something only if the guards it
// relies on fire, so each control below plants one misuse of device memory through the emulated
// plugin (or, for the barrier, through the emulated runtime directly) and must die with the
// emulation's message for it; the clean control must pass, so that the others fail for their
// misuse and not because nothing works.
//
// Usage: guard_selftest PLUGIN   (the emulated indeependence-cuda.so; libemucuda.so and the fake
// libcublas.so.13 found through LD_LIBRARY_PATH). Each control runs in a forked child; exit status 0
// when every control behaved, 1 otherwise.
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/plugin.hpp"
#include "cuda_runtime.h"

namespace {

using indee::Backend;
using indee::Op;

const char* plugin_path = nullptr;

std::unique_ptr<Backend> make_cuda_backend() {
  void* plugin = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
  if (plugin == nullptr) {
    std::fprintf(stderr, "cannot load %s: %s\n", plugin_path, dlerror());
    std::exit(2);
  }
  auto create = reinterpret_cast<indee::CreateBackend>(dlsym(plugin, indee::kCudaPluginEntry));
  char reason[512] = {0};
  Backend* backend = create != nullptr ? create(indee::kBackendInterfaceVersion, reason, sizeof reason) : nullptr;
  if (backend == nullptr) {
    std::fprintf(stderr, "the emulated plugin gave no backend: %s\n", reason);
    std::exit(2);
  }
  return std::unique_ptr<Backend>(backend);
}

// What every control starts from: a backend, d (64 floats, uploaded) and e (64 floats, fresh).
struct Setup {
  std::unique_ptr<Backend> gpu = make_cuda_backend();
  std::vector<float> host = std::vector<float>(64, 1.0f);
  float* d = static_cast<float*>(gpu->allocate(64 * sizeof(float)));
  float* e = static_cast<float*>(gpu->allocate(64 * sizeof(float)));
  Setup() { gpu->upload(host.data(), 64 * sizeof(float), d); }
};

// A kernel whose barrier only half the block reaches: undefined behaviour on a GPU.
__global__ void divergent_barrier_kernel(float* x) {
  if (threadIdx.x < 16) __syncthreads();
  x[threadIdx.x] = 1.0f;
}

struct Control {
  const char* name;
  const char* expected;  // in the child's stderr; null: the child must succeed
  std::function<void()> body;
};

const std::vector<Control> controls = {
    {"clean", nullptr,
     [] {
       Setup s;
       s.gpu->mirror(32, s.d, s.e);
       if (s.gpu->dot(64, s.e, s.e) != 32.0) throw std::runtime_error("mirror/dot gave a wrong result");
       float* fresh = static_cast<float*>(s.gpu->allocate(4 * sizeof(float)));
       float value = 0.0f;
       s.gpu->download(fresh, sizeof(float), &value);
       if (!std::isnan(value)) throw std::runtime_error("fresh device memory is not NaN-filled");
       s.gpu->release(fresh);
       s.gpu->release(s.e);
       s.gpu->release(s.d);
     }},
    {"host_reads_device_memory", "HOST CODE dereferenced device memory",
     [] {
       Setup s;
       std::printf("%f\n", static_cast<volatile float*>(s.d)[3]);
     }},
    {"host_pointer_to_kernel", "NOT DEVICE MEMORY",
     [] {
       Setup s;
       s.gpu->mirror(32, s.host.data(), s.e);
     }},
    {"host_pointer_to_cublas", "NOT DEVICE MEMORY",
     [] {
       Setup s;
       s.gpu->gemm(Op::None, Op::None, 8, 8, 8, 1.0f, s.host.data(), s.d, 0.0f, s.e);
     }},
    {"device_pointer_as_host", "DEVICE MEMORY where host memory is required",
     [] {
       Setup s;
       s.gpu->download(s.d, 64 * sizeof(float), s.e);
     }},
    {"copy_overrun", "not within one live allocation",
     [] {
       Setup s;
       s.gpu->copy(s.d, 65 * sizeof(float), s.e);
     }},
    {"kernel_overrun_into_guard_page", "outside the allocations it was handed",
     [] {
       Setup s;
       s.gpu->mirror(64, s.d, s.e);  // writes 128 floats into e's 64
     }},
    {"kernel_overrun_into_slack", "outside it (slack",
     [] {
       Setup s;
       float* e63 = static_cast<float*>(s.gpu->allocate(63 * sizeof(float)));
       s.gpu->mirror(32, s.d, e63);  // writes 64 floats: one past the end, within the page
     }},
    {"cublas_overrun", "not within one live allocation",
     [] {
       Setup s;
       s.gpu->gemm(Op::None, Op::None, 9, 8, 8, 1.0f, s.d, s.d, 0.0f, s.e);  // a and c need 72 floats
     }},
    {"use_after_free", "not within one live allocation (freed?",
     [] {
       Setup s;
       s.gpu->release(s.d);
       s.gpu->zero(s.d, 4);
     }},
    {"double_free", "double free",
     [] {
       Setup s;
       s.gpu->release(s.e);
       s.gpu->release(s.e);
     }},
    {"memory_on_two_streams", "memory used on two streams",
     [] {
       Setup s;
       std::unique_ptr<Backend> other = make_cuda_backend();
       other->mirror(32, s.d, s.e);  // s.d was first used on s.gpu's stream
     }},
    {"divergent_syncthreads", "divergent __syncthreads",
     [] {
       cudaStream_t stream = nullptr;
       cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
       void* x = nullptr;
       cudaMalloc(&x, 32 * sizeof(float));
       emulate_launch("divergent_barrier_kernel", 1, 32, 0, stream, true, divergent_barrier_kernel,
                      static_cast<float*>(x));
     }},
};

// Runs the control in a child; its stderr is collected. True when it behaved as expected.
bool run(const Control& control) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return false;
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    dup2(pipe_fds[1], 2);
    dup2(pipe_fds[1], 1);
    try {
      control.body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "exception: %s\n", e.what());
      std::fflush(nullptr);
      _exit(3);
    }
    std::fflush(nullptr);
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string output;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) output.append(buffer, std::size_t(n));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  const bool succeeded = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  const std::size_t marker = output.find("*** EMULATED CUDA: ");
  std::string message = marker == std::string::npos ? "" : output.substr(marker + 19);
  message = message.substr(0, message.find('\n'));
  bool ok;
  if (control.expected == nullptr) {
    ok = succeeded && marker == std::string::npos;
    std::printf("%s %-32s %s\n", ok ? "ok  " : "FAIL", control.name, ok ? "ran clean" : "should have run clean:");
  } else {
    ok = !succeeded && message.find(control.expected) != std::string::npos;
    std::printf("%s %-32s %s\n", ok ? "ok  " : "FAIL", control.name,
                ok ? ("caught: " + message).c_str() : ("NOT CAUGHT as \"" + std::string(control.expected) + "\":").c_str());
  }
  if (!ok) std::printf("%s\n", output.c_str());
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PLUGIN\n", argv[0]);
    return 2;
  }
  plugin_path = argv[1];
  int failed = 0;
  for (const Control& control : controls) failed += run(control) ? 0 : 1;
  std::printf("guard selftest: %s (%zu of %zu controls behaved; the controls: 1 clean run, %zu misuses)\n",
              failed == 0 ? "ok" : "FAILED", controls.size() - failed, controls.size(), controls.size() - 1);
  return failed == 0 ? 0 : 1;
}
