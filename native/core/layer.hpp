// One layer of the stack (ALGORITHM.md, "Layer"): input size n, code size k, mirrored size 2n.
// Tied weights W (2n x k), bias b, its statistics (B, C, N) and the Adam state of W.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "adam.hpp"
#include "objective.hpp"
#include "statistics.hpp"

namespace indee {

// How Layer::learn fits W to the statistics (ALGORITHM.md, "Learn"). The order is the binding's
// ('adam', 'subspace', 'eig').
enum class Solver {
  Adam,      // `steps` Adam steps on f(W), as the original
  Subspace,  // `steps` orthogonal iterations W ← orth(C W), Rayleigh–Ritz, aligned onto the old W
  Eig,       // the top-k eigenvectors of C, aligned onto the old W (one solve, whatever steps > 0)
};

struct CollectOptions {
  StatisticsMode mode = StatisticsMode::MovingAverage;
  float alpha = 0.01f;
  BatchSemantics semantics = BatchSemantics::Sequential;
};

// Everything a layer has learned, as checkpoints store it. A layer restored from the state of
// another continues exactly (bit for bit) as that layer would have.
struct LayerState {
  std::vector<float> W;       // 2n x k
  std::vector<float> b;       // 2n
  std::vector<float> B;       // 2n
  std::vector<float> C;       // 2n x 2n, both triangles (symmetric; only the lower one is read back)
  double N = 0.0;
  double decay_since_flush = 1.0;  // see Statistics: when the next denormal flush falls due
  std::vector<float> adam_m, adam_v;  // 2n x k
  std::uint64_t adam_t = 0;
};

class Layer {
 public:
  // W is drawn uniformly from [-init_scale, init_scale) by `seed_state` (see Stack for the seeding).
  // Every array lives in `backend`'s memory; the pointers the methods take and give are of it.
  Layer(Backend& backend, std::size_t input, std::size_t code, std::uint64_t seed_state, float init_scale);

  std::size_t input_size() const { return n_; }
  std::size_t code_size() const { return k_; }
  std::size_t mirrored_size() const { return 2 * n_; }
  Backend& backend() const { return *backend_; }

  // h = (mirror(v) - b) W for m rows v (m x n) into h (m x k). `z` is a workspace (resized to m x 2n).
  void encode(const float* v, std::size_t m, DeviceArray<float>& z, float* h) const;

  // u = h Wᵀ + b (m x 2n, kept for the backward pass), then the inverse mirroring of u into
  // out (m x n); residue[r] accumulates row r's residue unless residue is null.
  void decode(const float* h, std::size_t m, float* u, float* out, double* residue) const;

  // dL/dh (m x k) from dL/du (m x 2n): du W.
  void decode_backward(const float* du, std::size_t m, float* dh) const;

  // Collects m rows v (m x n) into the statistics, sets b ← B and writes the codes the rows pass
  // up, h_j = z_j W (with W as it is now), into h (m x k).
  void collect(const float* v, std::size_t m, const CollectOptions& options, float* h);

  // Fits W to the trace objective of C with `solver` (see Solver; `steps` > 0 Adam steps or
  // subspace iterations, or one eigen-solve). Returns, for Adam, f at the weights the last step
  // started from (as the original reported it); for the other solvers, and whenever steps == 0,
  // f at the resulting W.
  double learn(std::size_t steps, const AdamHyper& hyper, Solver solver);

  // Replaces the statistics with ones derived elsewhere (statistical replay, replay.hpp): B and C
  // (dim x dim, lower triangle read), N = count; then b ← B, as after a collect.
  void replace_statistics(const std::vector<float>& mean, const std::vector<float>& moment, double count);

  // Keeps a copy of what learning changes (W and its Adam state, and with `statistics` also b and
  // the statistics, which a replaying stack re-derives), and puts it back, so that a failed learn
  // of the stack can be undone. The copy's memory is kept between calls.
  void keep_learned_weights(bool statistics);
  void restore_learned_weights();
  // True when W holds only finite values.
  bool weights_finite() const;

  // f(W) at the current W and, unless null, its gradient (2n x k, backend memory).
  double objective(float* gradient) const;

  // The coordinates i with C_ii > 0, ascending (see objective.hpp).
  std::vector<std::size_t> active_coordinates() const;

  LayerState state() const;
  // Replaces the learned state. Throws Error(OutOfRange) naming the first field of the wrong size
  // or with a value no layer can hold (NaN, Inf, negative v or N, decay outside (0, 1]), leaving
  // the layer untouched.
  void restore(LayerState state);

  // Copies on the host.
  std::vector<float> weights() const { return W_.download(); }
  std::vector<float> bias() const { return b_.download(); }
  const Statistics& statistics() const { return stats_; }

 private:
  struct Moment;
  Moment moment() const;
  void solve(Solver solver, std::size_t steps, const Moment& m);

  Backend* backend_;
  std::size_t n_, k_;
  DeviceArray<float> W_;  // 2n x k
  DeviceArray<float> b_;  // 2n
  Statistics stats_;
  DeviceArray<float> adam_m_, adam_v_;
  std::uint64_t adam_t_ = 0;
  // Workspaces kept between calls (workspace.hpp): a long run does not allocate and free buffers of
  // C's or a batch's size over and over. objective() is const but reuses them: a model's calls are
  // serialised, never concurrent.
  mutable TraceObjective objective_;
  DeviceArray<float> gradient_;                 // 2n x k
  mutable DeviceArray<float> block_;            // C's active block (see moment())
  mutable DeviceArray<std::uint32_t> active_;   // its coordinates
  mutable DeviceArray<float> diagonal_;         // C's diagonal
  DeviceArray<float> batch_z_, batch_scratch_;  // collect: m x 2n each (see release_if_large)
  // keep_learned_weights' copy.
  DeviceArray<float> kept_W_, kept_m_, kept_v_, kept_b_, kept_B_, kept_C_;
  std::uint64_t kept_t_ = 0;
  double kept_N_ = 0.0;
  bool kept_statistics_ = false;
};

}  // namespace indee
