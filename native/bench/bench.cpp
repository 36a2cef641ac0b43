// Benchmark of the core without Node, at the original's shapes (794 joint inputs, layers
// [400,250,150]): each operation beside the BLAS call(s) that dominate it, timed in the same run.
// Usage: indee_bench [seconds per measurement, default 0.5]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "backend/cpu/blas.hpp"
#include "core/rng.hpp"
#include "core/stack.hpp"

using namespace indee;
using Clock = std::chrono::steady_clock;

namespace {

double budget_seconds = 0.5;

// Mean seconds per call over repeated calls filling the budget (after one warm-up call).
double time_call(const std::function<void()>& call) {
  call();
  std::size_t calls = 0;
  const auto start = Clock::now();
  double elapsed = 0.0;
  do {
    call();
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < budget_seconds);
  return elapsed / double(calls);
}

std::vector<float> uniform(std::size_t n, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.uniform();
  return v;
}

void report(const std::string& name, double flops, double seconds, double blas_seconds) {
  std::printf("%-28s %10.3f %9.1f %12.3f %9.1f %7.2f\n", name.c_str(), seconds * 1e3, flops / seconds / 1e9,
              blas_seconds * 1e3, flops / blas_seconds / 1e9, blas_seconds / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) budget_seconds = std::atof(argv[1]);
  StackConfig config;
  config.input_size = 784;
  config.label_size = 10;
  config.layers = {400, 250, 150};
  config.statistics = StatisticsMode::MovingAverage;
  Stack stack(config);
  std::vector<std::size_t> inputs{794, 400, 250};

  std::printf("%-28s %10s %9s %12s %9s %7s\n", "operation", "ms", "GFLOP/s", "BLAS ms", "GFLOP/s", "ratio");

  for (std::size_t m : {std::size_t(1), std::size_t(256)}) {
    const std::vector<float> x = uniform(m * 784, 1), y = uniform(m * 10, 2);
    double flops = 0.0;
    std::vector<std::vector<float>> z, C, W, h;
    for (std::size_t l = 0; l < 3; ++l) {
      const double d = 2.0 * inputs[l], k = config.layers[l];
      flops += m * d * (d + 1) + 2.0 * m * d * k;  // syrk + the codes passed up
      z.push_back(uniform(m * std::size_t(d), 3));
      C.emplace_back(std::size_t(d * d), 0.0f);
      W.push_back(uniform(std::size_t(d * k), 4));
      h.emplace_back(m * std::size_t(k));
    }
    const double seconds = time_call([&] { stack.collect(x.data(), y.data(), m, 0.01f, BatchSemantics::Sequential); });
    const double blas_seconds = time_call([&] {
      for (std::size_t l = 0; l < 3; ++l) {
        const std::size_t d = 2 * inputs[l], k = config.layers[l];
        blas::syrk(d, m, 1.0f, z[l].data(), 0.99f, C[l].data());
        blas::gemm(blas::Op::None, blas::Op::None, m, k, d, 1.0f, z[l].data(), W[l].data(), 0.0f, h[l].data());
      }
    });
    report("collect m=" + std::to_string(m), flops, seconds, blas_seconds);
  }

  double stack_flops = 0.0, stack_blas = 0.0;
  for (std::size_t l = 0; l < 3; ++l) {
    const std::size_t d = 2 * inputs[l], k = config.layers[l];
    const double flops = 2.0 * d * d * k + 7.0 * d * k * k;
    std::vector<float> C = uniform(d * d, 7), W = uniform(d * k, 8), P(d * k), G(d * k), S(k * k), T(k * k);
    const double blas_seconds = time_call([&] {  // the five products of one step: CW, WᵀW, WᵀCW, CW·S, W·T
      blas::symm(d, k, C.data(), W.data(), 0.0f, P.data());
      blas::syrk(k, d, 1.0f, W.data(), 0.0f, S.data());
      blas::gemm(blas::Op::Transpose, blas::Op::None, k, k, d, 1.0f, W.data(), P.data(), 0.0f, T.data());
      blas::gemm(blas::Op::None, blas::Op::None, d, k, k, 2.0f, P.data(), S.data(), 0.0f, G.data());
      blas::gemm(blas::Op::None, blas::Op::None, d, k, k, 2.0f, W.data(), T.data(), 1.0f, G.data());
    });
    Layer layer(cpu_backend(), inputs[l], k, 1, 0.0005f);
    const std::vector<float> v = uniform(256 * inputs[l], 5);
    std::vector<float> codes(256 * k);
    layer.collect(v.data(), 256, CollectOptions{}, codes.data());
    const double seconds = time_call([&] { layer.learn(1, AdamHyper{}, Solver::Adam); });
    report("learn step, layer " + std::to_string(l), flops, seconds, blas_seconds);
    stack_flops += flops;
    stack_blas += blas_seconds;
  }
  report("learn step, stack", stack_flops, time_call([&] { stack.learn(1); }), stack_blas);

  for (std::size_t m : {std::size_t(1), std::size_t(256)}) {
    const std::size_t steps = 100;
    const std::vector<float> x = uniform(m * 784, 9);
    double flops = 0.0;
    std::vector<std::vector<float>> A, W, out;
    for (std::size_t l = 0; l < 3; ++l) {
      const std::size_t d = 2 * inputs[l], k = config.layers[l];
      flops += 4.0 * m * d * k * steps;  // decode and its backward pass
      A.push_back(uniform(m * k, 10));
      W.push_back(uniform(d * k, 11));
      out.emplace_back(m * d);
    }
    const double seconds = time_call([&] { stack.infer(x.data(), m, steps); });
    const double blas_seconds = time_call([&] {
      for (std::size_t s = 0; s < steps; ++s)
        for (std::size_t l = 0; l < 3; ++l) {
          const std::size_t d = 2 * inputs[l], k = config.layers[l];
          blas::gemm(blas::Op::None, blas::Op::Transpose, m, d, k, 1.0f, A[l].data(), W[l].data(), 0.0f, out[l].data());
          blas::gemm(blas::Op::None, blas::Op::None, m, k, d, 1.0f, out[l].data(), W[l].data(), 0.0f, A[l].data());
        }
    });
    report("infer m=" + std::to_string(m) + ", 100 steps", flops, seconds, blas_seconds);
  }
  return 0;
}
