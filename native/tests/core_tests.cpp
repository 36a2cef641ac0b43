// Tests of the core without Node: each equation of ALGORITHM.md against a direct computation.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/blas.hpp"
#include "core/error.hpp"
#include "core/mirror.hpp"
#include "core/objective.hpp"
#include "core/rng.hpp"
#include "core/solvers.hpp"
#include "core/stack.hpp"
#include "harness.hpp"

using namespace indee;

namespace {

std::vector<float> random_values(std::size_t count, std::uint64_t seed, float low, float high) {
  SplitMix64 rng(seed);
  std::vector<float> v(count);
  for (float& x : v) x = low + (high - low) * rng.uniform();
  return v;
}

StackConfig small_config(StatisticsMode mode) {
  StackConfig c;
  c.input_size = 5;
  c.label_size = 2;
  c.layers = {6, 3};
  c.statistics = mode;
  c.seed = 7;
  c.init_scale = 0.3f;
  return c;
}

double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
  return worst;
}

}  // namespace

TEST(mirror_interleaves_pairs) {
  const float v[] = {1.5f, -2.0f, 0.0f};
  float e[6];
  mirror(v, 3, e);
  const float expected[] = {1.5f, 0.0f, 0.0f, 2.0f, 0.0f, 0.0f};
  for (int i = 0; i < 6; ++i) CHECK(e[i] == expected[i]);
}

TEST(inverse_mirror_picks_larger_half_and_penalises_the_other) {
  const float u[] = {3.0f, 1.0f, 0.5f, 2.0f, 1.0f, 1.0f};  // p>q, p<q, tie (goes to -q)
  float out[3];
  double residue = 0.5;  // accumulated onto
  inverse_mirror(u, 1, 3, out, &residue);
  CHECK(out[0] == 3.0f);
  CHECK(out[1] == -2.0f);
  CHECK(out[2] == -1.0f);
  CHECK_NEAR(residue, 0.5 + 1.0 + 0.25 + 1.0, 1e-12);
}

TEST(cumulative_statistics_are_the_mean_and_covariance_in_any_order) {
  const std::size_t m = 40, d = 6;
  std::vector<float> e = random_values(m * d, 3, 0.0f, 1.0f);
  std::vector<double> mean(d, 0.0);
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = 0; i < d; ++i) mean[i] += e[j * d + i] / double(m);

  auto collect_in = [&](const std::vector<std::size_t>& order, std::size_t batch) {
    Statistics s(cpu_backend(), d);
    std::vector<float> bias(d, 0.0f);
    for (std::size_t start = 0; start < m; start += batch) {
      const std::size_t rows = std::min(batch, m - start);
      std::vector<float> block, scratch(rows * d);
      for (std::size_t r = 0; r < rows; ++r)
        block.insert(block.end(), e.begin() + order[start + r] * d, e.begin() + (order[start + r] + 1) * d);
      s.collect(block.data(), rows, bias.data(), StatisticsMode::Cumulative, 0.0f, BatchSemantics::Sequential,
                scratch.data());
      bias = s.mean();
    }
    return s;
  };
  std::vector<std::size_t> forward(m), backward(m);
  for (std::size_t j = 0; j < m; ++j) forward[j] = j, backward[j] = m - 1 - j;
  const Statistics a = collect_in(forward, 1), b = collect_in(backward, 7), c = collect_in(forward, m);

  const std::vector<float> Ca = a.second_moment();
  for (std::size_t i = 0; i < d; ++i) {
    CHECK_NEAR(a.mean()[i], mean[i], 1e-6);
    for (std::size_t k = 0; k < d; ++k) {
      double cov = 0.0;
      for (std::size_t j = 0; j < m; ++j) cov += (e[j * d + i] - mean[i]) * (e[j * d + k] - mean[k]) / double(m);
      CHECK_NEAR(Ca[i * d + k], cov, 1e-6);
    }
  }
  CHECK(max_abs_difference(Ca, b.second_moment()) < 1e-6);
  CHECK(max_abs_difference(Ca, c.second_moment()) < 1e-6);
  CHECK(a.count() == double(m) && b.count() == double(m));
}

