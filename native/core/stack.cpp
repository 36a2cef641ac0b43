#include "stack.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>

#include "decode_pass.hpp"
#include "error.hpp"
#include "mirror.hpp"
#include "replay.hpp"
#include "workspace.hpp"

namespace indee {
namespace {

// (2n)² and 2n·k elements must index a BLAS int.
constexpr std::size_t kMaxMirrored = 46340;
constexpr std::size_t kMaxElements = 2147483647;
constexpr std::uint64_t kLayerSeedStride = 0xD1B54A32D192ED03ULL;
constexpr std::size_t kMaxReplaySamples = 1000000;
// The largest |value| collect takes: products of centred values, |z| ≤ 2·1e18, stay below float32's
// 3.4e38, so the statistics stay finite (and a checkpoint of them loadable).
constexpr float kMaxCollected = 1e18f;

// The class of each row for the class moments: the argmax of its label, or `labels` (the class of
// unlabelled rows) when y is null or the row's label is all zeros.
std::vector<std::uint32_t> classes_of(const float* y, std::size_t m, std::size_t labels) {
  std::vector<std::uint32_t> classes(m, std::uint32_t(labels));
  if (y == nullptr) return classes;
  for (std::size_t r = 0; r < m; ++r) {
    const float* row = y + r * labels;
    float best = 0.0f;
    for (std::size_t c = 0; c < labels; ++c)
      if (row[c] > best) best = row[c], classes[r] = std::uint32_t(c);
  }
  return classes;
}

// A number as a person writes it (1e+06, nan), for messages.
std::string show(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

}  // namespace

void validate_config(const StackConfig& c) {
  auto range = [](bool ok, const std::string& what) { require(ok, ErrorCode::OutOfRange, what); };
  range(c.input_size >= 1, "inputSize must be at least 1, got 0");
  range(c.input_size <= kMaxMirrored && c.label_size <= kMaxMirrored,
        "inputSize and labelSize must each be at most " + std::to_string(kMaxMirrored));
  range(!c.layers.empty(), "layers must name at least one code size");
  std::size_t n = c.input_size + c.label_size;
  for (std::size_t l = 0; l < c.layers.size(); ++l) {
    const std::size_t k = c.layers[l];
    const std::string name = "layers[" + std::to_string(l) + "]";
    range(k >= 1, name + " must be at least 1, got " + std::to_string(k));
    range(2 * n <= kMaxMirrored, "layer " + std::to_string(l) + " has input size " + std::to_string(n) +
                                     "; the mirrored size 2n must be at most " + std::to_string(kMaxMirrored));
    range(k <= kMaxElements && 2 * n * k <= kMaxElements, name + " = " + std::to_string(k) + " makes W too large (2n·k > 2³¹-1)");
    n = k;
  }
  range(std::isfinite(c.rate) && c.rate > 0.0f, "rate must be a positive finite number, got " + std::to_string(c.rate));
  range(std::isfinite(c.init_scale) && c.init_scale >= 0.0f,
        "initScale must be a finite number >= 0, got " + std::to_string(c.init_scale));
  range(c.replay_samples >= 1 && c.replay_samples <= kMaxReplaySamples,
        "replaySamples must be in [1, " + std::to_string(kMaxReplaySamples) + "], got " + std::to_string(c.replay_samples));
}

Stack::Stack(const StackConfig& config)
    : config_((validate_config(config), config)),
      backend_(make_backend(config.device)),
      batch_input_(*backend_),
      batch_codes_(*backend_) {
  std::size_t n = joint_size();
  layers_.reserve(config_.layers.size());
  for (std::size_t l = 0; l < config_.layers.size(); ++l) {
    const std::uint64_t seed_state = config_.seed + (l + 1) * kLayerSeedStride;
    layers_.emplace_back(*backend_, n, config_.layers[l], seed_state, config_.init_scale);
    n = config_.layers[l];
  }
  if (config_.upper_statistics != UpperStatistics::Collected)
    class_moments_ = std::make_unique<ClassMoments>(2 * joint_size(), config_.label_size + 1);
}

std::size_t Stack::state_bytes() const {
  std::size_t floats = 0;
  for (const Layer& layer : layers_) {
    const std::size_t d = layer.mirrored_size(), k = layer.code_size();
    floats += d * d + 3 * d * k + 2 * d;
  }
  return floats * sizeof(float);
}

void Stack::restore_class_moments(ClassMomentsState state) {
  require(replays(), ErrorCode::InvalidArgument, "class moments belong to a stack with replayed upper statistics");
  class_moments_->restore(std::move(state));
}

void Stack::restore_layer(std::size_t i, LayerState state) {
  require(i < layers_.size(), ErrorCode::OutOfRange,
          "layer must be in [0, " + std::to_string(layers_.size() - 1) + "], got " + std::to_string(i));
  try {
    layers_[i].restore(std::move(state));
  } catch (const Error& e) {
    throw Error(e.code(), "layer " + std::to_string(i) + ": " + e.what());
  }
}

AdamHyper Stack::adam_hyper() const {
  AdamHyper hyper;
  hyper.rate = config_.rate;
  return hyper;
}

void Stack::fill_joint(const float* x, const float* y, std::size_t m, std::vector<float>& v) const {
  const std::size_t nx = config_.input_size, ny = config_.label_size, n = joint_size();
  v.assign(m * n, 0.0f);
  for (std::size_t r = 0; r < m; ++r) {
    std::copy(x + r * nx, x + (r + 1) * nx, v.begin() + r * n);
    if (y != nullptr) std::copy(y + r * ny, y + (r + 1) * ny, v.begin() + r * n + nx);
  }
}

DeviceArray<float> Stack::encode_joint(const std::vector<float>& joint, std::size_t m) const {
  DeviceArray<float> input(*backend_, joint), codes(*backend_), z(*backend_);
  for (const Layer& layer : layers_) {
    codes.resize(m * layer.code_size());
    layer.encode(input.data(), m, z, codes.data());
    std::swap(input, codes);
  }
  return input;
}

void Stack::collect(const float* x, const float* y, std::size_t m, float alpha, BatchSemantics semantics) {
  require(std::isfinite(alpha) && alpha >= 0.0f && alpha <= 1.0f, ErrorCode::OutOfRange,
          "alpha must be in [0, 1], got " + std::to_string(alpha));
  const CollectOptions options{config_.statistics, alpha, semantics};
  std::vector<float>& joint = batch_joint_;
  fill_joint(x, y, m, joint);
  // The message is built for the value that fails only: built for every value (as require's
  // argument), it cost two allocations and an ostringstream per value, 1.6 million per 1,000-row
  // batch of 794 values, most of a collect's time (451 -> 84 ms per batch) and of the soak's
  // allocator churn.
  for (std::size_t i = 0; i < joint.size(); ++i)
    if (!(std::fabs(joint[i]) <= kMaxCollected))
      throw Error(ErrorCode::OutOfRange, "collected values must be at most 1e18 in magnitude (their products must fit float32), got " +
                                             show(joint[i]) + " in row " + std::to_string(i / joint_size()));
  if (replays()) {  // the class moments are kept on the host
    std::vector<float>& mirrored = batch_mirrored_;
    mirrored.resize(m * 2 * joint_size());
    mirror(joint.data(), joint.size(), mirrored.data());
    class_moments_->collect(mirrored.data(), classes_of(y, m, config_.label_size).data(), m, config_.statistics, alpha);
    release_if_large(mirrored);
  }
  DeviceArray<float>& input = batch_input_;
  DeviceArray<float>& codes = batch_codes_;
  input.upload(joint);
  for (Layer& layer : layers_) {
    codes.resize(m * layer.code_size());
    layer.collect(input.data(), m, options, codes.data());
    if (replays()) break;
    std::swap(input, codes);
  }
  release_if_large(batch_joint_);
  release_if_large(batch_input_);
  release_if_large(batch_codes_);
}

// All layers learn or none does: a learn that fails or diverges (an objective or weights no longer
// finite, e.g. from a rate far too large) puts every layer's weights and Adam state back as they
// were before the call, so the model stays usable.
std::vector<double> Stack::learn(std::size_t steps) {
  for (std::size_t l = 0; l < layers_.size(); ++l) layers_[l].keep_learned_weights(replays() && l > 0);
  std::vector<double> values;
  try {
    learn_layers(steps, values);
  } catch (...) {
    for (Layer& layer : layers_) layer.restore_learned_weights();
    throw;
  }
  return values;
}

// Bottom-up; a replaying stack re-derives each upper layer's statistics just before it learns,
// through the layers below as they have just learned.
void Stack::learn_layers(std::size_t steps, std::vector<double>& values) {
  std::unique_ptr<Replay> replay;
  if (config_.upper_statistics == UpperStatistics::Replay) replay = std::make_unique<SampledReplay>(config_.replay_samples);
  if (config_.upper_statistics == UpperStatistics::Moments) replay = std::make_unique<MomentPropagation>();
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    if (replay && l > 0) replay->derive_statistics(layers_[l], layers_[0].statistics().count());
    const double value = layers_[l].learn(steps, adam_hyper(), config_.solver);
    require(std::isfinite(value) && layers_[l].weights_finite(), ErrorCode::Numerical,
            "learning diverged in layer " + std::to_string(l) + " (objective " + show(value) + ", rate " + show(config_.rate) +
                "): the model is left as it was before this learn; lower the rate or check the data's scale");
    values.push_back(value);
    if (!replay || l + 1 == layers_.size()) continue;
    if (l == 0)
      replay->start(layers_[0], *class_moments_);
    else
      replay->advance(layers_[l]);
  }
}

std::vector<double> Stack::objectives() const {
  std::vector<double> values;
  for (const Layer& layer : layers_) values.push_back(layer.objective(nullptr));
  return values;
}

LayerObjective Stack::objective_gradient(std::size_t l) const {
  const Layer& layer = layers_.at(l);
  DeviceArray<float> gradient(*backend_, layer.mirrored_size() * layer.code_size());
  const double value = layer.objective(gradient.data());
  return {value, gradient.download()};
}

std::vector<float> Stack::encode(const float* x, const float* y, std::size_t m) const {
  std::vector<float> joint;
  fill_joint(x, y, m, joint);
  return encode_joint(joint, m).download();
}

Decoded Stack::decode(const float* h, std::size_t m) const {
  DecodePass pass(layers_, m);
  pass.forward(DeviceArray<float>(*backend_, std::vector<float>(h, h + m * code_size())).data());
  const std::size_t nx = config_.input_size, ny = config_.label_size, n = joint_size();
  std::vector<float> bottom(m * n);
  Decoded out{std::vector<float>(m * nx), std::vector<float>(m * ny), std::vector<double>(m)};
  backend_->download(pass.bottom(), bottom.size() * sizeof(float), bottom.data());
  backend_->download(pass.residue(), m * sizeof(double), out.residue.data());
  for (std::size_t r = 0; r < m; ++r) {
    std::copy(bottom.begin() + r * n, bottom.begin() + r * n + nx, out.x.begin() + r * nx);
    std::copy(bottom.begin() + r * n + nx, bottom.begin() + (r + 1) * n, out.y.begin() + r * ny);
  }
  return out;
}

CompletionGradient Stack::completion_gradient(const float* x, const float* h, std::size_t m) const {
  DecodePass pass(layers_, m);
  const DeviceArray<float> images(*backend_, std::vector<float>(x, x + m * config_.input_size));
  const DeviceArray<float> codes(*backend_, std::vector<float>(h, h + m * code_size()));
  DeviceArray<double> loss(*backend_, m);
  DeviceArray<float> gradient(*backend_, m * code_size());
  pass.forward(codes.data());
  pass.backward(images.data(), config_.input_size, loss.data(), gradient.data());
  return {loss.download(), gradient.download()};
}

Inference Stack::infer(const float* x, std::size_t m, std::size_t steps) const {
  Backend& backend = *backend_;
  const std::size_t k = code_size(), nx = config_.input_size, ny = config_.label_size, n = joint_size();
  std::vector<float> joint;
  fill_joint(x, nullptr, m, joint);
  DeviceArray<float> codes = encode_joint(joint, m);
  const DeviceArray<float> images(backend, std::vector<float>(x, x + m * nx));

  DecodePass pass(layers_, m);
  DeviceArray<float> gradient(backend, m * k), adam_m(backend, m * k), adam_v(backend, m * k);
  DeviceArray<double> loss(backend, m);
  adam_m.zero();
  adam_v.zero();
  const AdamHyper hyper = adam_hyper();
  // Every row starts a fresh Adam state at the same moment, so one shared step count t is exactly
  // the per-row optimiser of the original.
  for (std::size_t t = 1; t <= steps; ++t) {
    const bool last = t == steps;  // the decode ŷ is read from: the only one whose loss is reported
    pass.forward(codes.data(), last);
    pass.backward(images.data(), nx, last ? loss.data() : nullptr, gradient.data());
    backend.adam(adam_step_constants(hyper, t), m * k, gradient.data(), adam_m.data(), adam_v.data(), codes.data());
  }
  if (steps == 0) {
    pass.forward(codes.data());
    pass.backward(images.data(), nx, loss.data(), nullptr);
  }

  Inference result;
  result.loss = loss.download();
  result.codes = codes.download();
  for (std::size_t r = 0; r < m; ++r)  // the message only for a row that fails (see collect)
    if (!std::isfinite(result.loss[r]))
      throw Error(ErrorCode::Numerical, "inference diverged on row " + std::to_string(r) + " (completion loss " + show(result.loss[r]) +
                                            ", rate " + show(config_.rate) + "): lower the rate or the number of steps");
  std::vector<float> bottom(m * n);
  backend.download(pass.bottom(), bottom.size() * sizeof(float), bottom.data());
  result.scores.resize(m * ny);
  result.reconstruction.resize(m * nx);
  result.labels.assign(m, -1);
  for (std::size_t r = 0; r < m; ++r) {
    const float* row = bottom.data() + r * n;
    std::copy(row, row + nx, result.reconstruction.begin() + r * nx);
    std::copy(row + nx, row + n, result.scores.begin() + r * ny);
    for (std::size_t c = 0; c < ny; ++c)
      if (result.labels[r] < 0 || row[nx + c] > row[nx + result.labels[r]]) result.labels[r] = std::int32_t(c);
  }
  return result;
}

}  // namespace indee
