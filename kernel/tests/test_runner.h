// Runs the registered in-kernel tests and prints the seed-compatible lines:
// "[TEST] <name> - PASS" / "[TEST] <name> - FAIL: <why>", then
// "Overall: ALL TESTS PASSED" or "Overall: <n> FAILED".
#pragma once

#include <string_view>

namespace akuma::ktest {

struct RunSummary {
    unsigned run;
    unsigned failed;
};

// Runs every test whose name contains `filter` (all when empty).
RunSummary run_tests(std::string_view filter);

}  // namespace akuma::ktest
