// Benchmark helper: times raw OpenBLAS products of given shapes, so that the Node benchmark
// (scripts/bench/) can set each operation of the library beside "the BLAS limit", the time its
// dominant products alone take through the same library, in the same process.
//
//   timeBlas(products, repeats) -> { seconds: Float64Array(repeats), flops, products: [...] }
//     products: [{ op: 'gemm', m, n, k, transA?, transB?, beta? }   c (m x n) = op(a) op(b) + beta c
//                { op: 'symm', m, n, beta? }                        c (m x n) = s (m x m, lower) b + beta c
//                { op: 'syrk', n, k, beta? }                        lower of s (n x n) = aᵀ a + beta s, a k x n
//                { op: 'syr', n }                                   lower of s (n x n) += x xᵀ
//                { op: 'gemv', m, n, trans?, beta? }]               y = op(a) x + beta y, a m x n
//     One warm-up pass over the list, then `repeats` timed passes (std::chrono::steady_clock around
//     each call). seconds[r] is pass r's total; products[i] = { op, flops, seconds } with seconds
//     the mean per call. Row-major, single precision, operands filled with values in [-1, 1).
//   blasInfo() -> { config, threads, corename }: what OpenBLAS reports about itself.
//
// Arguments are checked like the rest of the binding (TypeError / RangeError with a `code`).
#pragma once

#include <napi.h>

namespace indee::binding {

void register_blas_timing(Napi::Env env, Napi::Object exports);

}  // namespace indee::binding
