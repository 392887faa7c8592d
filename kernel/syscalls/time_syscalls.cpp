// Clocks and sleeping. CLOCK_MONOTONIC is the generic timer; CLOCK_REALTIME
// is the PL031 time at boot plus the monotonic time since, moved by
// clock_settime and settimeofday (time/realtime.h); the CPU-time
// clocks come from the per-thread accounting (kernel/sched/cpu_time.h).
#include "kernel/arch/aarch64/timer.h"
#include "kernel/drivers/pl031.h"
#include "kernel/lib/kprint.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/time_helpers.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

using time::k_ns_per_second;

constexpr uint64_t k_process_clock_poll_ns = 10'000'000;

bool is_cpu_clock(int clock) {
    return clock < 0 || clock == abi::k_clock_process_cputime_id || clock == abi::k_clock_thread_cputime_id;
}

// A CPU-time clock: the caller's process or thread, or (negative ids,
// Linux's CPUCLOCK_* encoding) one named by PID or TID.
ErrorOr<uint64_t> cpu_clock_ns(int clock) {
    using proc::CpuClockOf;
    int which = abi::k_cpuclock_sched;
    auto kind = clock == abi::k_clock_thread_cputime_id ? CpuClockOf::Thread : CpuClockOf::Process;
    int id = 0;
    if (clock < 0) {
        which = clock & abi::k_cpuclock_which_mask;
        if (which == abi::k_cpuclock_which_mask)
            return Error::Invalid;  // no posix-clock devices
        kind = (clock & abi::k_cpuclock_perthread) ? CpuClockOf::Thread : CpuClockOf::Process;
        id = ~(clock >> 3);
    }
    auto time = TRY(proc::cpu_time_of(kind, id));
    return arch::counts_to_ns(which == abi::k_cpuclock_virt ? time.user : time.total());
}

ErrorOr<uint64_t> clock_now_ns(int clock) {
    if (is_cpu_clock(clock))
        return cpu_clock_ns(clock);
    switch (clock) {
    case abi::k_clock_realtime:
    case abi::k_clock_realtime_coarse:
    case abi::k_clock_tai:
        return time::realtime_now_ns();
    case abi::k_clock_monotonic:
    case abi::k_clock_monotonic_raw:
    case abi::k_clock_monotonic_coarse:
    case abi::k_clock_boottime:
        return arch::monotonic_ns();
    default: return Error::Invalid;
    }
}

// Sleeps; a signal cuts it short: returns the time left (0 if it slept
// the whole time). A sleep the kernel restarts after a stop/continue (no
// handler ran) resumes toward the deadline it had, not from scratch.
uint64_t sleep_for(uint64_t nanoseconds) {
    proc::Task& task = *proc::current_task();
    uint64_t now = arch::monotonic_ns();
    uint64_t deadline = task.resume_sleep ? task.sleep_deadline_ns : time::deadline_after(now, nanoseconds);
    task.resume_sleep = false;
    if (deadline <= now || sched::sleep_interruptible_until(deadline))
        return 0;
    task.sleep_deadline_ns = deadline;
    uint64_t left = time::time_left(deadline, arch::monotonic_ns());
    return left ? left : 1;  // interrupted: never report "nothing left"
}

