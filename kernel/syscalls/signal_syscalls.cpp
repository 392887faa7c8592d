// Signal system calls: actions, masks, alternate stacks, sending, waiting,
// and the return from a handler.
#include <optional>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/time_helpers.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

bool valid_signal(int signal) { return signal >= 1 && signal <= static_cast<int>(proc::k_signal_count); }

using time::k_ns_per_us;

ErrorOr<uint64_t> timeval_ns(const abi::Timeval& value) { return time::timeval_ns(value.sec, value.usec); }

abi::Timeval to_timeval(uint64_t ns) {
    // Rounded up, as Linux does, so a pending timer never reads as zero.
    uint64_t us = (ns + k_ns_per_us - 1) / k_ns_per_us;
    return { static_cast<int64_t>(us / 1'000'000), static_cast<int64_t>(us % 1'000'000) };
}

abi::Itimerval to_itimerval(const proc::IntervalTimer& timer) {
    return { to_timeval(timer.interval_ns), to_timeval(timer.value_ns) };
}

}  // namespace

int64_t sys_rt_sigaction(const SyscallArgs& args) {
    int signal = static_cast<int>(args.a[0]);
    if (args.a[3] != sizeof(abi::Sigset) || !valid_signal(signal))
        return error_result(Error::Invalid);
    std::optional<abi::KernelSigaction> requested;
    if (args.a[1] != 0) {
        auto value = mm::read_user(args.ptr<const abi::KernelSigaction>(1));
        if (value.is_error())
            return error_result(value.error());
        if (signal == abi::k_sigkill || signal == abi::k_sigstop)
            return error_result(Error::Invalid);
        requested = value.value();
    }
    proc::Process& process = current();
    abi::KernelSigaction previous;
    {
        sched::SchedulerLockGuard guard;
        auto& action = process.actions[signal - 1];
        previous = { action.handler, action.flags, action.restorer, action.mask };
        if (requested) {
            constexpr uint64_t k_unblockable = abi::sigset_bit(abi::k_sigkill) | abi::sigset_bit(abi::k_sigstop);
            action = { requested->handler, requested->flags, requested->restorer, requested->mask & ~k_unblockable };
            // Setting SIG_IGN (or SIG_DFL for a default-ignored signal)
            // discards what is pending, as POSIX says.
            bool now_ignored = requested->handler == abi::k_sig_ign ||
                               (requested->handler == abi::k_sig_dfl &&
                                (signal == abi::k_sigchld || signal == abi::k_sigurg || signal == abi::k_sigwinch));
            if (now_ignored) {
                process.pending.discard(signal);
                process.tasks.for_each([&](proc::Task& task) { task.pending.discard(signal); });
            }
        }
    }
    if (args.a[2] != 0)
        return to_result(mm::write_user(args.ptr<abi::KernelSigaction>(2), previous));
    return 0;
}

int64_t sys_rt_sigprocmask(const SyscallArgs& args) {
    if (args.a[3] != sizeof(abi::Sigset))
        return error_result(Error::Invalid);
    abi::Sigset previous = proc::signal_mask();
    if (args.a[1] != 0) {
        auto set = mm::read_user(args.ptr<const abi::Sigset>(1));
        if (set.is_error())
            return error_result(set.error());
        abi::Sigset mask = previous;
        switch (static_cast<int>(args.a[0])) {
        case abi::k_sig_block: mask |= set.value(); break;
        case abi::k_sig_unblock: mask &= ~set.value(); break;
        case abi::k_sig_setmask: mask = set.value(); break;
        default: return error_result(Error::Invalid);
        }
        if (args.a[2] != 0 && mm::write_user(args.ptr<abi::Sigset>(2), previous).is_error())
            return error_result(Error::Fault);
        proc::set_signal_mask(mask);
        return 0;
    }
    if (args.a[2] != 0)
        return to_result(mm::write_user(args.ptr<abi::Sigset>(2), previous));
    return 0;
}

int64_t sys_rt_sigpending(const SyscallArgs& args) {
    if (args.a[1] != sizeof(abi::Sigset))
        return error_result(Error::Invalid);
    return to_result(mm::write_user(args.ptr<abi::Sigset>(0), proc::pending_signals() & proc::signal_mask()));
}

