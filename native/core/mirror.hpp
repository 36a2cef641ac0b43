// Mirroring ReLU and its inverse (ALGORITHM.md, "Mirroring ReLU" and "Decode"). Pairs are
// interleaved: element i of a row of width n maps to positions 2i and 2i+1 of the mirrored row,
// so a batch of rows can be processed as one flat array.
#pragma once

#include <cstddef>

namespace indee {

// e[2i] = max(v[i], 0), e[2i+1] = max(-v[i], 0) for the `count` values of v.
void mirror(const float* v, std::size_t count, float* e);

// For `rows` rows of n pairs (p, q) = (u[2i], u[2i+1]):
//   p > q:  out[i] = p,  residue += q²
//   else:   out[i] = -q, residue += p²
// residue[r] accumulates the sum over row r (a stack's residue is the sum over its layers), unless
// residue is null (the descent of infer needs only the gradient until its last step).
void inverse_mirror(const float* u, std::size_t rows, std::size_t n, float* out, double* residue);

// Gradient of (L(out) + residue) with respect to u, given g = dL/dout, for the same pairs:
//   p > q:  dp = g[i],  dq = 2q
//   else:   dp = 2p,    dq = -g[i]
void inverse_mirror_backward(const float* u, const float* g, std::size_t count, float* du);

}  // namespace indee
