// Benchmark of the core without Node, at the original's shapes (794 joint inputs, layers
// [400,250,150]): each operation beside the dense products that dominate it, timed in the same run,
// on the CPU and, when the CUDA backend is available, on the GPU (a Stack with device Cuda, and the
// same products through the CUDA backend: cuBLAS's limit). Then the original's schedule (collect one
// row, learn 100 Adam steps) as rows per second on each device.
// Usage: indee_bench [seconds per measurement, default 0.5] [schedule rows, default 200]
//                    [schedule seconds per device at most, default 30]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "backend/registry.hpp"
#include "core/rng.hpp"
#include "core/stack.hpp"

using namespace indee;
using Clock = std::chrono::steady_clock;

namespace {

double budget_seconds = 0.5;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Mean seconds per call over repeated calls filling the budget (after one warm-up call). `finish`
// runs once after the calls, inside the timing: it waits for work a device may still be doing.
double time_call(const std::function<void()>& call, const std::function<void()>& finish = nullptr) {
  call();
  if (finish) finish();
  std::size_t calls = 0;
  const auto start = Clock::now();
  do {
    call();
    ++calls;
  } while (seconds_since(start) < budget_seconds);
  if (finish) finish();
  return seconds_since(start) / double(calls);
}

std::vector<float> uniform(std::size_t n, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.uniform();
  return v;
}

// Where one column of the table runs: a device for the Stacks, and its backend for the products.
struct Side {
  Device device;
  Backend& backend;
};

// Arrays of uniform values in one backend's memory, released at the end.
class Arrays {
 public:
  explicit Arrays(Backend& backend) : backend_(backend) {}
  ~Arrays() {
    for (void* memory : blocks_) backend_.release(memory);
  }
  float* uniform(std::size_t n, std::uint64_t seed) {
    float* memory = static_cast<float*>(backend_.allocate(n * sizeof(float)));
    blocks_.push_back(memory);
    const std::vector<float> values = ::uniform(n, seed);
    backend_.upload(values.data(), n * sizeof(float), memory);
    return memory;
  }
  // Returns once the backend has finished everything before (a download waits for it).
  void wait(const float* memory) {
    float value;
    backend_.download(memory, sizeof(float), &value);
  }

 private:
  Backend& backend_;
  std::vector<void*> blocks_;
};

const std::size_t kInputs[] = {794, 400, 250};
const std::size_t kCodes[] = {400, 250, 150};

StackConfig original(Device device) {
  StackConfig config;
  config.input_size = 784;
  config.label_size = 10;
  config.layers = {400, 250, 150};
  config.statistics = StatisticsMode::MovingAverage;
  config.device = device;
  return config;
}

// The products of collect: per layer, the syrk of the centred batch and the codes passed up.
double collect_limit(Backend& backend, std::size_t m) {
  Arrays arrays(backend);
  std::vector<float*> z, C, W, h;
  for (std::size_t l = 0; l < 3; ++l) {
    const std::size_t d = 2 * kInputs[l], k = kCodes[l];
    z.push_back(arrays.uniform(m * d, 3));
    C.push_back(arrays.uniform(d * d, 4));
    W.push_back(arrays.uniform(d * k, 5));
    h.push_back(arrays.uniform(m * k, 6));
  }
  return time_call([&] {
    for (std::size_t l = 0; l < 3; ++l) {
      const std::size_t d = 2 * kInputs[l], k = kCodes[l];
      backend.syrk(d, m, 1.0f, z[l], 0.99f, C[l]);
      backend.gemm(Op::None, Op::None, m, k, d, 1.0f, z[l], W[l], 0.0f, h[l]);
    }
    arrays.wait(h[2]);
  });
}

// The five products of one Adam step of layer l: CW, WᵀW, WᵀCW, CW·S, W·T.
double learn_limit(Backend& backend, std::size_t l) {
  const std::size_t d = 2 * kInputs[l], k = kCodes[l];
  Arrays arrays(backend);
  float *C = arrays.uniform(d * d, 7), *W = arrays.uniform(d * k, 8), *P = arrays.uniform(d * k, 9),
        *G = arrays.uniform(d * k, 10), *S = arrays.uniform(k * k, 11), *T = arrays.uniform(k * k, 12);
  return time_call([&] {
    backend.symm(d, k, C, W, 0.0f, P);
    backend.syrk(k, d, 1.0f, W, 0.0f, S);
    backend.gemm(Op::Transpose, Op::None, k, k, d, 1.0f, W, P, 0.0f, T);
    backend.gemm(Op::None, Op::None, d, k, k, 2.0f, P, S, 0.0f, G);
    backend.gemm(Op::None, Op::None, d, k, k, 2.0f, W, T, 1.0f, G);
    arrays.wait(G);
  });
}

// The products of `steps` infer steps: per layer, the decode and its backward pass.
double infer_limit(Backend& backend, std::size_t m, std::size_t steps) {
  Arrays arrays(backend);
  std::vector<float*> A, W, out;
  for (std::size_t l = 0; l < 3; ++l) {
    const std::size_t d = 2 * kInputs[l], k = kCodes[l];
    A.push_back(arrays.uniform(m * k, 13));
    W.push_back(arrays.uniform(d * k, 14));
    out.push_back(arrays.uniform(m * d, 15));
  }
  return time_call([&] {
    for (std::size_t s = 0; s < steps; ++s)
      for (std::size_t l = 0; l < 3; ++l) {
        const std::size_t d = 2 * kInputs[l], k = kCodes[l];
        backend.gemm(Op::None, Op::Transpose, m, d, k, 1.0f, A[l], W[l], 0.0f, out[l]);
        backend.gemm(Op::None, Op::None, m, k, d, 1.0f, out[l], W[l], 0.0f, A[l]);
      }
    arrays.wait(A[0]);
  });
}

// One row of the table: per side, the operation's time and its products' time.
void report(const std::string& name, double flops, const std::vector<std::pair<double, double>>& times) {
  std::printf("%-28s", name.c_str());
  for (const auto& [seconds, limit] : times)
    std::printf(" %10.3f %9.1f %12.3f %9.1f %7.2f", seconds * 1e3, flops / seconds / 1e9, limit * 1e3,
                flops / limit / 1e9, limit / seconds);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) budget_seconds = std::atof(argv[1]);
  const std::size_t schedule_rows = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 200;
  const double schedule_seconds = argc > 3 ? std::atof(argv[3]) : 30.0;

