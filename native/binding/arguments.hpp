// Reading JS arguments into core types. The TypeScript layer validates first with friendlier
// messages; these checks are the backstop that keeps direct callers of the addon from reaching
// the core with anything malformed. Failures throw indee::Error (InvalidArgument / OutOfRange).
#pragma once

#include <napi.h>

#include <cstddef>
#include <string>
#include <vector>

#include "core/stack.hpp"
#include "page_buffer.hpp"

namespace indee::binding {

// Sizes beyond this are refused before any allocation.
inline constexpr std::size_t kMaxSize = std::size_t(1) << 20;
// 2⁵³ - 1: every count a JS number holds exactly.
inline constexpr std::size_t kMaxSafeInteger = 9007199254740991;

// A row-major batch copied out of a Float32Array whose length is rows x width, rows >= 1, with
// every value finite, into pages of its own when it is large (page_buffer.hpp).
struct Batch {
  PageVector<float> values;
  std::size_t rows = 0;
};
Batch read_batch(const Napi::Value& value, const std::string& name, std::size_t width);

// Like read_batch, but the rows must number `rows` exactly. Into a std::vector for values that
// become part of the model's state, into a PageVector for a call's batch.
std::vector<float> read_rows(const Napi::Value& value, const std::string& name, std::size_t width,
                             std::size_t rows);
PageVector<float> read_batch_rows(const Napi::Value& value, const std::string& name, std::size_t width,
                                  std::size_t rows);

// A Float64Array of exactly `length` finite values.
std::vector<double> read_f64_array(const Napi::Value& value, const std::string& name, std::size_t length);

// An integer in [min, max].
std::size_t read_count(const Napi::Value& value, const std::string& name, std::size_t min, std::size_t max);

double read_number(const Napi::Value& value, const std::string& name);

// One of the `choices`; returns its index.
std::size_t read_choice(const Napi::Value& value, const std::string& name, const std::vector<std::string>& choices);

// {inputSize, labelSize, layers, rate, statistics: 'ema' | 'cumulative', solver: 'adam' | 'subspace' | 'eig', seed, initScale}
StackConfig read_config(const Napi::Value& value);

}  // namespace indee::binding
