#include "kernel/proc/cpu_itimers.h"

#include "kernel/arch/aarch64/timer.h"
#include "kernel/proc/process.h"
#include "kernel/proc/resource_limits.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/time/duration.h"
#include "kernel/time/timer_queue.h"

namespace akuma::proc {

namespace abi = linux_abi;

namespace {

constexpr uint64_t k_tick_ns = time::k_ns_per_second / arch::k_default_tick_hz;
constexpr int k_signal_of[2] = { abi::k_sigvtalrm, abi::k_sigprof };

struct CpuSample {
    uint64_t user_ns;
    uint64_t total_ns;
    uint64_t of(CpuItimerKind kind) const { return kind == CpuItimerKind::Virtual ? user_ns : total_ns; }
};

CpuSample sample_locked(Process& process) {
    sched::CpuTime time = process_cpu_time_locked(process);
    return { arch::counts_to_ns(time.user), arch::counts_to_ns(time.total()) };
}

void send_locked(sched::SchedulerLockGuard& guard, Process& process, int signal) {
    SignalInfo info {};
    info.signo = signal;
    info.code = abi::k_si_kernel;
    (void)queue_signal_locked(guard, process, signal, info);
}

bool cpu_limit_finite(const Process& process) {
    return soft_limit(process, abi::k_rlimit_cpu) != abi::k_rlim_infinity;
}

bool needs_sampling_locked(const Process& process) {
    const CpuLimits& limits = process.cpu_limits;
    return limits.deadline_ns[0] || limits.deadline_ns[1] || cpu_limit_finite(process);
}

void sampled(void* context);

void arm_sampler_locked(Process& process) {
    CpuLimits& limits = process.cpu_limits;
    if (limits.sampler.queued() || limits.stopped)
        return;
    limits.sampler.callback = sampled;
    limits.sampler.context = &process;
    limits.sampler.deadline_ns = time::deadline_after(arch::monotonic_ns(), k_tick_ns);
    time::timer_queue_add(limits.sampler);
}

// RLIMIT_CPU, as Linux's check_process_timers: SIGKILL at the hard limit;
// at the soft one SIGXCPU, and the soft limit moves a second further while
// it is below the hard one (so the next SIGXCPU comes a second later).
void check_cpu_limit_locked(sched::SchedulerLockGuard& guard, Process& process, uint64_t total_ns) {
    abi::Rlimit limit = resource_limit(process, abi::k_rlimit_cpu);
    auto reached = [&](uint64_t seconds) {
        return seconds != abi::k_rlim_infinity && total_ns / time::k_ns_per_second >= seconds;
    };
    if (reached(limit.max)) {
        send_locked(guard, process, abi::k_sigkill);
        return;
    }
    if (reached(limit.cur)) {
        send_locked(guard, process, abi::k_sigxcpu);
        raise_cpu_soft_limit(process);
    }
}

void sampled(void* context) {  // IRQ context (timer tick)
    auto& process = *static_cast<Process*>(context);
    sched::SchedulerLockGuard guard;
    if (process.cpu_limits.stopped)
        return;
    CpuSample now = sample_locked(process);
    CpuLimits& limits = process.cpu_limits;
    for (CpuItimerKind kind : { CpuItimerKind::Virtual, CpuItimerKind::Prof }) {
        auto index = static_cast<size_t>(kind);
        uint64_t& deadline = limits.deadline_ns[index];
        if (deadline == 0 || now.of(kind) < deadline)
            continue;
        deadline = limits.interval_ns[index] ? deadline + limits.interval_ns[index] : 0;
        send_locked(guard, process, k_signal_of[index]);
    }
    if (cpu_limit_finite(process))
        check_cpu_limit_locked(guard, process, now.total_ns);
    if (needs_sampling_locked(process))
        arm_sampler_locked(process);
}

IntervalTimer current_locked(Process& process, CpuItimerKind kind) {
    auto index = static_cast<size_t>(kind);
    const CpuLimits& limits = process.cpu_limits;
    IntervalTimer current { 0, limits.interval_ns[index] };
    if (uint64_t deadline = limits.deadline_ns[index]) {
        uint64_t now = sample_locked(process).of(kind);
        current.value_ns = deadline > now ? deadline - now : k_tick_ns;  // about to fire
    }
    return current;
}

}  // namespace

IntervalTimer cpu_itimer(CpuItimerKind kind) {
    Process& process = *current_process();
    sched::SchedulerLockGuard guard;
    return current_locked(process, kind);
}

IntervalTimer set_cpu_itimer(CpuItimerKind kind, const IntervalTimer& timer) {
    Process& process = *current_process();
    auto index = static_cast<size_t>(kind);
    sched::SchedulerLockGuard guard;
    IntervalTimer old = current_locked(process, kind);
    CpuLimits& limits = process.cpu_limits;
    if (timer.value_ns == 0) {
        limits.deadline_ns[index] = 0;
        limits.interval_ns[index] = 0;
        return old;  // the sampler stops by itself at its next tick
    }
    limits.deadline_ns[index] = sample_locked(process).of(kind) + timer.value_ns + k_tick_ns;
    limits.interval_ns[index] = timer.interval_ns;
    arm_sampler_locked(process);
    return old;
}

void watch_cpu_limit(Process& process) {
    if (!cpu_limit_finite(process))
        return;
    sched::SchedulerLockGuard guard;
    arm_sampler_locked(process);
}

void stop_cpu_limits(Process& process) {
    {
        sched::SchedulerLockGuard guard;
        process.cpu_limits.stopped = true;  // a running sample does not queue another
    }
    (void)time::timer_queue_cancel_sync(process.cpu_limits.sampler);
}

}  // namespace akuma::proc