  std::vector<Side> sides{{Device::Cpu, cpu_backend()}};
  std::shared_ptr<Backend> gpu;
  const std::string unavailable = cuda_unavailable_reason();
  if (unavailable.empty()) {
    gpu = make_backend(Device::Cuda);
    sides.push_back({Device::Cuda, *gpu});
    std::printf("cuda: %s\n", gpu->name());
  } else {
    std::printf("cuda: unavailable (%s)\n", unavailable.c_str());
  }

  std::printf("%-28s %10s %9s %12s %9s %7s", "operation", "ms", "GFLOP/s", "BLAS ms", "GFLOP/s", "ratio");
  if (gpu) std::printf(" %10s %9s %12s %9s %7s", "cuda ms", "GFLOP/s", "cuBLAS ms", "GFLOP/s", "ratio");
  std::printf("\n");

  std::vector<std::unique_ptr<Stack>> stacks;
  for (const Side& side : sides) stacks.push_back(std::make_unique<Stack>(original(side.device)));

  for (std::size_t m : {std::size_t(1), std::size_t(256)}) {
    const std::vector<float> x = uniform(m * 784, 1), y = uniform(m * 10, 2);
    double flops = 0.0;
    for (std::size_t l = 0; l < 3; ++l) {
      const double d = 2.0 * kInputs[l], k = kCodes[l];
      flops += m * d * (d + 1) + 2.0 * m * d * k;  // syrk + the codes passed up
    }
    std::vector<std::pair<double, double>> times;
    for (std::size_t s = 0; s < sides.size(); ++s) {
      Stack& stack = *stacks[s];
      // collect returns before a GPU is done; encoding one row afterwards waits for it.
      const double seconds = time_call([&] { stack.collect(x.data(), y.data(), m, 0.01f, BatchSemantics::Sequential); },
                                       [&] { stack.encode(x.data(), y.data(), 1); });
      times.emplace_back(seconds, collect_limit(sides[s].backend, m));
    }
    report("collect m=" + std::to_string(m), flops, times);
  }

  // Each layer alone: a one-layer stack of the layer's shape (its learn includes the stack's copy of
  // W and its Adam moments, kept to undo a diverged learn).
  std::vector<std::pair<double, double>> stack_times(sides.size(), {0.0, 0.0});
  double stack_flops = 0.0;
  for (std::size_t l = 0; l < 3; ++l) {
    const std::size_t d = 2 * kInputs[l], k = kCodes[l];
    const double flops = 2.0 * d * d * k + 7.0 * d * k * k;
    const std::vector<float> v = uniform(256 * kInputs[l], 5);
    std::vector<std::pair<double, double>> times;
    for (std::size_t s = 0; s < sides.size(); ++s) {
      StackConfig config;
      config.input_size = kInputs[l];
      config.layers = {k};
      config.device = sides[s].device;
      Stack layer(config);
      layer.collect(v.data(), nullptr, 256, 0.01f, BatchSemantics::Sequential);
      times.emplace_back(time_call([&] { layer.learn(1); }), learn_limit(sides[s].backend, l));
      stack_times[s].second += times.back().second;
    }
    report("learn step, layer " + std::to_string(l), flops, times);
    stack_flops += flops;
  }
  for (std::size_t s = 0; s < sides.size(); ++s) stack_times[s].first = time_call([&] { stacks[s]->learn(1); });
  report("learn step, stack", stack_flops, stack_times);

  for (std::size_t m : {std::size_t(1), std::size_t(256)}) {
    const std::size_t steps = 100;
    const std::vector<float> x = uniform(m * 784, 9);
    double flops = 0.0;
    for (std::size_t l = 0; l < 3; ++l) flops += 4.0 * m * 2.0 * kInputs[l] * kCodes[l] * steps;  // decode + backward
    std::vector<std::pair<double, double>> times;
    for (std::size_t s = 0; s < sides.size(); ++s)
      times.emplace_back(time_call([&] { stacks[s]->infer(x.data(), m, steps); }),
                         infer_limit(sides[s].backend, m, steps));
    report("infer m=" + std::to_string(m) + ", 100 steps", flops, times);
  }

  // The original's schedule: each row collected alone, then 100 Adam steps, from a fresh model.
  const std::vector<float> rows = uniform(schedule_rows * 784, 16);
  for (const Side& side : sides) {
    Stack stack(original(side.device));
    std::size_t done = 0;
    const auto start = Clock::now();
    while (done < schedule_rows && seconds_since(start) < schedule_seconds) {
      float label[10] = {};
      label[done % 10] = 1.0f;
      stack.collect(rows.data() + done * 784, label, 1, 0.01f, BatchSemantics::Sequential);
      stack.learn(100);
      ++done;
    }
    const double seconds = seconds_since(start);
    std::printf("faithful schedule, %-5s %8.2f rows/s (%zu rows of collect 1 row + learn 100 steps in %.1f s)\n",
                side.device == Device::Cpu ? "cpu" : "cuda", double(done) / seconds, done, seconds);
  }
  return 0;
}
