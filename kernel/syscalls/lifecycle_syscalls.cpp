// Process lifecycle system calls: clone/clone3, execve/execveat, exit,
// wait4/waitid, process groups and sessions, reboot.
#include "kernel/arch/aarch64/power.h"
#include "kernel/lib/kprint.h"
#include "kernel/lib/vector.h"
#include "kernel/events/pidfd.h"
#include "kernel/proc/power_off.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

// execve's argv and envp, copied out of the old image before it goes away.
// Linux's limits apply: one string at most MAX_ARG_STRLEN, all strings and
// their pointers at most a quarter of the 8 MiB stack limit (else E2BIG).
class ExecArguments {
public:
    static constexpr size_t k_max_string = 128 * 1024;
    static constexpr size_t k_max_total = (8u << 20) / 4;

    ErrorOr<void> copy(uint64_t argv_array, uint64_t envp_array) {
        Vector<size_t, mm::HeapAllocator> argv_offsets, envp_offsets;
        TRY(copy_vector(argv_array, argv_offsets));
        TRY(copy_vector(envp_array, envp_offsets));
        // Views only now: the character buffer moved while it grew.
        for (size_t offset : argv_offsets)
            TRY(argv.try_append(view_at(offset)));
        for (size_t offset : envp_offsets)
            TRY(envp.try_append(view_at(offset)));
        return {};
    }

    Vector<std::string_view, mm::HeapAllocator> argv;
    Vector<std::string_view, mm::HeapAllocator> envp;

private:
    // Copies a NULL-terminated array of string pointers (a NULL array is empty).
    ErrorOr<void> copy_vector(uint64_t array, Vector<size_t, mm::HeapAllocator>& offsets) {
        for (uint64_t i = 0; array; ++i) {
            auto pointer = TRY(mm::read_user(mm::UserPtr<const uint64_t>(array + i * sizeof(uint64_t))));
            if (pointer == 0)
                return {};
            auto length = mm::user_string_size(mm::UserPtr<const char>(pointer), k_max_string + 1);
            if (length.is_error())
                return length.error() == Error::NameTooLong ? Error::TooBig : length.error();
            m_total += length.value() + 1 + sizeof(uint64_t);
            if (m_total > k_max_total)
                return Error::TooBig;
            size_t at = m_chars.size();
            TRY(m_chars.try_resize(at + length.value() + 1));
            TRY(mm::copy_from_user(m_chars.data() + at, mm::UserPtr<const void>(pointer), length.value()));
            m_chars[at + length.value()] = '\0';
            TRY(offsets.try_append(at));
        }
        return {};
    }

    std::string_view view_at(size_t offset) const { return { m_chars.data() + offset }; }

    Vector<char, mm::HeapAllocator> m_chars;
    size_t m_total { 0 };
};

ErrorOr<void> do_execve(const SyscallArgs& args, int dirfd, uint64_t path_arg, uint64_t argv_arg, uint64_t envp_arg,
                        int flags) {
    constexpr int k_at_empty_path = 0x1000;
    constexpr int k_at_symlink_nofollow = 0x100;
    if (flags & ~(k_at_empty_path | k_at_symlink_nofollow))
        return Error::Invalid;
    auto path = TRY(UserPath::copy(mm::UserPtr<const char>(path_arg)));
    fs::InodeRef file;
    if (path.view().empty()) {
        if (!(flags & k_at_empty_path))
            return Error::NotFound;
        // AT_EMPTY_PATH: the program is the file open as dirfd.
        auto open_file = TRY(FileRef::from_fd(dirfd));
        if (!open_file->inode())
            return Error::AccessDenied;
        file = open_file->inode();
    } else {
        auto base = TRY(directory_for(dirfd, path.view()));
        file = TRY(fs::resolve_path(base, path.view(), !(flags & k_at_symlink_nofollow)));
        if (file->type() == fs::InodeType::Symlink)
            return Error::SymlinkLoop;  // AT_SYMLINK_NOFOLLOW on a symlink: ELOOP, as Linux
    }
    ExecArguments arguments;
    TRY(arguments.copy(argv_arg, envp_arg));
    return proc::execve(*args.frame, file, path.view(), arguments.argv.span(), arguments.envp.span());
}

