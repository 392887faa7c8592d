// Process identity, exit, limits, signals (default actions), futex, random.
#include "kernel/arch/aarch64/timer.h"
#include "kernel/lib/random.h"
#include "kernel/proc/futex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

constexpr abi::Sigset k_unblockable = abi::sigset_bit(abi::k_sigkill) | abi::sigset_bit(abi::k_sigstop);

void copy_field(char* field, const char* text) {
    size_t i = 0;
    for (; text[i] && i + 1 < abi::k_utsname_field_size; ++i)
        field[i] = text[i];
    field[i] = '\0';
}

}  // namespace

int64_t sys_exit(const SyscallArgs& args) {
    // One thread per process for now: ending the thread ends the process.
    proc::exit_current(static_cast<int>((args.a[0] & 0xff) << 8));
}

int64_t sys_exit_group(const SyscallArgs& args) { proc::exit_current(static_cast<int>((args.a[0] & 0xff) << 8)); }

int64_t sys_getpid(const SyscallArgs&) { return current().pid; }
int64_t sys_gettid(const SyscallArgs&) { return current().pid; }  // the main thread's TID is the PID
int64_t sys_getppid(const SyscallArgs&) { return current().parent_pid; }
int64_t sys_getuid(const SyscallArgs&) { return 0; }
int64_t sys_geteuid(const SyscallArgs&) { return 0; }
int64_t sys_getgid(const SyscallArgs&) { return 0; }
int64_t sys_getegid(const SyscallArgs&) { return 0; }

int64_t sys_getresuid(const SyscallArgs& args) {
    for (unsigned i = 0; i < 3; ++i) {
        if (mm::write_user(args.ptr<uint32_t>(i), 0u).is_error())
            return error_result(Error::Fault);
    }
    return 0;
}

int64_t sys_getresgid(const SyscallArgs& args) { return sys_getresuid(args); }

int64_t sys_set_tid_address(const SyscallArgs& args) {
    current().clear_child_tid = args.a[0];
    return current().pid;
}

int64_t sys_set_robust_list(const SyscallArgs& args) {
    if (args.a[1] != 24)  // sizeof(struct robust_list_head)
        return error_result(Error::Invalid);
    current().robust_list = args.a[0];
    return 0;
}

int64_t sys_prctl(const SyscallArgs& args) {
    constexpr int k_pr_set_name = 15;
    constexpr int k_pr_get_name = 16;
    auto& process = current();
    switch (static_cast<int>(args.a[0])) {
    case k_pr_set_name: {
        // The name is at most 15 bytes; longer ones are cut, as on Linux.
        char name[proc::Process::k_name_size] = {};
        for (size_t i = 0; i + 1 < sizeof(name); ++i) {
            auto c = mm::read_user(args.ptr<const char>(1).offset(i));
            if (c.is_error())
                return error_result(Error::Fault);
            if (c.value() == '\0')
                break;
            name[i] = c.value();
        }
        __builtin_memcpy(process.name, name, sizeof(name));
        return 0;
    }
    case k_pr_get_name:
        return to_result(mm::copy_to_user(args.ptr<void>(1), process.name, sizeof(process.name)));
    default:
        return error_result(Error::Invalid);  // options Akuma does not support
    }
}

int64_t sys_rseq(const SyscallArgs&) {
    // Restartable sequences are optional for glibc (it falls back when
    // registration fails with ENOSYS).
    return error_result(Error::NotImplemented);
}

int64_t sys_uname(const SyscallArgs& args) {
    abi::Utsname name {};
    copy_field(name.sysname, "Akuma");
    copy_field(name.nodename, "akuma");
    copy_field(name.release, "0.5.0");
    copy_field(name.version, "#1 SMP-less Akuma");
    copy_field(name.machine, "aarch64");
    copy_field(name.domainname, "(none)");
    return to_result(mm::write_user(args.ptr<abi::Utsname>(0), name));
}