// clock_nanosleep on a CPU-time clock (Linux's posix_cpu_nsleep): until the
// thread or process has used that much time. A thread's clock moves at most
// as fast as real time, so sleeping for what is left never oversleeps; a
// process's runs faster when its threads run on several CPUs at once, so
// it is looked at again at least every k_process_clock_poll_ns. A restart
// after a stop resumes toward the same target (kept in sleep_deadline_ns,
// as sleep_for does).
int64_t sleep_on_cpu_clock(const SyscallArgs& args) {
    int clock = static_cast<int>(args.a[0]);
    proc::Task& task = *proc::current_task();
    if (clock == abi::k_clock_thread_cputime_id)
        return error_result(Error::NotSupported);  // Linux: no sleeping on it at all
    int id = ~(clock >> 3);
    if (clock < 0 && (clock & abi::k_cpuclock_perthread) && (id == 0 || id == task.tid))
        return error_result(Error::Invalid);  // the own thread's clock stands still while it sleeps
    auto start = cpu_clock_ns(clock);
    if (start.is_error())
        return error_result(start.error());
    auto value = read_timespec_ns(args.ptr<const abi::Timespec>(2));
    if (value.is_error())
        return error_result(value.error());
    bool absolute = args.a[1] & abi::k_timer_abstime;
    uint64_t target = absolute ? value.value() : time::saturating_add(start.value(), value.value());
    if (task.resume_sleep)
        target = task.sleep_deadline_ns;
    task.resume_sleep = false;
    for (;;) {
        auto now = cpu_clock_ns(clock);
        if (now.is_error() || now.value() >= target)
            return 0;  // reached, or its thread or process is gone (Linux ends the sleep then too)
        uint64_t wait = target - now.value();
        if (!(clock < 0 && (clock & abi::k_cpuclock_perthread)) && wait > k_process_clock_poll_ns)
            wait = k_process_clock_poll_ns;
        if (sched::sleep_interruptible_until(time::deadline_after(arch::monotonic_ns(), wait)))
            continue;
        task.sleep_deadline_ns = target;
        auto at_signal = cpu_clock_ns(clock);
        uint64_t left = !at_signal.is_error() && at_signal.value() < target ? target - at_signal.value() : 1;
        if (!absolute && args.a[3] &&
            mm::write_user(args.ptr<abi::Timespec>(3), to_timespec(left)).is_error())
            return error_result(Error::Fault);
        return error_result(Error::Interrupted);
    }
}

}  // namespace

int64_t sys_clock_gettime(const SyscallArgs& args) {
    auto now = clock_now_ns(static_cast<int>(args.a[0]));
    if (now.is_error())
        return error_result(now.error());
    return to_result(mm::write_user(args.ptr<abi::Timespec>(1), to_timespec(now.value())));
}

int64_t sys_clock_getres(const SyscallArgs& args) {
    auto now = clock_now_ns(static_cast<int>(args.a[0]));
    if (now.is_error())
        return error_result(now.error());
    if (args.a[1] == 0)
        return 0;
    uint64_t frequency = arch::counter_frequency();
    uint64_t resolution = (k_ns_per_second + frequency - 1) / frequency;
    return to_result(mm::write_user(args.ptr<abi::Timespec>(1), to_timespec(resolution)));
}

