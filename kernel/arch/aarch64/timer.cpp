#include "kernel/arch/aarch64/timer.h"

#include "kernel/arch/aarch64/irq.h"
#include "kernel/time/timer_queue.h"

namespace akuma::arch {

namespace {

constexpr uint64_t k_ns_per_second = 1000000000;
constexpr unsigned k_max_tick_hz = 10000;
constexpr uint64_t k_cntv_ctl_enable = 1u << 0;  // IMASK (bit 1) clear: the interrupt is signalled

uint64_t g_period = 0;    // counter units
uint64_t g_deadline = 0;  // next CVAL
uint64_t g_ticks = 0;
uint64_t g_skipped_periods = 0;
void (*g_on_tick)() = nullptr;

void write_deadline(uint64_t deadline) {
    // The isb makes the new compare value take effect (and the level PPI
    // drop) before the GIC is told the interrupt has ended.
    asm volatile("msr cntv_cval_el0, %0\n isb" ::"r"(deadline) : "memory");
}

void on_timer_interrupt(uint32_t, void*) {
    uint64_t deadline = g_deadline + g_period;
    uint64_t now = read_counter();
    if (deadline <= now) {  // fell behind (e.g. a debugger stop): skip to the next period on the grid
        uint64_t missed = (now - deadline) / g_period + 1;
        g_skipped_periods += missed;
        deadline += missed * g_period;
    }
    write_deadline(deadline);
    __atomic_store_n(&g_deadline, deadline, __ATOMIC_RELAXED);
    __atomic_fetch_add(&g_ticks, 1, __ATOMIC_RELAXED);
    time::timer_queue_run_expired(monotonic_ns());
    if (g_on_tick)
        g_on_tick();
}

}  // namespace

uint64_t counter_frequency() {
    uint64_t value;
    asm volatile("mrs %0, cntfrq_el0" : "=r"(value));
    return value;
}

uint64_t read_counter() {
    uint64_t value;
    asm volatile("isb\n mrs %0, cntvct_el0" : "=r"(value)::"memory");
    return value;
}

uint64_t monotonic_ns() { return counts_to_ns(read_counter()); }

uint64_t counts_to_ns(uint64_t counts) {
    uint64_t frequency = counter_frequency();
    // counts * 1e9 / frequency without a 128-bit division: the remainder
    // term stays below frequency * 1e9, which fits for any frequency < 18 GHz.
    return (counts / frequency) * k_ns_per_second + (counts % frequency) * k_ns_per_second / frequency;
}

ErrorOr<void> timer_init(const TimerInfo& timer, unsigned hz, void (*on_tick)()) {
    if (!timer.virtual_timer)
        return Error::NotFound;
    uint64_t frequency = counter_frequency();
    if (hz == 0 || hz > k_max_tick_hz || frequency < hz)
        return Error::Invalid;
    g_period = frequency / hz;
    g_on_tick = on_tick;
    TRY(irq_register(*timer.virtual_timer, on_timer_interrupt, nullptr, "timer"));
    g_deadline = read_counter() + g_period;
    write_deadline(g_deadline);
    asm volatile("msr cntv_ctl_el0, %0\n isb" ::"r"(k_cntv_ctl_enable));
    return {};
}

uint64_t timer_ticks() { return __atomic_load_n(&g_ticks, __ATOMIC_RELAXED); }
uint64_t timer_period_counts() { return g_period; }
uint64_t timer_next_deadline() { return __atomic_load_n(&g_deadline, __ATOMIC_RELAXED); }

}  // namespace akuma::arch
