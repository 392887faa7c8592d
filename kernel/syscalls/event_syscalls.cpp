// The event files (kernel/events): eventfd2, epoll_create1, epoll_ctl,
// epoll_pwait, epoll_pwait2, timerfd_create, timerfd_settime,
// timerfd_gettime, signalfd4, inotify_init1, inotify_add_watch,
// inotify_rm_watch. Argument checks come in Linux's order, so a
// call with several things wrong fails as it would there.
#include "kernel/events/epoll.h"
#include "kernel/events/eventfd.h"
#include "kernel/events/inotify.h"
#include "kernel/events/pidfd.h"
#include "kernel/events/signalfd.h"
#include "kernel/events/timerfd.h"
#include "kernel/fs/permission.h"
#include "kernel/fs/pseudo_file_systems.h"
#include "kernel/fs/vfs.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/process_inspection.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/wait_helpers.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

constexpr uint32_t k_efd_semaphore = 1;
constexpr uint32_t k_tfd_timer_abstime = 1;
constexpr int k_epoll_max_events = 0x7fffffff / static_cast<int>(sizeof(events::EpollEvent));

// A new event file on the lowest free descriptor (released on failure).
ErrorOr<int> install_new(ErrorOr<fs::File*> file, bool close_on_exec) {
    fs::File* created = TRY(std::move(file));
    auto fd = current().files->install(created, close_on_exec);
    if (fd.is_error())
        fs::release(created);
    return fd;
}

// The description flags of a new event file: read-write, O_NONBLOCK if asked.
uint32_t file_flags(uint32_t flags) { return abi::k_o_rdwr | (flags & abi::k_o_nonblock); }

ErrorOr<int> eventfd2(const SyscallArgs& args) {
    auto initial = static_cast<uint32_t>(args.a[0]);
    auto flags = static_cast<uint32_t>(args.a[1]);
    if (flags & ~(k_efd_semaphore | abi::k_o_cloexec | abi::k_o_nonblock))
        return Error::Invalid;
    return install_new(events::create_eventfd(initial, flags & k_efd_semaphore, file_flags(flags)),
                       flags & abi::k_o_cloexec);
}

ErrorOr<int> epoll_create1(const SyscallArgs& args) {
    auto flags = static_cast<uint32_t>(args.a[0]);
    if (flags & ~abi::k_o_cloexec)
        return Error::Invalid;
    return install_new(events::create_epoll(), flags & abi::k_o_cloexec);
}

ErrorOr<void> epoll_ctl(const SyscallArgs& args) {
    int op = static_cast<int>(args.a[1]);
    int fd = static_cast<int>(args.a[2]);
    events::EpollEvent event {};
    if (op != static_cast<int>(events::EpollOp::Remove))
        event = TRY(mm::read_user(args.ptr<const events::EpollEvent>(3)));
    auto epoll_file = TRY(FileRef::from_fd(static_cast<int>(args.a[0])));
    auto target = TRY(FileRef::from_fd(fd));
    if (!target->poll_queue())
        return Error::NotPermitted;  // no poll method
    events::EpollFile* epoll = events::as_epoll(*epoll_file);
    if (!epoll || &*epoll_file == &*target)
        return Error::Invalid;
    if (op < static_cast<int>(events::EpollOp::Add) || op > static_cast<int>(events::EpollOp::Modify))
        return Error::Invalid;
    return events::epoll_control(*epoll, static_cast<events::EpollOp>(op), *target, fd, event);
}

// epoll_pwait and epoll_pwait2 after their timeouts are read.
ErrorOr<size_t> epoll_wait_common(const SyscallArgs& args, bool no_wait, uint64_t deadline_ns) {
    TRY(apply_signal_mask(args.ptr<const abi::Sigset>(4), args.a[5]));
    int max_events = static_cast<int>(args.a[2]);
    if (max_events <= 0 || max_events > k_epoll_max_events)
        return Error::Invalid;
    if (!mm::is_user_range(mm::untag_user_address(args.a[1]),
                           static_cast<uint64_t>(max_events) * sizeof(events::EpollEvent)))
        return Error::Fault;
    auto epoll_file = TRY(FileRef::from_fd(static_cast<int>(args.a[0])));
    events::EpollFile* epoll = events::as_epoll(*epoll_file);
    if (!epoll)
        return Error::Invalid;
    return events::epoll_wait(*epoll, args.a[1], max_events, no_wait, deadline_ns);
}

ErrorOr<size_t> epoll_pwait(const SyscallArgs& args) {
    int timeout_ms = static_cast<int>(args.a[3]);
    uint64_t deadline = 0;  // negative: for ever
    if (timeout_ms > 0)
        deadline = time::deadline_after(arch::monotonic_ns(), static_cast<uint64_t>(timeout_ms) * 1'000'000);
    return epoll_wait_common(args, timeout_ms == 0, deadline);
}

