// In-kernel tests of the monotonic clock, the periodic tick, the timer
// queue and the RTC. They assert ordering and spacing, never durations.
#include "kernel/arch/aarch64/interrupts.h"
#include "kernel/arch/aarch64/timer.h"
#include "kernel/boot/boot_state.h"
#include "kernel/drivers/pl031.h"
#include "kernel/lib/civil_time.h"
#include "kernel/tests/ktest.h"
#include "kernel/time/timer_queue.h"

using namespace akuma;
using namespace akuma::arch;

namespace {

constexpr uint64_t k_ns_per_ms = 1000000;
constexpr unsigned k_max_waits = 1000;  // hang guard: each WFI ends at the next tick at the latest

// Sleeps with IRQs unmasked until `done()` holds; ticks wake the WFI.
template <typename F>
bool wait_for_interrupts(F done) {
    for (unsigned i = 0; i < k_max_waits && !done(); ++i) {
        enable_interrupts();
        asm volatile("wfi" ::: "memory");
        disable_interrupts();
    }
    return done();
}

struct Firing {
    uint64_t fired_at_ns;
    unsigned count;
};

void record_firing(void* context) {
    auto* firing = static_cast<Firing*>(context);
    firing->fired_at_ns = monotonic_ns();
    ++firing->count;
}

unsigned fire_count(const Firing& firing) { return __atomic_load_n(&firing.count, __ATOMIC_RELAXED); }

}  // namespace

KTEST(time_monotonic, "Time: monotonic_ns never goes backwards") {
    InterruptsMasked masked;  // these tests unmask IRQs only where they say so
    uint64_t previous = monotonic_ns();
    for (int i = 0; i < 100000; ++i) {
        uint64_t now = monotonic_ns();
        if (now < previous)
            KFAIL("went back from {} to {} ns at read {}", previous, now, i);
        previous = now;
    }
    KEXPECT(counter_frequency() > 0);
}

KTEST(time_tick_grid, "Time: the tick advances, with deadlines on the period grid") {
    InterruptsMasked masked;  // these tests unmask IRQs only where they say so
    uint64_t period = timer_period_counts();
    KEXPECT(period > 0);
    uint64_t deadlines[8];
    unsigned recorded = 0;
    uint64_t ticks_before = timer_ticks();
    uint64_t last_ticks = ticks_before;
    uint64_t end = monotonic_ns() + 50 * k_ns_per_ms;
    enable_interrupts();
    while (monotonic_ns() < end) {
        uint64_t ticks = timer_ticks();
        if (ticks != last_ticks && recorded < 8) {
            deadlines[recorded++] = timer_next_deadline();
            last_ticks = ticks;
        }
    }
    disable_interrupts();
    // At low tick rates (tick_hz < 20) 50 ms may hold no tick: wait for one.
    if (timer_ticks() == ticks_before)
        KEXPECT(wait_for_interrupts([&] { return timer_ticks() != ticks_before; }));
    KEXPECT(timer_ticks() > ticks_before);
    for (unsigned i = 1; i < recorded; ++i) {
        uint64_t step = deadlines[i] - deadlines[i - 1];
        if (deadlines[i] <= deadlines[i - 1] || step % period != 0)
            KFAIL("deadline {} -> {} is not a positive multiple of the period {}", deadlines[i - 1], deadlines[i],
                  period);
    }
}

KTEST(time_event_fires, "Time: a timer event fires at or after its deadline") {
    InterruptsMasked masked;  // these tests unmask IRQs only where they say so
    Firing firing {};
    time::TimerEvent event;
    event.deadline_ns = monotonic_ns() + 20 * k_ns_per_ms;
    event.callback = record_firing;
    event.context = &firing;
    time::timer_queue_add(event);
    bool fired = wait_for_interrupts([&] { return fire_count(firing) > 0; });
    if (!fired)
        (void)time::timer_queue_cancel(event);
    KEXPECT(fired);
    KEXPECT_EQ(firing.count, 1u);
    KEXPECT(firing.fired_at_ns >= event.deadline_ns);
    KEXPECT(!time::timer_queue_cancel(event));  // already fired
}

KTEST(time_event_cancelled, "Time: a cancelled timer event never fires; events fire in deadline order") {
    InterruptsMasked masked;  // these tests unmask IRQs only where they say so
    Firing cancelled {}, first {}, second {};
    uint64_t now = monotonic_ns();
    time::TimerEvent cancelled_event { now + 10 * k_ns_per_ms, record_firing, &cancelled, {} };
    time::TimerEvent second_event { now + 40 * k_ns_per_ms, record_firing, &second, {} };
    time::TimerEvent first_event { now + 20 * k_ns_per_ms, record_firing, &first, {} };
    time::timer_queue_add(cancelled_event);
    time::timer_queue_add(second_event);
    time::timer_queue_add(first_event);
    KEXPECT(time::timer_queue_cancel(cancelled_event));
    KEXPECT(!time::timer_queue_cancel(cancelled_event));
    bool fired = wait_for_interrupts([&] { return fire_count(second) > 0; });
    if (!fired) {
        (void)time::timer_queue_cancel(first_event);
        (void)time::timer_queue_cancel(second_event);
    }
    KEXPECT(fired);
    KEXPECT_EQ(cancelled.count, 0u);
    KEXPECT_EQ(first.count, 1u);
    KEXPECT(first.fired_at_ns <= second.fired_at_ns);
    KEXPECT(second.fired_at_ns >= second_event.deadline_ns);
}

KTEST(time_rtc_plausible, "Time: the PL031 RTC reads a plausible date") {
    InterruptsMasked masked;  // these tests unmask IRQs only where they say so
    KEXPECT(boot::platform().rtc.has_value());
    uint64_t boot_seconds = drivers::wall_clock_seconds_at_boot();
    auto civil = civil_from_unix_seconds(static_cast<int64_t>(boot_seconds));
    if (civil.year < 2024)
        KFAIL("RTC says year {}", civil.year);
    KEXPECT(drivers::pl031_read_seconds() >= boot_seconds);
}
