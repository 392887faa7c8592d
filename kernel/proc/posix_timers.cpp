#include "kernel/proc/posix_timers.h"

#include <new>
#include <optional>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/time_helpers.h"
#include "kernel/time/duration.h"
#include "kernel/time/timer_queue.h"

namespace akuma::proc {

namespace abi = linux_abi;

namespace {

// How often an armed CPU-time timer looks at the time it measures: the
// tick, which is also as fine as Akuma accounts time slices.
constexpr uint64_t k_cpu_clock_poll_ns = time::k_ns_per_second / arch::k_default_tick_hz;
constexpr int k_overrun_max = 0x7fffffff;  // DELAYTIMER_MAX

PosixTimer* find_timer_locked(Process& process, int id) {
    PosixTimer* found = nullptr;
    process.posix_timers.for_each([&](PosixTimer& timer) {
        if (timer.id == id && !found)
            found = &timer;
    });
    return found;
}

// Now on the timer's clock: monotonic for the wall clocks, CPU time (in
// ns) of its target for the CPU clocks; nothing if the target is gone.
std::optional<uint64_t> timer_clock_now_locked(const PosixTimer& timer) {
    if (!timer.cpu_clock)
        return arch::monotonic_ns();
    sched::CpuTime time;
    if (timer.cpu_clock_of_thread) {
        Task* task = find_task_locked(timer.cpu_clock_target);
        if (!task || task->process != timer.owner || !task->thread)
            return std::nullopt;
        time = sched::thread_cpu_time(*task->thread);
    } else {
        Process* process = find_process_locked(timer.cpu_clock_target);
        if (!process || process->state == ProcessState::Zombie)
            return std::nullopt;
        time = process_cpu_time_locked(*process);
    }
    return arch::counts_to_ns(timer.cpu_clock_which == abi::k_cpuclock_virt ? time.user : time.total());
}

bool signal_of_timer_pending(const PendingSignals& pending, int id) {
    bool found = false;
    pending.for_each([&](int, const SignalInfo& info) {
        if (info.code == abi::k_si_timer && info.timer_id == id)
            found = true;
    });
    return found;
}

void add_overruns(PosixTimer& timer, uint64_t count) {
    uint64_t total = static_cast<uint64_t>(timer.overrun) + count;
    timer.overrun = total > k_overrun_max ? k_overrun_max : static_cast<int>(total);
}

// One expiry: the signal, or an overrun if the last one is still pending.
void notify_locked(sched::SchedulerLockGuard& guard, PosixTimer& timer, uint64_t missed) {
    const TimerNotification& notification = timer.notification;
    if (notification.notify == abi::k_sigev_none)
        return;
    Process& process = *timer.owner;
    Task* task = nullptr;
    if (notification.notify == abi::k_sigev_thread_id) {
        task = find_task_locked(notification.thread_id);
        if (!task || task->process != &process)
            return;  // the thread has gone: Linux drops the signal too
    }
    if (signal_of_timer_pending(task ? task->pending : process.pending, timer.id)) {
        add_overruns(timer, missed + 1);
        return;
    }
    add_overruns(timer, missed);
    SignalInfo info {};
    info.signo = notification.signal;
    info.code = abi::k_si_timer;
    info.timer_id = timer.id;
    info.value = notification.value;
    if (task)
        (void)queue_thread_signal_locked(guard, *task, notification.signal, info);
    else
        (void)queue_signal_locked(guard, process, notification.signal, info);
}

void arm_locked(PosixTimer& timer) {
    if (timer.deadline == 0 || timer.notification.notify == abi::k_sigev_none)
        return;  // SIGEV_NONE: nothing to do at expiry; timer_gettime works it out
    timer.event.deadline_ns = timer.cpu_clock ? time::deadline_after(arch::monotonic_ns(), k_cpu_clock_poll_ns)
                                              : timer.deadline;
    time::timer_queue_add(timer.event);
}

// Moves an expired periodic timer's deadline past `now`; returns how many
// whole periods were missed beyond the one that expired.
uint64_t forward_locked(PosixTimer& timer, uint64_t now) {
    if (timer.interval == 0) {
        timer.deadline = 0;
        return 0;
    }
    uint64_t periods = (now - timer.deadline) / timer.interval + 1;
    timer.deadline = time::saturating_add(timer.deadline, time::saturating_mul(periods, timer.interval));
    if (timer.deadline == time::k_never)
        timer.deadline = 0;  // no later expiry can be represented
    return periods - 1;
}

void expired(void* context) {  // IRQ context (timer tick)
    auto& timer = *static_cast<PosixTimer*>(context);
    sched::SchedulerLockGuard guard;
    if (timer.deleted || timer.event.queued() || timer.deadline == 0)
        return;  // deleted, or set again meanwhile
    auto now = timer_clock_now_locked(timer);
    if (!now) {
        timer.deadline = 0;  // the CPU clock's process or thread is gone
        return;
    }
    if (now.value() >= timer.deadline) {
        uint64_t missed = forward_locked(timer, now.value());
        notify_locked(guard, timer, missed);
    }
    arm_locked(timer);
}

TimerSpec current_locked(PosixTimer& timer) {
    TimerSpec spec { 0, timer.interval };
    if (timer.deadline == 0)
        return spec;
    auto now = timer_clock_now_locked(timer);
    if (!now)
        return spec;
    if (now.value() >= timer.deadline) {
        // Only SIGEV_NONE timers (never queued) and ones whose expiry is
        // due this very tick get here. A SIGEV_NONE timer moves on as if
        // it had run; its expired one-shot reads as disarmed, as on Linux.
        if (timer.notification.notify == abi::k_sigev_none) {
            add_overruns(timer, forward_locked(timer, now.value()));
            if (timer.deadline == 0)
                return spec;
        } else {
            spec.value_ns = 1;  // armed: never 0 left
            return spec;
        }
    }
    spec.value_ns = timer.deadline - now.value();
    return spec;
}

struct DecodedClock {
    bool cpu;
    bool of_thread;
    int target;
    int which;
};

ErrorOr<DecodedClock> decode_clock(int clock) {
    Task& self = *current_task();
    switch (clock) {
    case abi::k_clock_realtime:
    case abi::k_clock_monotonic:
    case abi::k_clock_boottime:
    case abi::k_clock_tai: return DecodedClock { false, false, 0, 0 };
    case abi::k_clock_realtime_alarm:
    case abi::k_clock_boottime_alarm:
        if (!current_credentials().capable(Capability::WakeAlarm))
            return Error::NotPermitted;
        return DecodedClock { false, false, 0, 0 };
    case abi::k_clock_process_cputime_id:
        return DecodedClock { true, false, self.process->pid, abi::k_cpuclock_sched };
    case abi::k_clock_thread_cputime_id: return DecodedClock { true, true, self.tid, abi::k_cpuclock_sched };
    case abi::k_clock_monotonic_raw:
    case abi::k_clock_realtime_coarse:
    case abi::k_clock_monotonic_coarse: return Error::NotSupported;  // clocks without timers
    default: break;
    }
    if (clock >= 0)
        return Error::Invalid;
    int which = clock & abi::k_cpuclock_which_mask;
    if (which == abi::k_cpuclock_which_mask)
        return Error::Invalid;  // no posix-clock devices
    bool of_thread = clock & abi::k_cpuclock_perthread;
    int id = ~(clock >> 3);
    sched::SchedulerLockGuard guard;
    if (of_thread) {
        Task* task = id == 0 ? &self : find_task_locked(id);
        if (!task || task->process != self.process)
            return Error::Invalid;
        return DecodedClock { true, true, task->tid, which };
    }
    // A process clock names a thread group by its leader's ID.
    Process* process = id == 0 ? self.process : find_process_locked(id);
    if (!process || process->state == ProcessState::Zombie)
        return Error::Invalid;
    return DecodedClock { true, false, process->pid, which };
}

ErrorOr<void> check_notification(const TimerNotification& notification) {
    switch (notification.notify) {
    case abi::k_sigev_thread_id: {
        Task& self = *current_task();
        sched::SchedulerLockGuard guard;
        Task* task = find_task_locked(notification.thread_id);
        if (!task || task->process != self.process)
            return Error::Invalid;
    }
        [[fallthrough]];
    case abi::k_sigev_signal:
    case abi::k_sigev_thread:  // glibc makes SIGEV_THREAD itself; the kernel takes it as SIGEV_SIGNAL
        if (notification.signal <= 0 || notification.signal > abi::k_sigrtmax)
            return Error::Invalid;
        return {};
    case abi::k_sigev_none: return {};
    default: return Error::Invalid;
    }
}

void free_timer(PosixTimer* timer) {
    (void)time::timer_queue_cancel_sync(timer->event);
    timer->~PosixTimer();
    mm::kfree(timer);
}

}  // namespace

ErrorOr<int> create_posix_timer(int clock, const TimerNotification& notification) {
    auto decoded = TRY(decode_clock(clock));
    TRY(check_notification(notification));
    Process& process = *current_process();
    void* memory = mm::kzalloc(sizeof(PosixTimer));
    if (!memory)
        return Error::TryAgain;  // Linux's answer when the timer cannot be had
    auto* timer = new (memory) PosixTimer {};
    timer->owner = &process;
    timer->clock = clock;
    timer->cpu_clock = decoded.cpu;
    timer->cpu_clock_of_thread = decoded.of_thread;
    timer->cpu_clock_target = decoded.target;
    timer->cpu_clock_which = decoded.which;
    timer->notification = notification;
    if (timer->notification.notify == abi::k_sigev_thread)
        timer->notification.notify = abi::k_sigev_signal;
    timer->event.callback = expired;
    timer->event.context = timer;
    // Each timer's signal is allocated ahead on Linux and counts against
    // RLIMIT_SIGPENDING: so do the timers here.
    uint64_t limit = soft_limit(process, abi::k_rlimit_sigpending);
    sched::SchedulerLockGuard guard;
    if (process.posix_timer_count >= limit) {
        timer->~PosixTimer();
        mm::kfree(timer);
        return Error::TryAgain;
    }
    // IDs count up from 0 and are not reused at once, as Linux's.
    for (;;) {
        int id = process.next_posix_timer_id;
        process.next_posix_timer_id = id == k_overrun_max ? 0 : id + 1;
        if (!find_timer_locked(process, id)) {
            timer->id = id;
            break;
        }
    }
    if (notification.value_is_timer_id)
        timer->notification.value = static_cast<uint64_t>(timer->id);
    process.posix_timers.push_back(*timer);
    ++process.posix_timer_count;
    return timer->id;
}

ErrorOr<TimerSpec> set_posix_timer(int id, const TimerSpec& spec, bool absolute) {
    Process& process = *current_process();
    sched::SchedulerLockGuard guard;
    PosixTimer* timer = find_timer_locked(process, id);
    if (!timer)
        return Error::Invalid;
    TimerSpec old = current_locked(*timer);
    (void)time::timer_queue_cancel(timer->event);
    timer->interval = spec.interval_ns;
    timer->overrun = 0;
    timer->deadline = 0;
    if (spec.value_ns == 0)
        return old;
    auto now = timer_clock_now_locked(*timer);
    if (!now)
        return old;  // a CPU clock whose target is gone: nothing will run
    if (!absolute) {
        timer->deadline = time::deadline_after(now.value(), spec.value_ns);
    } else {
        bool realtime = timer->clock == abi::k_clock_realtime || timer->clock == abi::k_clock_realtime_alarm ||
                        timer->clock == abi::k_clock_tai;
        timer->deadline = realtime ? sys::monotonic_from_realtime_ns(spec.value_ns) : spec.value_ns;
    }
    if (timer->deadline == 0)
        timer->deadline = 1;  // long past: expires at once (0 would mean disarmed)
    arm_locked(*timer);
    return old;
}

ErrorOr<TimerSpec> get_posix_timer(int id) {
    Process& process = *current_process();
    sched::SchedulerLockGuard guard;
    PosixTimer* timer = find_timer_locked(process, id);
    if (!timer)
        return Error::Invalid;
    return current_locked(*timer);
}

ErrorOr<int> posix_timer_overrun(int id) {
    Process& process = *current_process();
    sched::SchedulerLockGuard guard;
    PosixTimer* timer = find_timer_locked(process, id);
    if (!timer)
        return Error::Invalid;
    return timer->overrun_last;
}

ErrorOr<void> delete_posix_timer(int id) {
    Process& process = *current_process();
    PosixTimer* timer;
    {
        sched::SchedulerLockGuard guard;
        timer = find_timer_locked(process, id);
        if (!timer)
            return Error::Invalid;
        timer->deleted = true;
        process.posix_timers.remove(*timer);
        --process.posix_timer_count;
    }
    free_timer(timer);  // its signal, if pending, stays (Linux 6.1)
    return {};
}

void delete_all_posix_timers(Process& process) {
    for (;;) {
        PosixTimer* timer;
        {
            sched::SchedulerLockGuard guard;
            timer = process.posix_timers.pop_front();
            if (!timer)
                return;
            timer->deleted = true;
            --process.posix_timer_count;
        }
        free_timer(timer);
    }
}

void posix_timer_signal_taken_locked(Process& process, SignalInfo& info) {
    if (info.code != abi::k_si_timer)
        return;
    PosixTimer* timer = find_timer_locked(process, info.timer_id);
    if (!timer)
        return;
    timer->overrun_last = timer->overrun;
    timer->overrun = 0;
    info.overrun = timer->overrun_last;
}

}  // namespace akuma::proc