TEST(one_batch_equals_rows_one_at_a_time_in_both_modes) {
  for (StatisticsMode mode : {StatisticsMode::MovingAverage, StatisticsMode::Cumulative}) {
    Stack batch(small_config(mode)), rows(small_config(mode));
    const std::size_t m = 9;
    const std::vector<float> x = random_values(m * 5, 11, -1.0f, 1.0f), y = random_values(m * 2, 12, 0.0f, 1.0f);
    batch.collect(x.data(), y.data(), 1, 0.1f, BatchSemantics::Sequential);
    rows.collect(x.data(), y.data(), 1, 0.1f, BatchSemantics::Sequential);
    batch.collect(x.data() + 5, y.data() + 2, m - 1, 0.1f, BatchSemantics::Sequential);
    for (std::size_t j = 1; j < m; ++j) rows.collect(x.data() + j * 5, y.data() + j * 2, 1, 0.1f, BatchSemantics::Sequential);
    for (std::size_t l = 0; l < 2; ++l) {
      CHECK(max_abs_difference(batch.layer(l).statistics().second_moment(), rows.layer(l).statistics().second_moment()) < 1e-5);
      CHECK(max_abs_difference(batch.layer(l).statistics().mean(), rows.layer(l).statistics().mean()) < 1e-6);
      CHECK(max_abs_difference(batch.layer(l).bias(), batch.layer(l).statistics().mean()) == 0.0);
    }
  }
}

TEST(moving_average_statistics_never_hold_denormal_numbers) {
  // One active row, then a long run of zero rows: in float32 the old entries would decay into
  // denormals (and stay there). In one batch and row by row, they must end as zeros or normal floats.
  const std::size_t d = 4, m = 12000;
  for (std::size_t batch : {std::size_t(1), m}) {
    Statistics s(cpu_backend(), d);
    std::vector<float> bias(d, 0.0f), first{1.0f, 0.5f, 0.0f, 0.25f}, zeros(batch * d, 0.0f), scratch(batch * d);
    s.collect(first.data(), 1, bias.data(), StatisticsMode::MovingAverage, 0.01f, BatchSemantics::Sequential, scratch.data());
    for (std::size_t done = 0; done < m; done += batch) {
      std::fill(zeros.begin(), zeros.end(), 0.0f);
      s.collect(zeros.data(), batch, s.mean().data(), StatisticsMode::MovingAverage, 0.01f, BatchSemantics::Sequential,
                scratch.data());
    }
    for (float x : s.second_moment()) CHECK(x == 0.0f || std::fabs(x) >= std::numeric_limits<float>::min());
    for (float x : s.mean()) CHECK(x == 0.0f || std::fabs(x) >= std::numeric_limits<float>::min());
  }
}

TEST(objective_gradient_matches_finite_differences) {
  const std::size_t d = 8, k = 3;
  std::vector<float> A = random_values(d * d, 21, -1.0f, 1.0f), C(d * d, 0.0f);
  blas::syrk(d, d, 1.0f / d, A.data(), 0.0f, C.data());  // C = AᵀA/d, lower triangle
  std::vector<float> W = random_values(d * k, 22, -0.5f, 0.5f), G(d * k);
  TraceObjective f(cpu_backend(), d, k);
  f.evaluate(C.data(), W.data(), G.data());
  const float eps = 1e-2f;
  for (std::size_t i = 0; i < d * k; ++i) {
    std::vector<float> plus = W, minus = W;
    plus[i] += eps;
    minus[i] -= eps;
    const double fd = (f.evaluate(C.data(), plus.data(), nullptr) - f.evaluate(C.data(), minus.data(), nullptr)) / (2 * eps);
    CHECK_NEAR(G[i], fd, 2e-3 + 2e-3 * std::fabs(fd));  // f is quartic in W: O(eps²) truncation
  }
}