int64_t sys_rt_sigsuspend(const SyscallArgs& args) {
    if (args.a[1] != sizeof(abi::Sigset))
        return error_result(Error::Invalid);
    auto mask = mm::read_user(args.ptr<const abi::Sigset>(0));
    if (mask.is_error())
        return error_result(mask.error());
    proc::set_temporary_signal_mask(mask.value());
    // Sleeps until a signal arrives; the handler runs with the old mask
    // saved in its frame, and the call always fails with EINTR.
    sched::WaitQueue nobody_wakes_this;
    sched::SchedulerLockGuard guard;
    while (nobody_wakes_this.wait_interruptible(guard) != sched::WaitResult::Interrupted) {
    }
    return error_result(Error::Interrupted);
}

int64_t sys_rt_sigreturn(const SyscallArgs& args) {
    proc::signal_return(*args.frame);
    return static_cast<int64_t>(args.frame->x[0]);  // the interrupted code's x0, not a result
}

int64_t sys_sigaltstack(const SyscallArgs& args) {
    proc::Task& task = *proc::current_task();
    uint64_t sp = args.frame->sp;
    bool on_stack = task.altstack.flags != abi::k_ss_disable && sp - task.altstack.sp < task.altstack.size;
    // The new value is read before the old one is written: both may be the
    // same struct (sigaltstack(&ss, &ss) swaps, as on Linux).
    std::optional<abi::SignalStack> requested;
    if (args.a[0] != 0) {
        auto value = mm::read_user(args.ptr<const abi::SignalStack>(0));
        if (value.is_error())
            return error_result(Error::Fault);
        requested = value.value();
    }
    proc::AltStack old_stack = task.altstack;
    if (requested) {
        if (on_stack)
            return error_result(Error::NotPermitted);
        int32_t mode = requested->flags & ~static_cast<int32_t>(abi::k_ss_autodisarm);
        if (mode != 0 && mode != abi::k_ss_disable && mode != abi::k_ss_onstack)
            return error_result(Error::Invalid);
        if (mode == abi::k_ss_disable)
            task.altstack = { 0, 0, abi::k_ss_disable };
        else if (requested->size < abi::k_minsigstksz)
            return error_result(Error::NoMemory);  // ENOMEM, as Linux
        else
            task.altstack = { requested->sp, requested->size,
                              static_cast<int32_t>(requested->flags & abi::k_ss_autodisarm) };
    }
    if (args.a[1] != 0) {
        abi::SignalStack old { old_stack.sp, on_stack ? abi::k_ss_onstack : old_stack.flags, 0, old_stack.size };
        if (old_stack.flags == abi::k_ss_disable)
            old = { 0, abi::k_ss_disable, 0, 0 };
        if (mm::write_user(args.ptr<abi::SignalStack>(1), old).is_error()) {
            task.altstack = old_stack;
            return error_result(Error::Fault);
        }
    }
    return 0;
}

int64_t sys_rt_sigtimedwait(const SyscallArgs& args) {
    if (args.a[3] != sizeof(abi::Sigset))
        return error_result(Error::Invalid);
    auto set = mm::read_user(args.ptr<const abi::Sigset>(0));
    if (set.is_error())
        return error_result(set.error());
    uint64_t deadline = 0;  // none
    if (args.a[2]) {
        auto timeout = read_timespec_ns(args.ptr<const abi::Timespec>(2));
        if (timeout.is_error())
            return error_result(timeout.error());
        // A zero timeout polls: a deadline already passed (0 is "none").
        deadline = timeout.value() ? time::deadline_after(arch::monotonic_ns(), timeout.value()) : 1;
    }
    proc::SignalInfo info {};
    auto signal = proc::wait_for_signal(set.value(), deadline, info);
    if (signal.is_error())
        return error_result(signal.error());
    if (args.a[1]) {
        proc::sigframe::Siginfo out;
        proc::sigframe::fill_siginfo(out, info);
        if (mm::write_user(args.ptr<proc::sigframe::Siginfo>(1), out).is_error())
            return error_result(Error::Fault);
    }
    return signal.value();
}

namespace {

// The three interval timers: ITIMER_REAL (wall clock, SIGALRM), and the
// CPU-time ones, ITIMER_VIRTUAL and ITIMER_PROF (proc/cpu_itimers.h).
ErrorOr<proc::IntervalTimer> interval_timer(int which) {
    switch (which) {
    case abi::k_itimer_real: return proc::real_timer();
    case abi::k_itimer_virtual: return proc::cpu_itimer(proc::CpuItimerKind::Virtual);
    case abi::k_itimer_prof: return proc::cpu_itimer(proc::CpuItimerKind::Prof);
    default: return Error::Invalid;
    }
}

}  // namespace

