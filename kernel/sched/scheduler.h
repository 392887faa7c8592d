// Preemptive round-robin scheduler for one CPU.
//
// Locking: one scheduler lock (an IrqSpinLock) protects the run queue, every
// wait queue and every thread's state. Blocking calls take it, check their
// condition, and sleep in WaitQueue::wait(), which releases it while the
// thread is off the CPU. Preemption happens only on the way out of an IRQ
// (the timer tick ends a 10 ms slice), never while any spinlock is held
// (spinlocks mask IRQs).
#pragma once

#include <cstdint>

#include "kernel/sched/cpu_time.h"
#include "kernel/sched/load_average.h"
#include "kernel/sched/spinlock.h"
#include "kernel/sched/thread.h"

namespace akuma::sched {

// Makes the running boot flow the thread "main" and creates the idle thread.
ErrorOr<void> scheduler_init(unsigned tick_hz);
bool scheduler_running();

class SchedulerLockGuard {
public:
    SchedulerLockGuard();
    ~SchedulerLockGuard();
    SchedulerLockGuard(const SchedulerLockGuard&) = delete;
    SchedulerLockGuard& operator=(const SchedulerLockGuard&) = delete;

private:
    uint64_t m_saved;
};

// Gives up the CPU to the next runnable thread (if any).
void yield();

// While alive, the current thread is not preempted by the tick (it may
// still block or yield). Nests.
class PreemptionDisabled {
public:
    PreemptionDisabled();
    ~PreemptionDisabled();
    PreemptionDisabled(const PreemptionDisabled&) = delete;
    PreemptionDisabled& operator=(const PreemptionDisabled&) = delete;
};

// Sleeps for at least `nanoseconds` of monotonic time.
void sleep_ns(uint64_t nanoseconds);

// Timer interrupt: accounts the current slice.
void on_tick();
// End of an IRQ: switch if the slice ran out (called by exception_dispatch).
void preempt_if_needed();

struct SchedulerStats {
    uint64_t threads_alive;      // created and not yet freed (incl. main, idle)
    uint64_t threads_created;
    uint64_t context_switches;
    uint64_t preemptions;
    uint64_t ticks;
    unsigned tick_hz;
    unsigned slice_ticks;
};
SchedulerStats scheduler_stats();

// CPUs the scheduler runs threads on. Akuma brings up the boot CPU only;
// what needs the others to act (membarrier's barriers) asks here first.
constexpr unsigned online_cpus() { return 1; }

// For /proc (loadavg, stat, uptime). The load average follows Linux
// (load_average.h): sampled every 5 s from the timer tick, counting the
// threads that are running or runnable (the idle thread excluded).
struct SchedulerLoad {
    LoadAverage load;
    uint64_t runnable;  // running or in the run queue now
    CpuTime idle;       // the idle thread's CPU time so far
};
SchedulerLoad scheduler_load();

// --- for thread.cpp and wait_queue.cpp (scheduler lock held) ---
void make_runnable_locked(Thread* thread);
// Switches away from the current thread, whose state the caller has set
// (Blocked or Dead). Returns when the thread runs again.
void switch_away_locked();

}  // namespace akuma::sched