ErrorOr<proc::WaitRequest> wait_request_for_wait4(int pid, uint32_t options) {
    if (options & ~(abi::k_wnohang | abi::k_wuntraced | abi::k_wcontinued | abi::k_wnothread | abi::k_wall |
                    abi::k_wclone))
        return Error::Invalid;
    proc::WaitRequest request {};
    if (pid == -1) {
        request.selector = proc::WaitSelector::Any;
    } else if (pid > 0) {
        request.selector = proc::WaitSelector::Pid;
        request.id = pid;
    } else {
        request.selector = proc::WaitSelector::ProcessGroup;
        request.id = pid == 0 ? current().pgid : -pid;
    }
    request.exited = true;
    request.stopped = options & abi::k_wuntraced;
    request.continued = options & abi::k_wcontinued;
    request.no_hang = options & abi::k_wnohang;
    return request;
}

// clone with CLONE_PIDFD: a pidfd for the child (close-on-exec), its number
// stored at `where` before the child runs, as Linux's copy_process: a bad
// pointer or no free descriptor fails the call with no child made.
ErrorOr<int> clone_with_pidfd(arch::TrapFrame& frame, const proc::CloneRequest& request, uint64_t where) {
    if (!(request.flags & abi::k_clone_pidfd))
        return proc::clone(frame, request);
    TRY(proc::check_clone_flags(request.flags));
    if (request.flags & (abi::k_clone_thread | abi::k_clone_detached))
        return Error::Invalid;  // Linux 6.1 has no thread pidfds
    TRY(mm::write_user(mm::UserPtr<int32_t>(where), int32_t { -1 }));
    fs::File* created = TRY(events::create_pidfd(events::k_pidfd_unborn, abi::k_o_rdwr));
    auto installed = current().files->install(created, true);
    if (installed.is_error()) {
        fs::release(created);
        return installed.error();
    }
    int fd = installed.value();
    // Our own reference: another thread may close the descriptor meanwhile.
    auto file = TRY(FileRef::from_fd(fd));
    proc::CloneRequest with_pidfd = request;
    with_pidfd.hidden_fd = fd;
    auto child = proc::clone(frame, with_pidfd);
    if (child.is_error()) {
        // Unless another thread closed it and the number went to another file.
        if (auto now = FileRef::from_fd(fd); !now.is_error() && &*now.value() == &*file)
            (void)current().files->close(fd);
        return child.error();
    }
    events::set_pidfd_pid(*file, child.value());
    (void)mm::write_user(mm::UserPtr<int32_t>(where), int32_t { fd });
    return child;
}

}  // namespace

int64_t sys_exit(const SyscallArgs& args) { proc::exit_thread(static_cast<int>(args.a[0] & 0xff)); }

int64_t sys_exit_group(const SyscallArgs& args) { proc::exit_group(static_cast<int>((args.a[0] & 0xff) << 8)); }

int64_t sys_clone(const SyscallArgs& args) {
    // AArch64 argument order: flags, stack, parent_tid, tls, child_tid.
    proc::CloneRequest request {};
    request.flags = args.a[0] & ~abi::k_csignal;
    request.exit_signal = static_cast<int>(args.a[0] & abi::k_csignal);
    request.stack = args.a[1];
    request.parent_tid = args.a[2];
    request.tls = args.a[3];
    request.child_tid = args.a[4];
    // clone(2) has one field for both: CLONE_PIDFD stores there.
    if ((request.flags & abi::k_clone_pidfd) && (request.flags & abi::k_clone_parent_settid))
        return error_result(Error::Invalid);
    return to_result(clone_with_pidfd(*args.frame, request, args.a[2]));
}