int64_t sys_getitimer(const SyscallArgs& args) {
    auto current = interval_timer(static_cast<int>(args.a[0]));
    if (current.is_error())
        return error_result(current.error());
    return to_result(mm::write_user(args.ptr<abi::Itimerval>(1), to_itimerval(current.value())));
}

int64_t sys_setitimer(const SyscallArgs& args) {
    int which = static_cast<int>(args.a[0]);
    if (which != abi::k_itimer_real && which != abi::k_itimer_virtual && which != abi::k_itimer_prof)
        return error_result(Error::Invalid);
    proc::IntervalTimer requested {};
    if (args.a[1]) {  // Linux treats a NULL new value as "disarm"
        auto value = mm::read_user(args.ptr<const abi::Itimerval>(1));
        if (value.is_error())
            return error_result(value.error());
        auto start = timeval_ns(value.value().value);
        auto interval = timeval_ns(value.value().interval);
        if (start.is_error() || interval.is_error())
            return error_result(Error::Invalid);
        requested = { start.value(), interval.value() };
    }
    auto old = which == abi::k_itimer_real    ? proc::set_real_timer(requested)
               : which == abi::k_itimer_virtual ? proc::set_cpu_itimer(proc::CpuItimerKind::Virtual, requested)
                                                : proc::set_cpu_itimer(proc::CpuItimerKind::Prof, requested);
    if (args.a[2])
        return to_result(mm::write_user(args.ptr<abi::Itimerval>(2), to_itimerval(old)));
    return 0;
}

int64_t sys_kill(const SyscallArgs& args) {
    int pid = static_cast<int>(args.a[0]);
    int signal = static_cast<int>(args.a[1]);
    if (signal < 0 || signal > static_cast<int>(proc::k_signal_count))
        return error_result(Error::Invalid);
    if (pid > 0)
        return to_result(proc::send_signal(pid, signal));
    if (pid == 0)
        return to_result(proc::send_signal_to_group(current().pgid, signal));
    if (pid == -1)
        return to_result(proc::send_signal_to_all(signal));
    return to_result(proc::send_signal_to_group(-pid, signal));
}

int64_t sys_tkill(const SyscallArgs& args) {
    return to_result(proc::send_signal_to_thread(0, static_cast<int>(args.a[0]), static_cast<int>(args.a[1])));
}

int64_t sys_tgkill(const SyscallArgs& args) {
    int tgid = static_cast<int>(args.a[0]);
    if (tgid <= 0)
        return error_result(Error::Invalid);
    return to_result(proc::send_signal_to_thread(tgid, static_cast<int>(args.a[1]), static_cast<int>(args.a[2])));
}

}  // namespace akuma::sys

// ---- rt_sigqueueinfo(2), rt_tgsigqueueinfo(2): sigqueue(3) ----

namespace akuma::sys {

ErrorOr<proc::SignalInfo> queued_info(uint64_t user, int signal, int target, bool signo_must_match) {
    auto given = TRY(mm::read_user(mm::UserPtr<const proc::sigframe::Siginfo>(user)));
    if (signo_must_match && given.signo != signal)
        return Error::Invalid;
    if ((given.code >= 0 || given.code == abi::k_si_tkill) && target != current().pid)
        return Error::NotPermitted;
    proc::SignalInfo info {};
    info.signo = signal;
    info.code = given.code;
    info.errno_value = given.errno_value;
    info.pid = given.fields.kill.pid;
    info.uid = given.fields.kill.uid;
    info.value = given.fields.kill.value;
    return info;
}

int64_t sys_rt_sigqueueinfo(const SyscallArgs& args) {
    int pid = static_cast<int>(args.a[0]);
    int signal = static_cast<int>(args.a[1]);
    auto info = queued_info(args.a[2], signal, pid, false);
    if (info.is_error())
        return error_result(info.error());
    return to_result(proc::send_signal(pid, signal, &info.value()));
}

int64_t sys_rt_tgsigqueueinfo(const SyscallArgs& args) {
    int tgid = static_cast<int>(args.a[0]);
    int tid = static_cast<int>(args.a[1]);
    int signal = static_cast<int>(args.a[2]);
    if (tgid <= 0 || tid <= 0)
        return error_result(Error::Invalid);
    auto info = queued_info(args.a[3], signal, tgid, false);
    if (info.is_error())
        return error_result(info.error());
    return to_result(proc::send_signal_to_thread(tgid, tid, signal, &info.value()));
}

}  // namespace akuma::sys
