#include "decode_pass.hpp"

#include <algorithm>

namespace indee {

DecodePass::DecodePass(const std::vector<Layer>& layers, std::size_t m)
    : layers_(layers), backend_(layers.front().backend()), m_(m), residue_(backend_, m), grad_out_(backend_),
      grad_u_(backend_) {
  std::size_t widest_in = 0, widest_code = 0;
  for (const Layer& layer : layers) {
    u_.emplace_back(backend_, m * layer.mirrored_size());
    out_.emplace_back(backend_, m * layer.input_size());
    widest_in = std::max(widest_in, layer.input_size());
    widest_code = std::max(widest_code, layer.code_size());
  }
  grad_out_.resize(m * std::max(widest_in, widest_code));
  grad_u_.resize(m * 2 * widest_in);
}

void DecodePass::forward(const float* h, bool with_residue) {
  residue_.zero();
  const float* code = h;
  for (std::size_t l = layers_.size(); l-- > 0;) {
    layers_[l].decode(code, m_, u_[l].data(), out_[l].data(), with_residue ? residue_.data() : nullptr);
    code = out_[l].data();
  }
}

void DecodePass::backward(const float* x, std::size_t input_size, double* loss, float* dh) {
  const std::size_t joint = layers_.front().input_size();
  backend_.completion_gradient(m_, input_size, joint, bottom(), x, residue_.data(), grad_out_.data(), loss);
  if (dh == nullptr) return;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    backend_.inverse_mirror_backward(m_ * layer.input_size(), u_[l].data(), grad_out_.data(), grad_u_.data());
    float* target = l + 1 == layers_.size() ? dh : grad_out_.data();
    layer.decode_backward(grad_u_.data(), m_, target);
  }
}

}  // namespace indee
