// The top-down decode of a stack, kept for its backward pass: the machinery of label completion
// (ALGORITHM.md, "Infer"). Buffers are sized once for m rows and reused across steps.
#pragma once

#include <cstddef>
#include <vector>

#include "layer.hpp"

namespace indee {

class DecodePass {
 public:
  // Buffers for m rows in the layers' backend memory; every pointer below is of that memory.
  DecodePass(const std::vector<Layer>& layers, std::size_t m);

  // Decodes the top codes h (m x top code size) through every layer; afterwards bottom() is the
  // joint reconstruction [x̂, ŷ] (m x joint size) and, when `with_residue`, residue() the stack's
  // residue per row (m doubles).
  void forward(const float* h, bool with_residue = true);
  const float* bottom() const { return out_.front().data(); }
  const double* residue() const { return residue_.data(); }

  // After forward(): loss[r] = ‖x_r - x̂_r‖² + residue_r over the first `input_size` joint
  // coordinates (the label part is free) unless loss is null (then forward may skip the residue),
  // and its gradient dL/dh (m x top code size) into dh unless dh is null.
  void backward(const float* x, std::size_t input_size, double* loss, float* dh);

 private:
  const std::vector<Layer>& layers_;
  Backend& backend_;
  std::size_t m_;
  std::vector<DeviceArray<float>> u_;    // per layer: h Wᵀ + b (m x 2n)
  std::vector<DeviceArray<float>> out_;  // per layer: the inverse mirroring of u (m x n)
  DeviceArray<double> residue_;
  DeviceArray<float> grad_out_, grad_u_;  // sized for the widest layer
};

}  // namespace indee
