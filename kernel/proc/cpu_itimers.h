// Limits on a process's CPU time: setitimer(ITIMER_VIRTUAL) (user time,
// SIGVTALRM), setitimer(ITIMER_PROF) (user and system time, SIGPROF) and
// RLIMIT_CPU (SIGXCPU at the soft limit, which then moves up a second
// while below the hard one; SIGKILL at the hard limit), as Linux's
// check_process_timers. While any of them is set, the process's CPU time
// is sampled every tick (one timer-queue event per process, under the
// scheduler lock), as the CPU-time POSIX timers are (posix_timers.h); a
// timer fires at most once per tick.
//
// fork: the child has no itimers (it keeps RLIMIT_CPU); execve keeps them.
#pragma once

#include <cstdint>

#include "kernel/time/timer_list.h"

namespace akuma::proc {

struct Process;
struct IntervalTimer;

enum class CpuItimerKind : uint8_t { Virtual, Prof };

// A process's state (Process::cpu_limits; scheduler lock).
struct CpuLimits {
    // Deadlines and intervals in ns of the process's CPU time; 0: disarmed.
    uint64_t deadline_ns[2] {};
    uint64_t interval_ns[2] {};
    time::TimerEvent sampler;
    bool stopped { false };  // the process is ending: no more samples
};

// setitimer/getitimer(ITIMER_VIRTUAL or ITIMER_PROF) of the current
// process: the old value and interval; a zero value disarms. As Linux, an
// armed timer runs a tick longer than asked (so at least that much CPU
// time passes), and reads a tick when it is about to fire.
IntervalTimer set_cpu_itimer(CpuItimerKind kind, const IntervalTimer& timer);
IntervalTimer cpu_itimer(CpuItimerKind kind);

// RLIMIT_CPU of `process` changed (or it was just forked): sample its CPU
// time if the limit is finite.
void watch_cpu_limit(Process& process);
// The process is ending: no more samples.
void stop_cpu_limits(Process& process);

}  // namespace akuma::proc
