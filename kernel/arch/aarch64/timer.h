// ARM generic timer: the monotonic clock (virtual counter) and the periodic
// tick (EL1 virtual timer, CNTV_*).
#pragma once

#include <cstdint>

#include "kernel/dt/platform_info.h"
#include "kernel/lib/error_or.h"

namespace akuma::arch {

constexpr unsigned k_default_tick_hz = 100;

uint64_t counter_frequency();  // CNTFRQ_EL0, Hz
uint64_t read_counter();       // CNTVCT_EL0, ordered after earlier instructions

// CNTVCT_EL0 without the ISB: for the CPU-time stamps taken right after an
// exception entry or just before the ERET (both synchronise the context),
// where the fast system call path cannot afford a barrier.
inline uint64_t read_counter_unordered() {
    uint64_t value;
    asm volatile("mrs %0, cntvct_el0" : "=r"(value));
    return value;
}

// Counter units to nanoseconds (floor; exact for any frequency < 18 GHz).
uint64_t counts_to_ns(uint64_t counts);

// Nanoseconds since the counter started (about machine reset); never goes
// backwards: the counter is monotonic and the conversion exact (floor).
uint64_t monotonic_ns();

// Starts the periodic tick at `hz` (1..10000) on the virtual timer's PPI.
// Each tick reprograms the deadline to the previous deadline + one period,
// so ticks do not drift (missed periods are skipped, staying on the grid),
// runs expired timer_queue events, then calls on_tick (may be null) — all
// in IRQ context before the interrupt is ended: on_tick must not switch
// threads itself, only request it. IRQs stay masked; the caller unmasks.
ErrorOr<void> timer_init(const TimerInfo& timer, unsigned hz, void (*on_tick)());

uint64_t timer_ticks();         // ticks handled since timer_init
uint64_t timer_period_counts(); // one period in counter units (0 before init)
uint64_t timer_next_deadline(); // the programmed CNTV_CVAL_EL0 value

}  // namespace akuma::arch
