// POSIX timers: timer_create, timer_settime, timer_gettime,
// timer_getoverrun, timer_delete (kernel/proc/posix_timers.h keeps them).
// Argument checks come in Linux's order.
#include "kernel/proc/posix_timers.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/time_helpers.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

constexpr uint32_t k_timer_abstime = 1;

ErrorOr<int> timer_create(const SyscallArgs& args) {
    int clock = static_cast<int>(args.a[0]);
    // No sigevent: SIGALRM to the process, its value the timer's ID.
    proc::TimerNotification notification { abi::k_sigev_signal, abi::k_sigalrm, 0, 0, true };
    if (args.a[1] != 0) {
        auto event = TRY(mm::read_user(args.ptr<const abi::Sigevent>(1)));
        notification = { event.notify, event.signo, event.value, event.thread_id, false };
    }
    int id = TRY(proc::create_posix_timer(clock, notification));
    if (mm::write_user(args.ptr<int32_t>(2), static_cast<int32_t>(id)).is_error()) {
        (void)proc::delete_posix_timer(id);
        return Error::Fault;
    }
    return 0;
}

ErrorOr<int> timer_settime(const SyscallArgs& args) {
    int id = static_cast<int>(args.a[0]);
    auto flags = static_cast<uint32_t>(args.a[1]);
    if (args.a[2] == 0)
        return Error::Invalid;
    auto requested = TRY(read_itimerspec_ns(args.ptr<const abi::Itimerspec>(2)));
    auto old = TRY(proc::set_posix_timer(id, { requested.value_ns, requested.interval_ns }, flags & k_timer_abstime));
    if (args.a[3] != 0)
        TRY(mm::write_user(args.ptr<abi::Itimerspec>(3), to_itimerspec(old.value_ns, old.interval_ns)));
    return 0;
}

ErrorOr<int> timer_gettime(const SyscallArgs& args) {
    auto current = TRY(proc::get_posix_timer(static_cast<int>(args.a[0])));
    TRY(mm::write_user(args.ptr<abi::Itimerspec>(1), to_itimerspec(current.value_ns, current.interval_ns)));
    return 0;
}

}  // namespace

int64_t sys_timer_create(const SyscallArgs& args) { return to_result(timer_create(args)); }
int64_t sys_timer_settime(const SyscallArgs& args) { return to_result(timer_settime(args)); }
int64_t sys_timer_gettime(const SyscallArgs& args) { return to_result(timer_gettime(args)); }
int64_t sys_timer_getoverrun(const SyscallArgs& args) {
    return to_result(proc::posix_timer_overrun(static_cast<int>(args.a[0])));
}
int64_t sys_timer_delete(const SyscallArgs& args) {
    return to_result(proc::delete_posix_timer(static_cast<int>(args.a[0])));
}

}  // namespace akuma::sys