int64_t sys_prlimit64(const SyscallArgs& args) {
    int pid = static_cast<int>(args.a[0]);
    if (pid != 0 && pid != current().pid)
        return error_result(Error::NoSuchProcess);
    unsigned resource = static_cast<unsigned>(args.a[1]);
    if (resource >= abi::k_rlim_nlimits)
        return error_result(Error::Invalid);
    if (args.a[2] != 0) {
        auto requested = mm::read_user(args.ptr<const abi::Rlimit>(2));
        if (requested.is_error())
            return error_result(Error::Fault);
        if (requested.value().cur > requested.value().max)
            return error_result(Error::Invalid);
        return error_result(Error::NotPermitted);  // limits are fixed for now (no setrlimit)
    }
    abi::Rlimit limit { abi::k_rlim_infinity, abi::k_rlim_infinity };
    switch (resource) {
    case abi::k_rlimit_stack: limit = { 8ull << 20, abi::k_rlim_infinity }; break;
    case abi::k_rlimit_nofile: limit = { 1024, 1024 }; break;
    case abi::k_rlimit_core: limit = { 0, abi::k_rlim_infinity }; break;
    default: break;
    }
    if (args.a[3] != 0)
        return to_result(mm::write_user(args.ptr<abi::Rlimit>(3), limit));
    return 0;
}

int64_t sys_sched_yield(const SyscallArgs&) {
    sched::yield();
    return 0;
}

int64_t sys_getrandom(const SyscallArgs& args) {
    uint32_t flags = static_cast<uint32_t>(args.a[2]);
    if (flags & ~(abi::k_grnd_nonblock | abi::k_grnd_random | abi::k_grnd_insecure))
        return error_result(Error::Invalid);
    size_t count = args.a[1] < 0x2000000 ? args.a[1] : 0x2000000;  // Linux caps one call at 32 MiB
    if (count > 0) {
        // A buffer running into an unmapped page gets what fits (as Linux).
        count = current().space->accessible_prefix(args.a[0], count, true);
        if (count == 0)
            return error_result(Error::Fault);
    }
    uint8_t chunk[256];
    size_t done = 0;
    while (done < count) {
        size_t step = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
        random_fill({ chunk, step });
        if (mm::copy_to_user(args.ptr<void>(0).offset(done), chunk, step).is_error())
            return done ? static_cast<int64_t>(done) : error_result(Error::Fault);
        done += step;
    }
    return static_cast<int64_t>(done);
}

int64_t sys_rt_sigaction(const SyscallArgs& args) {
    int signal = static_cast<int>(args.a[0]);
    if (args.a[3] != sizeof(abi::Sigset) || signal < 1 || signal > static_cast<int>(proc::k_signal_count))
        return error_result(Error::Invalid);
    auto& action = current().actions[signal - 1];
    abi::KernelSigaction previous { action.handler, action.flags, action.restorer, action.mask };
    if (args.a[1] != 0) {
        auto requested = mm::read_user(args.ptr<const abi::KernelSigaction>(1));
        if (requested.is_error())
            return error_result(requested.error());
        if (signal == abi::k_sigkill || signal == abi::k_sigstop)
            return error_result(Error::Invalid);
        const auto& value = requested.value();
        action = { value.handler, value.flags, value.restorer, value.mask & ~k_unblockable };
        if (value.handler == abi::k_sig_ign)
            current().pending_signals &= ~abi::sigset_bit(signal);
    }
    if (args.a[2] != 0)
        return to_result(mm::write_user(args.ptr<abi::KernelSigaction>(2), previous));
    return 0;
}

int64_t sys_rt_sigprocmask(const SyscallArgs& args) {
    if (args.a[3] != sizeof(abi::Sigset))
        return error_result(Error::Invalid);
    auto& process = current();
    abi::Sigset previous = process.signal_mask;
    if (args.a[1] != 0) {
        auto set = mm::read_user(args.ptr<const abi::Sigset>(1));
        if (set.is_error())
            return error_result(set.error());
        switch (static_cast<int>(args.a[0])) {
        case abi::k_sig_block: process.signal_mask |= set.value(); break;
        case abi::k_sig_unblock: process.signal_mask &= ~set.value(); break;
        case abi::k_sig_setmask: process.signal_mask = set.value(); break;
        default: return error_result(Error::Invalid);
        }
        process.signal_mask &= ~k_unblockable;
    }
    if (args.a[2] != 0 && mm::write_user(args.ptr<abi::Sigset>(2), previous).is_error()) {
        process.signal_mask = previous;
        return error_result(Error::Fault);
    }
    return 0;
}

int64_t sys_rt_sigpending(const SyscallArgs& args) {
    if (args.a[1] != sizeof(abi::Sigset))
        return error_result(Error::Invalid);
    return to_result(mm::write_user(args.ptr<abi::Sigset>(0), current().pending_signals));
}

