#include "kernel/tests/test_runner.h"

#include "kernel/fs/vfs.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/tests/ktest.h"

extern "C" const akuma::ktest::TestCase __ktests_start[], __ktests_end[];

namespace akuma::ktest {

const char* TestContext::short_file(const char* path) {
    // Report paths from the repository root ("kernel/..."), not the build host's.
    std::string_view view(path);
    auto position = view.rfind("kernel/");
    return position == std::string_view::npos ? path : path + position;
}

namespace {

struct MemorySnapshot {
    int64_t free_pages;
    int64_t heap_bytes;
    int64_t heap_objects;
};

MemorySnapshot take_snapshot() {
    fs::drop_lookup_cache();           // nor are cached names
    mm::heap_release_cached_memory();  // cached empty slabs are not leaks
    auto heap = mm::heap_stats();
    return { static_cast<int64_t>(mm::pmm_stats().free_pages), static_cast<int64_t>(heap.bytes_in_use),
             static_cast<int64_t>(heap.allocations) };
}

MemorySnapshot difference(const MemorySnapshot& after, const MemorySnapshot& before) {
    return { after.free_pages - before.free_pages, after.heap_bytes - before.heap_bytes,
             after.heap_objects - before.heap_objects };
}

bool is_zero(const MemorySnapshot& delta) {
    return delta.free_pages == 0 && delta.heap_bytes == 0 && delta.heap_objects == 0;
}

}  // namespace

RunSummary run_tests(std::string_view filter) {
    RunSummary summary { 0, 0 };
    auto suite_start = take_snapshot();
    MemorySnapshot exempt { 0, 0, 0 };  // changes made by opted-out tests
    kprintln("[TEST] running {} registered tests{}{}", static_cast<size_t>(__ktests_end - __ktests_start),
             filter.empty() ? "" : " matching ", filter);
    for (auto* test = __ktests_start; test != __ktests_end; ++test) {
        std::string_view name(test->name);
        if (!filter.empty() && name.find(filter) == std::string_view::npos)
            continue;
        TestContext context;
        auto before = take_snapshot();
        test->function(context);
        auto delta = difference(take_snapshot(), before);
        if (!test->check_leaks) {
            exempt = { exempt.free_pages + delta.free_pages, exempt.heap_bytes + delta.heap_bytes,
                       exempt.heap_objects + delta.heap_objects };
        } else if (!is_zero(delta)) {
            context.fail(__FILE__, __LINE__, "leak: free pages {}, heap bytes {}, heap objects {}",
                         delta.free_pages, delta.heap_bytes, delta.heap_objects);
        }
        ++summary.run;
        if (context.failed()) {
            ++summary.failed;
            kprintln("[TEST] {} - FAIL: {}", name, context.message());
        } else {
            kprintln("[TEST] {} - PASS", name);
        }
    }
    if (summary.run > 0) {
        // The whole suite, net of deliberate releases, must leave memory as it found it.
        auto delta = difference(difference(take_snapshot(), suite_start), exempt);
        if (is_zero(delta)) {
            kprintln("[TEST] Leak check: PMM free pages and heap bytes in use restored after the suite - PASS");
        } else {
            ++summary.failed;
            kprintln("[TEST] Leak check: PMM free pages and heap bytes in use restored after the suite - FAIL: "
                     "free pages {}, heap bytes {}, heap objects {}",
                     delta.free_pages, delta.heap_bytes, delta.heap_objects);
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
