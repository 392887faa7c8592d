#include "kernel/tests/kbench.h"

#include "kernel/lib/kprint.h"

extern "C" const akuma::kbench::Benchmark __kbench_start[], __kbench_end[];

namespace akuma::kbench {

namespace {

uint64_t virtual_nanoseconds() {
    uint64_t ticks, frequency;
    asm volatile("isb\n mrs %0, cntvct_el0\n mrs %1, cntfrq_el0" : "=r"(ticks), "=r"(frequency));
    // ticks * 1e9 / frequency without overflow for any realistic uptime.
    return (ticks / frequency) * 1000000000ull + (ticks % frequency) * 1000000000ull / frequency;
}

}  // namespace

void run_benchmarks(std::string_view filter) {
    for (auto* bench = __kbench_start; bench != __kbench_end; ++bench) {
        if (!filter.empty() && std::string_view(bench->name).find(filter) == std::string_view::npos)
            continue;
        bench->function(bench->iterations / 10);  // warm-up: caches, slabs, page tables
        uint64_t start = virtual_nanoseconds();
        bench->function(bench->iterations);
        uint64_t elapsed = virtual_nanoseconds() - start;
        kprintln("[Bench] {}: {} ns/op ({} ops)", bench->name, elapsed / bench->iterations, bench->iterations);
    }
    kprintln("[Bench] done");
}

}  // namespace akuma::kbench
