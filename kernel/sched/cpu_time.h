// CPU time of threads (getrusage, times, the CPU-time clocks).
//
// Precise, from the generic counter: a thread's user time runs from each
// return to EL0 to its next exception entry (exception_dispatch stamps
// both); all the rest of its time on a CPU, from being switched in to being
// switched away (schedule_locked), is system time, interrupts included, as
// Linux without IRQ time accounting. A thread that sleeps or waits gains
// nothing. Each stamp is one counter read and, on entry, one add: seven
// instructions on the null system call, which pays two net because its
// return path loads the thread once instead (docs/PERFORMANCE.md).
#pragma once

#include <cstdint>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/sched/thread.h"

namespace akuma::sched {

// In counter units; arch::counts_to_ns converts.
struct CpuTime {
    uint64_t user = 0;
    uint64_t system = 0;

    uint64_t total() const { return user + system; }
    CpuTime& operator+=(const CpuTime& other) {
        user += other.user;
        system += other.system;
        return *this;
    }
};

// Exception entry from EL0 of `thread` (the current one), interrupts
// still masked (nothing can switch it away in between): the stretch in
// user mode ends. Other CPUs may read the sum (thread_cpu_time): one
// volatile store, as Linux's WRITE_ONCE (clang spends a register move on
// an atomic one here).
inline void account_entry_from_user(Thread& thread) {
    uint64_t user = thread.user_counts + (arch::read_counter_unordered() - thread.user_start);
    *static_cast<volatile uint64_t*>(&thread.user_counts) = user;
}

// Last step before the ERET to EL0 of `thread` (the current one),
// interrupts masked: user mode starts.
inline void account_return_to_user(Thread& thread) { thread.user_start = arch::read_counter_unordered(); }

// The CPU time of `thread` so far, including the current stretch if it is
// running. Scheduler lock held (or `thread` is the caller). A thread that
// runs in user mode on another CPU shows its current stretch as system
// time until its next entry into the kernel.
CpuTime thread_cpu_time(const Thread& thread);

// The calling thread's CPU time so far; its count starts again from zero.
// A task leaving its process hands its time over to the process with it.
// Scheduler lock held.
CpuTime take_cpu_time();

}  // namespace akuma::sched