namespace {

// settimeofday's time zone (Linux's sys_tz): kept and given back, nothing
// else uses it. Both halves change together under no lock: a reader may
// see one from before and one from after a concurrent change, as on Linux.
constinit abi::Timezone g_time_zone {};

// Linux's do_sys_settimeofday64, in its order: EINVAL for a bad time,
// EPERM without CAP_SYS_TIME, EINVAL for a zone beyond +-15 hours, EINVAL
// for a time before the machine started.
ErrorOr<void> set_time_of_day(std::optional<uint64_t> realtime_ns, const abi::Timezone* zone) {
    if (realtime_ns && *realtime_ns > static_cast<uint64_t>(INT64_MAX))
        return Error::Invalid;
    if (!proc::current_capable(proc::Capability::SysTime))
        return Error::NotPermitted;
    if (zone) {
        if (zone->minuteswest > 15 * 60 || zone->minuteswest < -15 * 60)
            return Error::Invalid;
        __atomic_store_n(&g_time_zone.minuteswest, zone->minuteswest, __ATOMIC_RELAXED);
        __atomic_store_n(&g_time_zone.dsttime, zone->dsttime, __ATOMIC_RELAXED);
    }
    if (realtime_ns)
        TRY(time::set_realtime_ns(*realtime_ns));
    return {};
}

ErrorOr<void> settimeofday(const SyscallArgs& args) {
    std::optional<uint64_t> realtime;
    if (args.a[0] != 0) {
        auto value = TRY(mm::read_user(args.ptr<const abi::Timeval>(0)));
        if (value.usec < 0 || value.usec >= 1'000'000 || value.sec < 0)
            return Error::Invalid;
        realtime = TRY(time::timespec_ns(value.sec, value.usec * 1000));
    }
    std::optional<abi::Timezone> zone;
    if (args.a[1] != 0)
        zone = TRY(mm::read_user(args.ptr<const abi::Timezone>(1)));
    return set_time_of_day(realtime, zone ? &*zone : nullptr);
}

// clock_settime: CLOCK_REALTIME only; the clocks that cannot be set are
// EINVAL before the time is read, a CPU-time clock named by PID or TID
// EPERM (Linux's posix_cpu_clock_set), as Linux.
ErrorOr<void> clock_settime(const SyscallArgs& args) {
    int clock = static_cast<int>(args.a[0]);
    if (clock < 0) {
        TRY(cpu_clock_ns(clock));  // EINVAL for one that names nothing
        return Error::NotPermitted;
    }
    if (clock != abi::k_clock_realtime)
        return Error::Invalid;
    uint64_t realtime = TRY(read_timespec_ns(args.ptr<const abi::Timespec>(1)));
    return set_time_of_day(realtime, nullptr);
}

// adjtimex and clock_adjtime(CLOCK_REALTIME): the state of a clock no NTP
// daemon disciplines, as Linux reports it until one has (ntp_clear's
// values): unsynchronised (STA_UNSYNC, so TIME_ERROR), both error bounds
// at their 16 s limit, no offset or frequency correction, nothing left of
// an adjtime(3) slew (so a slew of 0, cancelling it, is done as asked).
// Reading is for anyone. Changing anything needs
// CAP_SYS_TIME, and Linux's checks of the request come first (EINVAL,
// EPERM, in its order: timekeeping_validate_timex); then it is EOPNOTSUPP,
// even for root: there is no clock discipline to change, and a success
// that changed nothing would lie. Modes Linux does not know are ignored,
// as there.
ErrorOr<int64_t> adjust_realtime(abi::Timex& request) {
    constexpr uint32_t k_changing_modes = abi::k_adj_offset | abi::k_adj_frequency | abi::k_adj_maxerror |
                                          abi::k_adj_esterror | abi::k_adj_status | abi::k_adj_timeconst |
                                          abi::k_adj_tai | abi::k_adj_setoffset | abi::k_adj_micro |
                                          abi::k_adj_nano | abi::k_adj_tick;
    constexpr int64_t k_ppm_scale = int64_t { 1000 } << 16;  // Linux's PPM_SCALE
    constexpr int64_t k_user_hz = 100;
    uint32_t modes = request.modes;
    bool root = proc::current_capable(proc::Capability::SysTime);
    bool changes;
    if (modes & abi::k_adj_adjtime) {
        if (!(modes & abi::k_adj_offset))
            return Error::Invalid;
        changes = !(modes & abi::k_adj_offset_readonly);
        if (changes && !root)
            return Error::NotPermitted;
        // A slew of 0 cancels the one under way: there is none to cancel,
        // so it is done (stress-ng's get stressor asks for it).
        if (request.offset == 0)
            changes = false;
    } else {
        if (modes && !root)
            return Error::NotPermitted;
        if ((modes & abi::k_adj_tick) &&
            (request.tick < 900000 / k_user_hz || request.tick > 1100000 / k_user_hz))
            return Error::Invalid;
        changes = (modes & k_changing_modes) != 0;
    }
    if (modes & abi::k_adj_setoffset) {
        if (!root)
            return Error::NotPermitted;
        int64_t limit = (modes & abi::k_adj_nano) ? 1'000'000'000 : 1'000'000;
        if (request.time.usec < 0 || request.time.usec >= limit)
            return Error::Invalid;
    }
    if ((modes & abi::k_adj_frequency) &&
        (request.freq < INT64_MIN / k_ppm_scale || request.freq > INT64_MAX / k_ppm_scale))
        return Error::Invalid;
    if (changes) {
        static bool logged = false;
        if (!__atomic_exchange_n(&logged, true, __ATOMIC_RELAXED))
            kprintln("[Time] adjtimex: modes {:#x} would change the clock's discipline, which Akuma has not: "
                     "EOPNOTSUPP (further requests not logged)", modes);
        return Error::NotSupported;
    }
    constexpr int64_t k_ntp_phase_limit_us = 16'000'000;  // Linux's NTP_PHASE_LIMIT
    // Every field Linux reports (the padding and the reserved words go
    // back as they came, as there).
    request.offset = 0;
    request.freq = 0;
    request.maxerror = k_ntp_phase_limit_us;
    request.esterror = k_ntp_phase_limit_us;
    request.status = abi::k_sta_unsync;
    request.constant = 2;             // Linux's initial time_constant
    request.precision = 1;            // ns (a high-resolution clock)
    request.tolerance = 500 << 16;    // MAXFREQ, 500 ppm, scaled by 2^16
    request.time = to_timeval(time::realtime_now_ns());
    request.tick = 1'000'000 / k_user_hz;
    request.ppsfreq = request.jitter = request.stabil = 0;  // no pulse-per-second source
    request.jitcnt = request.calcnt = request.errcnt = request.stbcnt = 0;
    request.shift = 0;
    request.tai = 0;
    return abi::k_time_error;
}

// clock_adjtime: CLOCK_REALTIME only. The request is read first (EFAULT
// before anything else, as Linux), then the clock: a clock that exists
// but cannot be adjusted (all others, CPU-time clocks included) is
// EOPNOTSUPP, one that does not exist (and a clock device: there are
// none) EINVAL.
ErrorOr<int64_t> clock_adjtime(int clock, mm::UserPtr<abi::Timex> user_request) {
    abi::Timex request = TRY(mm::read_user(user_request));
    if (clock != abi::k_clock_realtime) {
        bool clock_device = clock < 0 && (clock & (abi::k_cpuclock_which_mask | abi::k_cpuclock_perthread)) ==
                                             abi::k_cpuclock_which_mask;
        bool known = clock < 0 ? !clock_device : clock <= abi::k_clock_tai && clock != 10;  // 10: no longer a clock
        return known ? Error::NotSupported : Error::Invalid;
    }
    int64_t state = TRY(adjust_realtime(request));
    TRY(mm::write_user(user_request, request));
    return state;
}

}  // namespace

