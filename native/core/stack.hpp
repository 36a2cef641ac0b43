// The stacked autoencoder (ALGORITHM.md): a joint input [x, y] (x: inputSize values, y:
// labelSize values, zeros when unknown) encoded bottom-up through the layers and decoded top-down.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <memory>

#include "adam.hpp"
#include "class_moments.hpp"
#include "layer.hpp"
#include "../backend/registry.hpp"

namespace indee {

// Where the statistics of the layers above the first come from.
enum class UpperStatistics {
  // Each layer collects the codes the layer below passes up, through its weights of the time (the
  // original).
  Collected,
  // Re-derived at every learn from per-class moments of the first layer's input, through the lower
  // layers as they are then (replay.hpp); upper layers collect nothing. Replay samples the first
  // code's Gaussians and moves the samples up; Moments propagates the Gaussians in closed form.
  Replay,
  Moments,
};

struct StackConfig {
  std::size_t input_size = 0;
  std::size_t label_size = 0;
  std::vector<std::size_t> layers;  // code sizes, bottom to top
  float rate = 0.01f;               // Adam learning rate of learn and infer
  StatisticsMode statistics = StatisticsMode::MovingAverage;
  Solver solver = Solver::Adam;
  std::uint64_t seed = 1;
  float init_scale = 0.0005f;  // W starts uniform in [-init_scale, init_scale)
  UpperStatistics upper_statistics = UpperStatistics::Collected;
  std::size_t replay_samples = 1000;  // per class, with UpperStatistics::Replay
  Device device = Device::Cpu;        // where the model's state lives and its math runs (registry.hpp)
};

// Throws Error(OutOfRange) naming the first field outside what the model accepts.
void validate_config(const StackConfig& config);

struct Decoded {
  std::vector<float> x;        // m x input_size
  std::vector<float> y;        // m x label_size
  std::vector<double> residue;  // m: the stack's residue per row (sum over layers)
};

struct Inference {
  std::vector<float> scores;          // m x label_size: the completed label ŷ
  std::vector<std::int32_t> labels;   // m: argmax of ŷ
  std::vector<float> reconstruction;  // m x input_size: x̂
  std::vector<float> codes;           // m x top code size, after the last update
  std::vector<double> loss;           // m: ‖x - x̂‖² + residue of the decode ŷ was read from
};

struct LayerObjective {
  double value = 0.0;
  std::vector<float> gradient;  // 2n x k
};

struct CompletionGradient {
  std::vector<double> loss;     // m
  std::vector<float> gradient;  // m x top code size: dL/dh
};

class Stack {
 public:
  // Layer l's W (row-major) is drawn element by element as init_scale·(2u - 1), u = uniform() of a
  // SplitMix64 whose state starts at seed + (l + 1)·0xD1B54A32D192ED03 (mod 2⁶⁴). The state lives on
  // config.device (Error(Unavailable) when that cannot be served); every method takes and returns
  // host memory.
  explicit Stack(const StackConfig& config);

  const StackConfig& config() const { return config_; }
  std::size_t joint_size() const { return config_.input_size + config_.label_size; }
  std::size_t code_size() const { return config_.layers.back(); }
  std::size_t depth() const { return layers_.size(); }
  const Layer& layer(std::size_t i) const { return layers_.at(i); }
  // The backend's name ("cpu", "cuda (<GPU>)").
  const char* device_name() const { return backend_->name(); }
  // Bytes of the state every layer holds from construction (C, W and its Adam moments, b and B);
  // class moments and learning's workspace come on top as they are used.
  std::size_t state_bytes() const;
  // Layer::restore on layer i; errors name the layer.
  void restore_layer(std::size_t i, LayerState state);
  // The per-class moments of a replaying stack (null otherwise), and their restore.
  const ClassMoments* class_moments() const { return class_moments_.get(); }
  void restore_class_moments(ClassMomentsState state);

  // x: m x input_size; y: m x label_size, or null for zeros (unknown labels). A replaying stack
  // collects into the first layer and the class moments only.
  void collect(const float* x, const float* y, std::size_t m, float alpha, BatchSemantics semantics);
  std::vector<double> learn(std::size_t steps);     // objective per layer, see Layer::learn
  std::vector<double> objectives() const;           // f(W) per layer at the current weights
  LayerObjective objective_gradient(std::size_t layer) const;  // f(W) and ∇f of one layer
  std::vector<float> encode(const float* x, const float* y, std::size_t m) const;  // m x code_size
  Decoded decode(const float* h, std::size_t m) const;

  // Label completion (ALGORITHM.md, "Infer"): `steps` Adam steps per row on the top code,
  // starting from encode([x, 0]) with a fresh Adam state, minimising ‖x - x̂(h)‖² + residue(h).
  // ŷ is read from the decode of the code before the last update.
  Inference infer(const float* x, std::size_t m, std::size_t steps) const;

  // The completion loss of codes h (m x code_size) against images x, and its gradient.
  CompletionGradient completion_gradient(const float* x, const float* h, std::size_t m) const;

 private:
  void fill_joint(const float* x, const float* y, std::size_t m, std::vector<float>& v) const;
  // The top codes of m joint rows (host memory), in backend memory.
  DeviceArray<float> encode_joint(const std::vector<float>& joint, std::size_t m) const;
  AdamHyper adam_hyper() const;
  bool replays() const { return class_moments_ != nullptr; }
  void learn_layers(std::size_t steps, std::vector<double>& values);

  StackConfig config_;
  std::shared_ptr<Backend> backend_;  // declared before the layers, which use it until destroyed
  std::vector<Layer> layers_;
  std::unique_ptr<ClassMoments> class_moments_;
  // collect's batch workspaces, kept between calls (workspace.hpp): the joint rows on the host
  // (checked there), in backend memory, and the codes passed up.
  std::vector<float> batch_joint_, batch_mirrored_;
  DeviceArray<float> batch_input_, batch_codes_;
};

}  // namespace indee
