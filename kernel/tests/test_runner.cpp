#include "kernel/tests/test_runner.h"

#include "kernel/lib/kprint.h"
#include "kernel/tests/ktest.h"

extern "C" const akuma::ktest::TestCase __ktests_start[], __ktests_end[];

namespace akuma::ktest {

const char* TestContext::short_file(const char* path) {
    // Report paths from the repository root ("kernel/..."), not the build host's.
    std::string_view view(path);
    auto position = view.rfind("kernel/");
    return position == std::string_view::npos ? path : path + position;
}

RunSummary run_tests(std::string_view filter) {
    RunSummary summary { 0, 0 };
    kprintln("[TEST] running {} registered tests{}{}", static_cast<size_t>(__ktests_end - __ktests_start),
             filter.empty() ? "" : " matching ", filter);
    for (auto* test = __ktests_start; test != __ktests_end; ++test) {
        std::string_view name(test->name);
        if (!filter.empty() && name.find(filter) == std::string_view::npos)
            continue;
        TestContext context;
        test->function(context);
        ++summary.run;
        if (context.failed()) {
            ++summary.failed;
            kprintln("[TEST] {} - FAIL: {}", name, context.message());
        } else {
            kprintln("[TEST] {} - PASS", name);
        }
    }
    if (summary.run == 0) {
        // A filter that selects nothing is a mistake, not a pass.
        kprintln("[TEST] no test matches '{}'", filter);
        summary.failed = 1;
    }
    if (summary.failed == 0)
        kprintln("Overall: ALL TESTS PASSED");
    else
        kprintln("Overall: {} FAILED", summary.failed);
    return summary;
}

}  // namespace akuma::ktest
