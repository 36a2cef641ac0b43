#include "decode_pass.hpp"

#include <algorithm>

#include "mirror.hpp"

namespace indee {

DecodePass::DecodePass(const std::vector<Layer>& layers, std::size_t m)
    : layers_(layers), m_(m), residue_(m), layer_residue_(m) {
  std::size_t widest_in = 0, widest_code = 0;
  for (const Layer& layer : layers) {
    u_.emplace_back(m * layer.mirrored_size());
    out_.emplace_back(m * layer.input_size());
    widest_in = std::max(widest_in, layer.input_size());
    widest_code = std::max(widest_code, layer.code_size());
  }
  grad_out_.resize(m * std::max(widest_in, widest_code));
  grad_u_.resize(m * 2 * widest_in);
}

void DecodePass::forward(const float* h, bool with_residue) {
  std::fill(residue_.begin(), residue_.end(), 0.0);
  const float* code = h;
  for (std::size_t l = layers_.size(); l-- > 0;) {
    layers_[l].decode(code, m_, u_[l].data(), out_[l].data(), with_residue ? layer_residue_.data() : nullptr);
    if (with_residue)
      for (std::size_t r = 0; r < m_; ++r) residue_[r] += layer_residue_[r];
    code = out_[l].data();
  }
}

void DecodePass::backward(const float* x, std::size_t input_size, double* loss, float* dh) {
  const std::size_t joint = layers_.front().input_size();
  const float* reconstruction = bottom();
  for (std::size_t r = 0; r < m_; ++r) {
    const float* row = reconstruction + r * joint;
    const float* target = x + r * input_size;
    float* g = grad_out_.data() + r * joint;
    for (std::size_t i = 0; i < input_size; ++i) g[i] = 2.0f * (row[i] - target[i]);
    std::fill(g + input_size, g + joint, 0.0f);
    if (loss == nullptr) continue;
    double squared_error = 0.0;
    for (std::size_t i = 0; i < input_size; ++i) squared_error += 0.25 * double(g[i]) * g[i];
    loss[r] = squared_error + residue_[r];
  }
  if (dh == nullptr) return;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    inverse_mirror_backward(u_[l].data(), grad_out_.data(), m_ * layer.input_size(), grad_u_.data());
    float* target = l + 1 == layers_.size() ? dh : grad_out_.data();
    layer.decode_backward(grad_u_.data(), m_, target);
  }
}

}  // namespace indee
