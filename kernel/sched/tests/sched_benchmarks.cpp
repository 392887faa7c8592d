// Scheduler micro-benchmarks (docs/PERFORMANCE.md).
#include "kernel/sched/scheduler.h"
#include "kernel/tests/kbench.h"

using namespace akuma::sched;

namespace {
uint64_t g_partner_rounds;

uint64_t yield_partner(void*) {
    for (uint64_t i = 0; i < g_partner_rounds; ++i)
        yield();
    return 0;
}
}  // namespace

// Two threads yielding to each other: every yield is one thread-to-thread
// switch, so ns/op here is per switch (2 switches per round, 2 ops counted).
KBENCH(context_switch, "thread-to-thread context switch (yield)", 20000) {
    g_partner_rounds = iterations / 2;
    auto partner = spawn("bench-partner", yield_partner, nullptr);
    if (partner.is_error())
        return;
    for (uint64_t i = 0; i < iterations / 2; ++i)
        yield();
    (void)join(partner.value());
}
