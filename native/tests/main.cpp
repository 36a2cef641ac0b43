#include <exception>

#include "harness.hpp"

namespace indee::testing {

std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

static int failures = 0;

void fail(const char* file, int line, const std::string& what) {
  ++failures;
  std::cerr << "  FAILED " << file << ":" << line << ": " << what << "\n";
}

}  // namespace indee::testing

int main() {
  using namespace indee::testing;
  int failed_cases = 0;
  for (const Case& c : registry()) {
    const int before = failures;
    try {
      c.body();
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("unexpected exception: ") + e.what());
    }
    const bool ok = failures == before;
    failed_cases += ok ? 0 : 1;
    std::cout << (ok ? "ok   " : "FAIL ") << c.name << "\n";
  }
  std::cout << registry().size() - failed_cases << "/" << registry().size() << " passed\n";
  return failed_cases == 0 ? 0 : 1;
}
