// POSIX per-process timers: timer_create, timer_settime, timer_gettime,
// timer_getoverrun, timer_delete (kernel/syscalls/timer_syscalls.cpp).
//
// A process owns its timers; they are not inherited by fork and are
// deleted at execve and exit, as on Linux. Each timer either sends a signal
// to the process (SIGEV_SIGNAL) or to one of its threads (SIGEV_THREAD_ID),
// or nothing (SIGEV_NONE: only timer_gettime sees it run). A timer has at
// most one signal pending: expiries while it is still pending count as
// overruns instead, and the count travels in the signal's si_overrun (and
// timer_getoverrun) when the signal is taken.
//
// Wall clocks (CLOCK_REALTIME, MONOTONIC, BOOTTIME, TAI and the _ALARM
// ones) run on the timer queue, so expiries come on the first tick at or
// after the deadline. CPU-time clocks (CLOCK_PROCESS_CPUTIME_ID,
// CLOCK_THREAD_CPUTIME_ID and the ones naming another process or thread)
// are sampled every tick while armed. State is under the scheduler lock,
// which the expiry callbacks (IRQ context) take too.
#pragma once

#include <cstdint>

#include "kernel/lib/error_or.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/time/timer_list.h"

namespace akuma::proc {

struct Process;

// A struct sigevent, as the kernel checks it.
struct TimerNotification {
    int notify;      // SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID
    int signal;
    uint64_t value;  // sigev_value: the signal's si_value
    int thread_id;   // SIGEV_THREAD_ID's target
    bool value_is_timer_id;  // no sigevent given: the value is the new timer's ID
};

// Values in nanoseconds of the timer's clock; value 0: disarmed.
struct TimerSpec {
    uint64_t value_ns;
    uint64_t interval_ns;
};

struct PosixTimer {
    ListNode link;  // Process::posix_timers
    Process* owner;
    int id;
    int clock;
    // CPU-time clocks: the process or thread whose time counts (by ID, so
    // a target that is gone is noticed), and which part of it.
    bool cpu_clock;
    bool cpu_clock_of_thread;
    int cpu_clock_target;
    int cpu_clock_which;
    TimerNotification notification;
    uint64_t deadline;  // on the timer's clock (monotonic for wall clocks); 0: disarmed
    uint64_t interval;
    int overrun;        // expiries while the signal was pending
    int overrun_last;   // what timer_getoverrun says: at the last delivery
    bool deleted;
    time::TimerEvent event;
};

ErrorOr<int> create_posix_timer(int clock, const TimerNotification& notification);
// Returns the old setting.
ErrorOr<TimerSpec> set_posix_timer(int id, const TimerSpec& spec, bool absolute);
ErrorOr<TimerSpec> get_posix_timer(int id);
ErrorOr<int> posix_timer_overrun(int id);
ErrorOr<void> delete_posix_timer(int id);

// execve and the end of the process: every timer goes. Not with the
// scheduler lock held.
void delete_all_posix_timers(Process& process);

// A signal is being taken out of `process`'s (or a thread's) pending set
// (scheduler lock held): a timer's signal gets its si_overrun, and the
// timer counts overruns from zero again.
void posix_timer_signal_taken_locked(Process& process, SignalInfo& info);

}  // namespace akuma::proc