ErrorOr<size_t> epoll_pwait2(const SyscallArgs& args) {
    Timeout timeout = TRY(read_timeout(args.ptr<const abi::Timespec>(3)));
    return epoll_wait_common(args, timeout.zero, timeout.deadline_ns);
}

ErrorOr<int> timerfd_create(const SyscallArgs& args) {
    auto flags = static_cast<uint32_t>(args.a[1]);
    if (flags & ~(abi::k_o_cloexec | abi::k_o_nonblock))
        return Error::Invalid;
    return install_new(events::create_timerfd(static_cast<int>(args.a[0]), file_flags(flags)),
                       flags & abi::k_o_cloexec);
}

abi::Itimerspec to_itimerspec_of(const events::TimerSetting& setting) {
    return to_itimerspec(setting.value_ns, setting.interval_ns);
}

ErrorOr<void> timerfd_settime(const SyscallArgs& args) {
    auto flags = static_cast<uint32_t>(args.a[1]);
    auto requested = TRY(mm::read_user(args.ptr<const abi::Itimerspec>(2)));
    // TFD_TIMER_CANCEL_ON_SET: clock_settime does not yet tell timers it
    // moved the real-time clock, so a cancel could never come; refused
    // rather than ignored (the issue allows EINVAL here).
    if (flags & ~k_tfd_timer_abstime)
        return Error::Invalid;
    events::TimerSetting setting {
        TRY(time::timespec_ns(requested.value.sec, requested.value.nsec)),
        TRY(time::timespec_ns(requested.interval.sec, requested.interval.nsec)),
    };
    auto file = TRY(FileRef::from_fd(static_cast<int>(args.a[0])));
    events::TimerFile* timer = events::as_timerfd(*file);
    if (!timer)
        return Error::Invalid;
    events::TimerSetting old = events::timerfd_set(*timer, setting, flags & k_tfd_timer_abstime);
    if (args.a[3] != 0)
        TRY(mm::write_user(args.ptr<abi::Itimerspec>(3), to_itimerspec_of(old)));
    return {};
}

ErrorOr<void> timerfd_gettime(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(static_cast<int>(args.a[0])));
    events::TimerFile* timer = events::as_timerfd(*file);
    if (!timer)
        return Error::Invalid;
    return mm::write_user(args.ptr<abi::Itimerspec>(1), to_itimerspec_of(events::timerfd_get(*timer)));
}

ErrorOr<int> signalfd4(const SyscallArgs& args) {
    int fd = static_cast<int>(args.a[0]);
    if (args.a[2] != sizeof(abi::Sigset))
        return Error::Invalid;
    uint64_t mask = TRY(mm::read_user(args.ptr<const abi::Sigset>(1)));
    auto flags = static_cast<uint32_t>(args.a[3]);
    if (flags & ~(abi::k_o_cloexec | abi::k_o_nonblock))
        return Error::Invalid;
    if (fd == -1)
        return install_new(events::create_signalfd(mask, file_flags(flags)), flags & abi::k_o_cloexec);
    auto file = TRY(FileRef::from_fd(fd));
    events::SignalFile* signals = events::as_signalfd(*file);
    if (!signals)
        return Error::Invalid;
    events::signalfd_set_mask(*signals, mask);
    return fd;
}

// pidfd_open(pid, flags): PIDFD_NONBLOCK (O_NONBLOCK) only; always
// close-on-exec, as Linux makes pidfds.
ErrorOr<int> pidfd_open(const SyscallArgs& args) {
    int pid = static_cast<int>(args.a[0]);
    auto flags = static_cast<uint32_t>(args.a[1]);
    if ((flags & ~abi::k_o_nonblock) || pid <= 0)
        return Error::Invalid;
    {
        sched::SchedulerLockGuard guard;
        if (!proc::find_process_locked(pid))
            return Error::NoSuchProcess;
    }
    return install_new(events::create_pidfd(pid, file_flags(flags)), true);
}

// pidfd_send_signal(pidfd, sig, info, flags): kill(2) through a pidfd, or
// rt_sigqueueinfo's rules with a siginfo. As on Linux, a descriptor of a
// /proc/<pid> directory serves as a pidfd here (and only here).
ErrorOr<void> pidfd_send_signal(const SyscallArgs& args) {
    int signal = static_cast<int>(args.a[1]);
    if (args.a[3] != 0)
        return Error::Invalid;
    auto file = TRY(FileRef::from_fd(static_cast<int>(args.a[0])));
    std::optional<int> pid = events::pidfd_pid(*file);
    if (!pid && file->inode())
        pid = fs::procfs_process_directory(*file->inode());
    if (!pid)
        return Error::BadFd;
    if (args.a[2] == 0)
        return proc::send_signal(*pid, signal);
    proc::SignalInfo info = TRY(queued_info(args.a[2], signal, *pid, true));
    return proc::send_signal(*pid, signal, &info);
}

