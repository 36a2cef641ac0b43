// A minimal test harness: TEST(name) registers a case, CHECK/CHECK_NEAR record failures with
// their location, and main() runs every case, catching exceptions, and exits non-zero on failure.
#pragma once

#include <cmath>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace indee::testing {

struct Case {
  const char* name;
  std::function<void()> body;
};
std::vector<Case>& registry();
void fail(const char* file, int line, const std::string& what);

struct Registrar {
  Registrar(const char* name, std::function<void()> body) { registry().push_back({name, std::move(body)}); }
};

}  // namespace indee::testing

#define INDEE_CONCAT2(a, b) a##b
#define INDEE_CONCAT(a, b) INDEE_CONCAT2(a, b)
#define TEST(name)                                                                             \
  static void INDEE_CONCAT(test_, name)();                                                     \
  static indee::testing::Registrar INDEE_CONCAT(registrar_, name)(#name, INDEE_CONCAT(test_, name)); \
  static void INDEE_CONCAT(test_, name)()

#define CHECK(condition)                                                          \
  do {                                                                            \
    if (!(condition)) indee::testing::fail(__FILE__, __LINE__, "CHECK(" #condition ")"); \
  } while (0)

#define CHECK_NEAR(actual, expected, tolerance)                                                        \
  do {                                                                                                 \
    const double a_ = (actual), e_ = (expected), t_ = (tolerance);                                     \
    if (!(std::fabs(a_ - e_) <= t_))                                                                   \
      indee::testing::fail(__FILE__, __LINE__,                                                         \
                           std::string(#actual " = ") + std::to_string(a_) + ", expected " +          \
                               std::to_string(e_) + " ± " + std::to_string(t_));                      \
  } while (0)