int64_t sys_sigaltstack(const SyscallArgs& args) {
    // No handler ever runs yet (issue 6), so no alternate stack is in use:
    // report "disabled" and refuse to pretend one was installed.
    if (args.a[1] != 0) {
        abi::SignalStack old { 0, abi::k_ss_disable, 0, 0 };
        if (mm::write_user(args.ptr<abi::SignalStack>(1), old).is_error())
            return error_result(Error::Fault);
    }
    if (args.a[0] != 0)
        return error_result(Error::NotImplemented);
    return 0;
}

int64_t sys_kill(const SyscallArgs& args) {
    int pid = static_cast<int>(args.a[0]);
    int signal = static_cast<int>(args.a[1]);
    if (signal < 0 || signal > static_cast<int>(proc::k_signal_count))
        return error_result(Error::Invalid);
    if (pid == 0 || pid == -1)
        pid = current().pid;  // no process groups or other processes to reach yet (issue 6)
    if (pid < 0)
        pid = -pid;
    return to_result(proc::send_signal(pid, signal));
}

int64_t sys_tkill(const SyscallArgs& args) {
    int tid = static_cast<int>(args.a[0]);
    if (tid <= 0)
        return error_result(Error::Invalid);
    SyscallArgs forwarded { { args.a[0], args.a[1], 0, 0, 0, 0 } };
    return sys_kill(forwarded);
}

int64_t sys_tgkill(const SyscallArgs& args) {
    int tgid = static_cast<int>(args.a[0]);
    int tid = static_cast<int>(args.a[1]);
    if (tgid <= 0 || tid <= 0)
        return error_result(Error::Invalid);
    if (tgid != tid)
        return error_result(Error::NoSuchProcess);  // one thread per process: TID == PID
    SyscallArgs forwarded { { args.a[1], args.a[2], 0, 0, 0, 0 } };
    return sys_kill(forwarded);
}

int64_t sys_futex(const SyscallArgs& args) {
    uint32_t op = static_cast<uint32_t>(args.a[1]);
    uint32_t command = op & abi::k_futex_cmd_mask;
    uint64_t address = args.a[0];
    if (address & 3)
        return error_result(Error::Invalid);
    switch (command) {
    case abi::k_futex_wait:
    case abi::k_futex_wait_bitset: {
        if (command == abi::k_futex_wait_bitset && static_cast<uint32_t>(args.a[5]) == 0)
            return error_result(Error::Invalid);
        std::optional<uint64_t> timeout;
        if (args.a[3] != 0) {
            auto time = mm::read_user(args.ptr<const abi::Timespec>(3));
            if (time.is_error())
                return error_result(time.error());
            if (time.value().sec < 0 || time.value().nsec < 0 || time.value().nsec >= 1'000'000'000)
                return error_result(Error::Invalid);
            uint64_t nanoseconds = static_cast<uint64_t>(time.value().sec) * 1'000'000'000 +
                                   static_cast<uint64_t>(time.value().nsec);
            if (command == abi::k_futex_wait_bitset) {
                // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time.
                uint64_t now = arch::monotonic_ns();
                nanoseconds = nanoseconds > now ? nanoseconds - now : 0;
            }
            timeout = nanoseconds;
        }
        return to_result(proc::futex_wait(current().space, address, static_cast<uint32_t>(args.a[2]), timeout));
    }
    case abi::k_futex_wake:
    case abi::k_futex_wake_bitset:
        if (command == abi::k_futex_wake_bitset && static_cast<uint32_t>(args.a[5]) == 0)
            return error_result(Error::Invalid);
        return static_cast<int64_t>(proc::futex_wake(current().space, address, static_cast<uint32_t>(args.a[2])));
    default: return error_result(Error::NotImplemented);
    }
}

int64_t sys_clone(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)
int64_t sys_clone3(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)
int64_t sys_execve(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)
int64_t sys_execveat(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)
int64_t sys_rt_sigreturn(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)
int64_t sys_rt_sigsuspend(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)
int64_t sys_setpgid(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)
int64_t sys_getpgid(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)
int64_t sys_getsid(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)
int64_t sys_setsid(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)
int64_t sys_reboot(const SyscallArgs&) { return error_result(Error::NotImplemented); }  // TODO(issue 6)

}  // namespace akuma::sys