int64_t sys_clone3(const SyscallArgs& args) {
    size_t size = args.a[1];
    if (size < abi::k_clone_args_size_ver0 || size > 4096)
        return error_result(Error::Invalid);
    abi::CloneArgs clone_args {};
    size_t known = size < sizeof(clone_args) ? size : sizeof(clone_args);
    if (mm::copy_from_user(&clone_args, args.ptr<const void>(0), known).is_error())
        return error_result(Error::Fault);
    // A bigger struct from a newer libc must have zeros where we know nothing.
    for (size_t offset = known; offset < size; ++offset) {
        auto byte = mm::read_user(args.ptr<const uint8_t>(0).offset(offset));
        if (byte.is_error())
            return error_result(Error::Fault);
        if (byte.value() != 0)
            return error_result(Error::TooBig);
    }
    if (clone_args.exit_signal > proc::k_signal_count || (clone_args.flags & abi::k_csignal) ||
        clone_args.set_tid || clone_args.set_tid_size || clone_args.cgroup)
        return error_result(Error::Invalid);
    if ((clone_args.stack == 0) != (clone_args.stack_size == 0))
        return error_result(Error::Invalid);
    proc::CloneRequest request {};
    request.flags = clone_args.flags;
    request.exit_signal = static_cast<int>(clone_args.exit_signal);
    request.stack = clone_args.stack ? clone_args.stack + clone_args.stack_size : 0;  // clone3 gives the lowest address
    request.tls = clone_args.tls;
    request.parent_tid = clone_args.parent_tid;
    request.child_tid = clone_args.child_tid;
    return to_result(clone_with_pidfd(*args.frame, request, clone_args.pidfd));
}

int64_t sys_execve(const SyscallArgs& args) {
    constexpr int k_at_fdcwd = -100;
    return to_result(do_execve(args, k_at_fdcwd, args.a[0], args.a[1], args.a[2], 0));
}

int64_t sys_execveat(const SyscallArgs& args) {
    return to_result(do_execve(args, static_cast<int>(args.a[0]), args.a[1], args.a[2], args.a[3],
                               static_cast<int>(args.a[4])));
}

int64_t sys_wait4(const SyscallArgs& args) {
    auto request = wait_request_for_wait4(static_cast<int>(args.a[0]), static_cast<uint32_t>(args.a[2]));
    if (request.is_error())
        return error_result(request.error());
    auto result = proc::wait_child(request.value());
    if (result.is_error())
        return error_result(result.error());
    if (result.value().pid && args.a[1] &&
        mm::write_user(args.ptr<int32_t>(1), result.value().status).is_error())
        return error_result(Error::Fault);
    // As Linux: the rusage only when a child reported (not for WNOHANG's 0).
    if (result.value().pid && args.a[3] &&
        mm::write_user(args.ptr<abi::Rusage>(3), rusage_of(result.value().usage, result.value().maxrss_kb))
            .is_error())
        return error_result(Error::Fault);
    return result.value().pid;
}