TEST(completion_gradient_matches_finite_differences) {
  Stack stack(small_config(StatisticsMode::Cumulative));
  const std::size_t m = 3;
  const std::vector<float> x = random_values(m * 5, 31, -1.0f, 1.0f), y = random_values(m * 2, 32, 0.0f, 1.0f);
  stack.collect(x.data(), y.data(), m, 0.5f, BatchSemantics::Sequential);
  const std::vector<float> h = random_values(m * 3, 33, -1.0f, 1.0f);
  const CompletionGradient at = stack.completion_gradient(x.data(), h.data(), m);
  const float eps = 1e-3f;
  for (std::size_t i = 0; i < h.size(); ++i) {
    std::vector<float> plus = h, minus = h;
    plus[i] += eps;
    minus[i] -= eps;
    const std::size_t r = i / 3;
    const double fd = (stack.completion_gradient(x.data(), plus.data(), m).loss[r] -
                       stack.completion_gradient(x.data(), minus.data(), m).loss[r]) / (2 * eps);
    CHECK_NEAR(at.gradient[i], fd, 1e-2 + 1e-2 * std::fabs(fd));
  }
}

TEST(learning_lowers_the_objective) {
  Stack stack(small_config(StatisticsMode::Cumulative));
  const std::size_t m = 50;
  const std::vector<float> x = random_values(m * 5, 41, -1.0f, 1.0f), y = random_values(m * 2, 42, 0.0f, 1.0f);
  stack.collect(x.data(), y.data(), m, 0.0f, BatchSemantics::Sequential);
  const std::vector<double> before = stack.objectives();
  stack.learn(200);
  const std::vector<double> after = stack.objectives();
  for (std::size_t l = 0; l < 2; ++l) CHECK(after[l] < 0.9 * before[l]);
  CHECK(stack.layer(0).state().adam_t == 200);
}

TEST(the_same_seed_gives_the_same_model) {
  StackConfig c = small_config(StatisticsMode::MovingAverage);
  Stack a(c), b(c);
  c.seed = 8;
  Stack other(c);
  CHECK(a.layer(0).weights() == b.layer(0).weights());
  CHECK(a.layer(1).weights() == b.layer(1).weights());
  CHECK(a.layer(0).weights() != other.layer(0).weights());
  const std::vector<float> W = a.layer(0).weights();
  const auto [lo, hi] = std::minmax_element(W.begin(), W.end());
  CHECK(*lo >= -0.3f && *hi < 0.3f);
}

TEST(infer_with_zero_steps_reads_the_decode_of_the_encoded_image) {
  Stack stack(small_config(StatisticsMode::MovingAverage));
  const std::vector<float> x = random_values(2 * 5, 51, -1.0f, 1.0f);
  const Inference result = stack.infer(x.data(), 2, 0);
  const std::vector<float> codes = stack.encode(x.data(), nullptr, 2);
  const Decoded decoded = stack.decode(codes.data(), 2);
  CHECK(result.codes == codes);
  CHECK(result.scores == decoded.y);
  CHECK(result.reconstruction == decoded.x);
  for (std::size_t r = 0; r < 2; ++r) {
    CHECK(result.labels[r] == (decoded.y[r * 2 + 1] > decoded.y[r * 2] ? 1 : 0));
    double loss = decoded.residue[r];
    for (std::size_t i = 0; i < 5; ++i) loss += std::pow(double(decoded.x[r * 5 + i]) - x[r * 5 + i], 2);
    CHECK_NEAR(result.loss[r], loss, 1e-6 * (1.0 + loss));  // the native difference x̂ - x is rounded to float32
  }
}