ErrorOr<int> inotify_init1(const SyscallArgs& args) {
    auto flags = static_cast<uint32_t>(args.a[0]);
    if (flags & ~(abi::k_o_cloexec | abi::k_o_nonblock))  // IN_CLOEXEC, IN_NONBLOCK
        return Error::Invalid;
    return install_new(events::create_inotify(abi::k_o_rdonly | (flags & abi::k_o_nonblock)),
                       flags & abi::k_o_cloexec);
}

// Linux's order: the mask, the descriptor, its kind, then the path (followed
// unless IN_DONT_FOLLOW, a directory for IN_ONLYDIR) and read permission.
ErrorOr<int> inotify_add_watch(const SyscallArgs& args) {
    namespace in = fs::inotify;
    auto mask = static_cast<uint32_t>(args.a[2]);
    if ((mask & in::k_mask_add) && (mask & in::k_mask_create))
        return Error::Invalid;
    if (!(mask & in::k_all_bits))
        return Error::Invalid;
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    if (!events::is_inotify(*file))
        return Error::Invalid;
    auto path = TRY(UserPath::copy(args.ptr<const char>(1)));
    auto base = TRY(directory_for(abi::k_at_fdcwd, path.view()));
    auto inode = TRY(fs::resolve_path(base, path.view(), !(mask & in::k_dont_follow)));
    if ((mask & in::k_only_directory) && !inode->is_directory())
        return Error::NotADirectory;
    TRY(fs::check_current_access(inode, fs::k_may_read));
    return events::add_inotify_watch(*file, inode, mask);
}

ErrorOr<void> inotify_rm_watch(const SyscallArgs& args) {
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    return events::remove_inotify_watch(*file, static_cast<int>(args.a[1]));
}

// pidfd_getfd(pidfd, targetfd, flags): a duplicate of another process's
// descriptor, close-on-exec, as Linux 6.1: flags EINVAL, a non-pidfd EBADF,
// a reaped process ESRCH, no ptrace-like permission EPERM, no such
// descriptor (or an exited process's) EBADF.
ErrorOr<int> pidfd_getfd(const SyscallArgs& args) {
    if (args.a[2] != 0)
        return Error::Invalid;
    auto pidfd = TRY(FileRef::from_fd(args.fd(0)));
    std::optional<int> pid = events::pidfd_pid(*pidfd);
    if (!pid)
        return Error::BadFd;
    proc::Credentials caller = proc::current_credentials();
    fs::File* file;
    {
        proc::ProcessResourcesGuard resources;  // keeps the target's descriptor table
        fs::FdTable* files;
        {
            sched::SchedulerLockGuard guard;
            proc::Process* process = proc::find_process_locked(*pid);
            if (!process)
                return Error::NoSuchProcess;
            if (process != proc::current_process() && !proc::may_inspect(caller, *process))
                return Error::NotPermitted;
            files = process->files;
        }
        if (!files)
            return Error::BadFd;  // exited, not yet reaped
        file = TRY(files->get(static_cast<int>(args.a[1])));
    }
    return install_new(file, true);
}

}  // namespace

int64_t sys_pidfd_getfd(const SyscallArgs& args) { return to_result(pidfd_getfd(args)); }

int64_t sys_inotify_init1(const SyscallArgs& args) { return to_result(inotify_init1(args)); }
int64_t sys_inotify_add_watch(const SyscallArgs& args) { return to_result(inotify_add_watch(args)); }
int64_t sys_inotify_rm_watch(const SyscallArgs& args) { return to_result(inotify_rm_watch(args)); }

int64_t sys_pidfd_open(const SyscallArgs& args) { return to_result(pidfd_open(args)); }
int64_t sys_pidfd_send_signal(const SyscallArgs& args) { return to_result(pidfd_send_signal(args)); }

int64_t sys_eventfd2(const SyscallArgs& args) { return to_result(eventfd2(args)); }
int64_t sys_epoll_create1(const SyscallArgs& args) { return to_result(epoll_create1(args)); }
int64_t sys_epoll_ctl(const SyscallArgs& args) { return to_result(epoll_ctl(args)); }
int64_t sys_epoll_pwait(const SyscallArgs& args) { return to_result(epoll_pwait(args)); }
int64_t sys_epoll_pwait2(const SyscallArgs& args) { return to_result(epoll_pwait2(args)); }
int64_t sys_timerfd_create(const SyscallArgs& args) { return to_result(timerfd_create(args)); }
int64_t sys_timerfd_settime(const SyscallArgs& args) { return to_result(timerfd_settime(args)); }
int64_t sys_timerfd_gettime(const SyscallArgs& args) { return to_result(timerfd_gettime(args)); }
int64_t sys_signalfd4(const SyscallArgs& args) { return to_result(signalfd4(args)); }

}  // namespace akuma::sys