int64_t sys_waitid(const SyscallArgs& args) {
    int type = static_cast<int>(args.a[0]);
    int id = static_cast<int>(args.a[1]);
    uint32_t options = static_cast<uint32_t>(args.a[3]);
    if (options & ~(abi::k_wnohang | abi::k_wuntraced | abi::k_wexited | abi::k_wcontinued | abi::k_wnowait |
                    abi::k_wnothread | abi::k_wall | abi::k_wclone))
        return error_result(Error::Invalid);
    if (!(options & (abi::k_wexited | abi::k_wuntraced | abi::k_wcontinued)))
        return error_result(Error::Invalid);
    proc::WaitRequest request {};
    bool pidfd_nonblocking = false;
    switch (type) {
    case abi::k_p_all: request.selector = proc::WaitSelector::Any; break;
    case abi::k_p_pidfd: {
        // The process the pidfd names (EBADF for another file); a
        // nonblocking pidfd makes the wait WNOHANG, EAGAIN if nothing is due.
        auto file = FileRef::from_fd(id);
        if (file.is_error())
            return error_result(file.error());
        std::optional<int> pid = events::pidfd_pid(*file.value());
        if (!pid)
            return error_result(Error::BadFd);
        pidfd_nonblocking = file.value()->is_nonblocking();
        request.selector = proc::WaitSelector::Pid;
        request.id = *pid;
        break;
    }
    case abi::k_p_pid:
        if (id <= 0)
            return error_result(Error::Invalid);
        request.selector = proc::WaitSelector::Pid;
        request.id = id;
        break;
    case abi::k_p_pgid:
        if (id < 0)
            return error_result(Error::Invalid);
        request.selector = proc::WaitSelector::ProcessGroup;
        request.id = id ? id : current().pgid;
        break;
    default: return error_result(Error::Invalid);
    }
    request.exited = options & abi::k_wexited;
    request.stopped = options & abi::k_wuntraced;  // WSTOPPED is the same bit
    request.continued = options & abi::k_wcontinued;
    request.no_hang = (options & abi::k_wnohang) || pidfd_nonblocking;
    request.no_reap = options & abi::k_wnowait;
    auto result = proc::wait_child(request);
    if (result.is_error())
        return error_result(result.error());
    if (pidfd_nonblocking && !(options & abi::k_wnohang) && result.value().pid == 0)
        return error_result(Error::TryAgain);
    if (args.a[2]) {
        proc::sigframe::Siginfo info {};
        if (result.value().pid) {
            info.signo = abi::k_sigchld;
            info.code = result.value().code;
            info.fields.child.pid = result.value().pid;
            info.fields.child.uid = result.value().uid;
            info.fields.child.status = result.value().value;
        }
        if (mm::write_user(args.ptr<proc::sigframe::Siginfo>(2), info).is_error())
            return error_result(Error::Fault);
    }
    if (result.value().pid && args.a[4] &&
        mm::write_user(args.ptr<abi::Rusage>(4), rusage_of(result.value().usage, result.value().maxrss_kb))
            .is_error())
        return error_result(Error::Fault);
    return 0;
}

int64_t sys_setpgid(const SyscallArgs& args) {
    return to_result(proc::set_process_group(static_cast<int>(args.a[0]), static_cast<int>(args.a[1])));
}

int64_t sys_getpgid(const SyscallArgs& args) { return to_result(proc::process_group_of(static_cast<int>(args.a[0]))); }
int64_t sys_getsid(const SyscallArgs& args) { return to_result(proc::session_of(static_cast<int>(args.a[0]))); }
int64_t sys_setsid(const SyscallArgs&) { return to_result(proc::create_session()); }

int64_t sys_reboot(const SyscallArgs& args) {
    if (!proc::current_capable(proc::Capability::SysBoot))
        return error_result(Error::NotPermitted);  // before the magic numbers, as Linux
    uint32_t magic2 = static_cast<uint32_t>(args.a[1]);
    if (static_cast<uint32_t>(args.a[0]) != abi::k_reboot_magic1 ||
        (magic2 != abi::k_reboot_magic2 && magic2 != abi::k_reboot_magic2a && magic2 != abi::k_reboot_magic2b &&
         magic2 != abi::k_reboot_magic2c))
        return error_result(Error::Invalid);
    switch (static_cast<uint32_t>(args.a[2])) {
    case abi::k_reboot_cmd_power_off:
    case abi::k_reboot_cmd_halt:
        kprintln("[Kernel] power off requested by '{}' (PID {})", current().name, current().pid);
        proc::power_off(0);
    case abi::k_reboot_cmd_restart:
        // QEMU's virt machine restarts through PSCI; Akuma has no warm
        // restart path, so it stops the machine and says why.
        kprintln("[Kernel] restart requested by '{}' (PID {}): powering off instead", current().name, current().pid);
        proc::power_off(0);
    case abi::k_reboot_cmd_cad_on:
    case abi::k_reboot_cmd_cad_off:
        return 0;  // Ctrl-Alt-Del has no meaning on a serial console: nothing to switch
    default: return error_result(Error::Invalid);
    }
}

}  // namespace akuma::sys