int64_t sys_adjtimex(const SyscallArgs& args) {
    return to_result(clock_adjtime(abi::k_clock_realtime, args.ptr<abi::Timex>(0)));
}
int64_t sys_clock_adjtime(const SyscallArgs& args) {
    return to_result(clock_adjtime(static_cast<int>(args.a[0]), args.ptr<abi::Timex>(1)));
}

int64_t sys_gettimeofday(const SyscallArgs& args) {
    if (args.a[0] != 0) {
        uint64_t now = clock_now_ns(abi::k_clock_realtime).value();
        if (mm::write_user(args.ptr<abi::Timeval>(0), to_timeval(now)).is_error())
            return error_result(Error::Fault);
    }
    abi::Timezone zone { __atomic_load_n(&g_time_zone.minuteswest, __ATOMIC_RELAXED),
                         __atomic_load_n(&g_time_zone.dsttime, __ATOMIC_RELAXED) };
    if (args.a[1] != 0 && mm::write_user(args.ptr<abi::Timezone>(1), zone).is_error())
        return error_result(Error::Fault);
    return 0;
}

int64_t sys_settimeofday(const SyscallArgs& args) { return to_result(settimeofday(args)); }
int64_t sys_clock_settime(const SyscallArgs& args) { return to_result(clock_settime(args)); }

int64_t sys_nanosleep(const SyscallArgs& args) {
    auto duration = read_timespec_ns(args.ptr<const abi::Timespec>(0));
    if (duration.is_error())
        return error_result(duration.error());
    uint64_t left = sleep_for(duration.value());
    if (left == 0)
        return 0;
    if (args.a[1] && mm::write_user(args.ptr<abi::Timespec>(1), to_timespec(left)).is_error())
        return error_result(Error::Fault);
    return error_result(Error::Interrupted);
}

int64_t sys_clock_nanosleep(const SyscallArgs& args) {
    int clock = static_cast<int>(args.a[0]);
    if (is_cpu_clock(clock))
        return sleep_on_cpu_clock(args);
    auto now = clock_now_ns(clock);
    if (now.is_error())
        return error_result(now.error());
    auto value = read_timespec_ns(args.ptr<const abi::Timespec>(2));
    if (value.is_error())
        return error_result(value.error());
    uint64_t duration = value.value();
    if (args.a[1] & abi::k_timer_abstime)
        duration = value.value() > now.value() ? value.value() - now.value() : 0;
    uint64_t left = sleep_for(duration);
    if (left == 0)
        return 0;
    if (!(args.a[1] & abi::k_timer_abstime) && args.a[3] &&
        mm::write_user(args.ptr<abi::Timespec>(3), to_timespec(left)).is_error())
        return error_result(Error::Fault);
    return error_result(Error::Interrupted);
}

}  // namespace akuma::sys