TEST(bad_configurations_and_arguments_are_errors_not_crashes) {
  auto code_of = [](auto&& body) {
    try {
      body();
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::Internal;
  };
  StackConfig c = small_config(StatisticsMode::MovingAverage);
  c.layers = {};
  CHECK(code_of([&] { Stack s(c); }) == ErrorCode::OutOfRange);
  c.layers = {0};
  CHECK(code_of([&] { Stack s(c); }) == ErrorCode::OutOfRange);
  c.layers = {4};
  c.input_size = 100000;
  CHECK(code_of([&] { Stack s(c); }) == ErrorCode::OutOfRange);
  c = small_config(StatisticsMode::MovingAverage);
  c.rate = -1.0f;
  CHECK(code_of([&] { Stack s(c); }) == ErrorCode::OutOfRange);
  Stack s(small_config(StatisticsMode::MovingAverage));
  const std::vector<float> x(5, 0.5f);
  CHECK(code_of([&] { s.collect(x.data(), nullptr, 1, 1.5f, BatchSemantics::Sequential); }) == ErrorCode::OutOfRange);
}

// A checkpoint is the layers' states: a stack restored from them mid-run must continue bit for bit
// as the one that never stopped, in both statistics modes, across a denormal flush (the moving
// average with α = 0.9 decays by 0.1 per row and flushes after a few rows).
TEST(a_restored_stack_continues_bit_identically) {
  for (StatisticsMode mode : {StatisticsMode::MovingAverage, StatisticsMode::Cumulative}) {
    const StackConfig c = small_config(mode);
    Stack original(c);
    auto run = [&](Stack& s, std::uint64_t seed) {
      const std::vector<float> x = random_values(3 * 5, seed, 0.0f, 1.0f), y = random_values(3 * 2, seed + 1, 0.0f, 1.0f);
      s.collect(x.data(), y.data(), 3, 0.9f, BatchSemantics::Sequential);
      return s.learn(4);
    };
    for (std::uint64_t i = 0; i < 3; ++i) run(original, 100 + i);
    StackConfig other_seed = c;
    other_seed.seed = 99;  // restoring must overwrite everything the seed chose
    Stack resumed(other_seed);
    for (std::size_t l = 0; l < original.depth(); ++l) resumed.restore_layer(l, original.layer(l).state());
    for (std::uint64_t i = 3; i < 9; ++i) CHECK(run(original, 100 + i) == run(resumed, 100 + i));
    for (std::size_t l = 0; l < original.depth(); ++l) {
      const LayerState a = original.layer(l).state(), b = resumed.layer(l).state();
      CHECK(a.W == b.W && a.b == b.b && a.B == b.B && a.C == b.C && a.N == b.N);
      CHECK(a.adam_m == b.adam_m && a.adam_v == b.adam_v && a.adam_t == b.adam_t);
      CHECK(a.decay_since_flush == b.decay_since_flush);
    }
  }
}

TEST(restoring_a_malformed_state_is_an_error_that_changes_nothing) {
  Stack s(small_config(StatisticsMode::MovingAverage));
  const LayerState before = s.layer(0).state();
  auto rejected = [&](auto&& spoil) {
    LayerState bad = before;
    spoil(bad);
    try {
      s.restore_layer(0, bad);
    } catch (const Error& e) {
      return e.code() == ErrorCode::OutOfRange && std::string(e.what()).rfind("layer 0: ", 0) == 0;
    }
    return false;
  };
  CHECK(rejected([](LayerState& b) { b.W.pop_back(); }));
  CHECK(rejected([](LayerState& b) { b.C[3] = std::numeric_limits<float>::quiet_NaN(); }));
  CHECK(rejected([](LayerState& b) { b.adam_v[0] = -1.0f; }));
  CHECK(rejected([](LayerState& b) { b.N = -1.0; }));
  CHECK(rejected([](LayerState& b) { b.decay_since_flush = 0.0; }));
  const LayerState after = s.layer(0).state();
  CHECK(after.W == before.W && after.C == before.C && after.adam_v == before.adam_v && after.N == before.N);
}

// Coordinates with C_ii = 0 are left out of C·W: f and ∇f must be those of the whole matrix.
TEST(the_active_block_gives_the_dense_objective_and_gradient) {
  const std::size_t d = 9, k = 3;
  const std::vector<std::size_t> active{1, 2, 4, 7, 8};
  const std::vector<float> rows = random_values(6 * d, 61, -1.0f, 1.0f);
  std::vector<float> C(d * d, 0.0f);
  for (std::size_t r = 0; r < 6; ++r)
    for (std::size_t i : active)
      for (std::size_t j : active) C[i * d + j] += rows[r * d + i] * rows[r * d + j];
  std::vector<float> diagonal(d);
  for (std::size_t i = 0; i < d; ++i) diagonal[i] = C[i * d + i];
  CHECK(positive_entries(d, diagonal.data()) == active);
  const std::vector<float> W = random_values(d * k, 62, -0.5f, 0.5f);
  std::vector<float> dense_gradient(d * k), block_gradient(d * k);
  const double dense = TraceObjective(cpu_backend(), d, k).evaluate(C.data(), W.data(), dense_gradient.data());
  std::vector<float> block;
  active_block(d, C.data(), active, block);
  const double reduced = TraceObjective(cpu_backend(), d, k, active).evaluate(block.data(), W.data(), block_gradient.data());
  CHECK_NEAR(reduced, dense, 1e-5 * (1.0 + std::fabs(dense)));
  CHECK(max_abs_difference(block_gradient, dense_gradient) <= 1e-5);
  // And an all-zero C: f = 0, ∇f = 0.
  std::vector<float> zero(d * d, 0.0f), gradient(d * k, 1.0f);
  CHECK(TraceObjective(cpu_backend(), d, k, {}).evaluate(zero.data(), W.data(), gradient.data()) == 0.0);
  CHECK(max_abs_difference(gradient, std::vector<float>(d * k, 0.0f)) == 0.0);
}

// For non-negative inputs half the mirrored coordinates are inactive: the fast solvers work on the
// active block and must still reach the optimum of the whole objective, with zero inactive rows.
TEST(the_fast_solvers_on_the_active_block_reach_the_optimum) {
  for (Solver solver : {Solver::Eig, Solver::Subspace}) {
    StackConfig c;
    c.input_size = 8;
    c.layers = {3};
    c.statistics = StatisticsMode::Cumulative;
    c.solver = solver;
    c.init_scale = 0.3f;
    Stack s(c);
    std::vector<float> x = random_values(40 * 8, 71, 0.0f, 1.0f);
    for (std::size_t r = 0; r < 40; ++r) x[r * 8 + 5] = 0.0f;  // one input never lit: 7 of 16 active
    s.collect(x.data(), nullptr, 40, 0.0f, BatchSemantics::Sequential);
    const double f = s.learn(solver == Solver::Eig ? 1 : 200)[0];
    // The optimum: Σ of the trailing eigenvalues of C, from the dense solver on the whole matrix.
    std::vector<float> W = s.layer(0).weights();
    const std::vector<float> full = s.layer(0).statistics().second_moment();
    std::vector<float> optimal(16 * 3, 0.0f);
    for (std::size_t i = 0; i < 3; ++i) optimal[i * 3 + i] = 1.0f;
    eig_solve(16, 3, full.data(), optimal.data());
    const double optimum = TraceObjective(cpu_backend(), 16, 3).evaluate(full.data(), optimal.data(), nullptr);
    CHECK_NEAR(f, optimum, 1e-4 * (1.0 + optimum));
    for (std::size_t i = 0; i < 16; ++i)
      if (full[i * 16 + i] == 0.0f)
        for (std::size_t j = 0; j < 3; ++j) CHECK(W[i * 3 + j] == 0.0f);
  }
}

// A rate far too large makes Adam overflow: learn must fail with Numerical and leave every layer's
// weights and Adam state as they were, so the model stays usable.
TEST(a_diverging_learn_fails_and_changes_nothing) {
  StackConfig c = small_config(StatisticsMode::Cumulative);
  c.rate = 1e6f;
  Stack s(c);
  std::vector<float> x = random_values(10 * 5, 81, -1.0f, 1.0f);
  for (float& v : x) v *= 1e7f;
  s.collect(x.data(), nullptr, 10, 0.0f, BatchSemantics::Sequential);
  const LayerState before0 = s.layer(0).state(), before1 = s.layer(1).state();
  bool numerical = false;
  try {
    s.learn(50);
  } catch (const Error& e) {
    numerical = e.code() == ErrorCode::Numerical && std::string(e.what()).find("learning diverged in layer") == 0;
  }
  CHECK(numerical);
  const LayerState after0 = s.layer(0).state(), after1 = s.layer(1).state();
  CHECK(after0.W == before0.W && after0.adam_m == before0.adam_m && after0.adam_v == before0.adam_v && after0.adam_t == before0.adam_t);
  CHECK(after1.W == before1.W && after1.adam_t == before1.adam_t);
}

// The count of set_threads is the process's: calls on other threads (libuv's, workers') use it too,
// and it stays put after they run.
TEST(set_threads_governs_blas_calls_on_every_thread) {
  const std::size_t before = blas::threads();
  const std::size_t n = 256;  // large enough for OpenBLAS to use its threads
  const std::vector<float> a = random_values(n * n, 91, -1.0f, 1.0f);
  std::vector<float> c(n * n);
  for (const std::size_t count : {std::size_t(1), before + 1}) {
    blas::set_threads(count);
    std::size_t seen = 0;
    std::thread([&] {
      blas::gemm(blas::Op::None, blas::Op::Transpose, n, n, n, 1.0f, a.data(), a.data(), 0.0f, c.data());
      seen = blas::threads();
    }).join();
    CHECK(seen == count);
    CHECK(blas::threads() == count);
  }
  blas::set_threads(before);
  CHECK(blas::threads() == before);
}

// OpenBLAS's fork handler shuts its thread pool down and frees its buffers, also under the calls
// of other threads (blas.cpp): without blas.cpp's own handler, forking in a loop while three threads
// called gemm hung (pthreads build) or gave wrong products (12 in 20 s with OpenBLAS's OpenMP
// build); with it, 7,386 forks in 20 s, no hang, no wrong product. This shorter run
// (INDEE_FORK_SECONDS, 1 s by default) checks that forking under calls neither hangs nor changes a
// result.
TEST(forking_while_other_threads_call_blas_hangs_nothing_and_changes_no_result) {
  const char* env = std::getenv("INDEE_FORK_SECONDS");
  const double seconds = env != nullptr ? std::atof(env) : 1.0;
  const std::size_t before = blas::threads();
  blas::set_threads(4);
  std::atomic<bool> stop{false};
  std::atomic<long> calls{0}, wrong{0};
  auto multiply = [&](std::size_t n) {
    // Small integers: every product is exact, whatever the order of the sums.
    std::vector<float> a(n * n), b(n * n), reference(n * n), c(n * n);
    for (std::size_t i = 0; i < n * n; ++i) a[i] = float(i * 7 % 13) - 6.0f, b[i] = float(i * 5 % 11) - 5.0f;
    blas::gemm(blas::Op::None, blas::Op::None, n, n, n, 1.0f, a.data(), b.data(), 0.0f, reference.data());
    while (!stop) {
      blas::gemm(blas::Op::None, blas::Op::None, n, n, n, 1.0f, a.data(), b.data(), 0.0f, c.data());
      ++calls;
      if (std::memcmp(c.data(), reference.data(), n * n * sizeof(float)) != 0) ++wrong;
    }
  };
  std::vector<std::thread> threads;
  for (const std::size_t n : {384, 256, 200}) threads.emplace_back(multiply, n);
  long forks = 0;
  bool children_ok = true;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    const pid_t child = fork();
    if (child == 0) _exit(0);
    int status = 0;
    children_ok = children_ok && child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
                  WEXITSTATUS(status) == 0;
    ++forks;
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  CHECK(children_ok);
  CHECK(forks > 0 && calls > 0);
  CHECK(wrong == 0);
  // BLAS still works on this thread after the forks, at the count set.
  const std::vector<float> a = random_values(64 * 64, 107, -1.0f, 1.0f);
  std::vector<float> c(64 * 64, 1.0f);
  blas::gemm(blas::Op::None, blas::Op::Transpose, 64, 64, 64, 1.0f, a.data(), a.data(), 0.0f, c.data());
  CHECK(c[0] > 0.0f && blas::threads() == 4);
  blas::set_threads(before);
}
