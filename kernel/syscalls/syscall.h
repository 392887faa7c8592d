// The system call layer: Linux AArch64 numbers and semantics. A handler
// gets the six argument registers and returns the value for x0: a result
// or a negative errno (ErrorOr results are converted by to_result()).
#pragma once

#include <cstdint>

#include "kernel/arch/aarch64/trap_frame.h"
#include "kernel/lib/error_or.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::sys {

struct SyscallArgs {
    uint64_t a[6];
    arch::TrapFrame* frame = nullptr;  // the caller's registers (clone, execve, rt_sigreturn)
    template <typename T>
    mm::UserPtr<T> ptr(unsigned index) const { return mm::UserPtr<T>(a[index]); }
    int fd(unsigned index) const { return static_cast<int>(a[index]); }
};

using SyscallHandler = int64_t (*)(const SyscallArgs& args);

// Runs the system call in frame->x[8] and stores the result in x0.
void dispatch_syscall(arch::TrapFrame& frame);

inline int64_t error_result(Error error) { return -static_cast<int64_t>(error); }

template <typename T>
int64_t to_result(ErrorOr<T>&& result) {
    if (result.is_error())
        return error_result(result.error());
    if constexpr (std::is_void_v<T>)
        return 0;
    else
        return static_cast<int64_t>(result.value());
}

inline proc::Process& current() { return *proc::current_process(); }

// A user siginfo to queue (rt_sigqueueinfo, rt_tgsigqueueinfo,
// pidfd_send_signal), as Linux's do_rt_sigqueueinfo takes it: its code may
// not pretend to come from the kernel or from kill()/tgkill() unless the
// signal is for the caller itself (`target`: the PID it goes to).
// `signo_must_match`: pidfd_send_signal's EINVAL for another si_signo.
ErrorOr<proc::SignalInfo> queued_info(uint64_t user, int signal, int target, bool signo_must_match);

// getrusage's answer for `time` (counter units) and a peak RSS in KiB; the
// other fields stay 0 (not counted). Also wait4's and waitid's.
linux_abi::Rusage rusage_of(const sched::CpuTime& time, uint64_t maxrss_kb);

// Each file defines its handlers and registers them here (dispatch.cpp).
#define AKUMA_SYSCALL_HANDLERS(X)                                                                                  \
    X(read) X(write) X(readv) X(writev) X(pread64) X(pwrite64) X(openat) X(close) X(lseek) X(fstat) X(newfstatat) \
    X(getdents64) X(readlinkat) X(faccessat) X(faccessat2) X(getcwd) X(chdir) X(fchdir) X(dup) X(dup3) X(fcntl)     \
    X(ioctl) X(mknodat) X(mkdirat) X(unlinkat) X(symlinkat) X(linkat) X(renameat) X(renameat2) X(truncate) X(ftruncate) X(statfs) X(fstatfs) X(mount) X(umount2) X(fallocate) X(umask)         \
    X(exit) X(exit_group) X(getpid) X(getppid) X(gettid) X(set_tid_address) X(set_robust_list) X(uname)          \
    X(clock_gettime) X(clock_getres) X(gettimeofday) X(nanosleep) X(clock_nanosleep) X(getrandom) X(brk) X(mmap) \
    X(munmap) X(mremap) X(mprotect) X(msync) X(madvise) X(prlimit64) X(getuid) X(geteuid) X(getgid) X(getegid) X(sched_yield)       \
    X(rt_sigaction) X(rt_sigprocmask) X(kill) X(tkill) X(tgkill) X(futex) X(sigaltstack) X(getresuid)           \
    X(getresgid) X(rseq) X(ppoll) X(prctl) X(rt_sigpending) X(statx) X(fchmodat) X(fchmod) \
    X(fchownat) X(fchown) X(utimensat) X(fsync) X(fdatasync) X(sync) X(sysinfo) X(times) X(getrusage)          \
    X(sched_getaffinity) X(wait4) X(waitid) X(pipe2) X(pselect6) X(clone) X(clone3) X(execve) X(execveat)       \
    X(sendfile) X(rt_sigtimedwait) X(getitimer) X(setitimer) X(rt_sigreturn) X(rt_sigsuspend) X(setpgid) X(getpgid) X(getsid) X(setsid) X(reboot) \
    X(sethostname) X(setdomainname) X(fadvise64) X(getgroups) X(close_range) X(getcpu) \
    X(getxattr) X(lgetxattr) X(fgetxattr) X(listxattr) X(llistxattr) X(flistxattr) X(setxattr) X(lsetxattr) \
    X(fsetxattr) X(removexattr) X(lremovexattr) X(fremovexattr) X(preadv) X(pwritev) X(preadv2) X(pwritev2) \
    X(sched_getscheduler) X(sched_getparam) X(sched_get_priority_max) X(sched_get_priority_min) \
    X(getrlimit) X(setrlimit) X(copy_file_range) X(splice) X(flock) \
    X(sched_setaffinity) X(sched_rr_get_interval) X(memfd_create) \
    X(membarrier) X(pidfd_getfd) X(sched_setattr) X(sched_getattr) X(ioprio_set) X(ioprio_get) X(kcmp) X(mq_open) X(mq_unlink) X(mq_timedsend) X(mq_timedreceive) X(mq_notify) X(mq_getsetattr) X(eventfd2) X(inotify_init1) X(inotify_add_watch) X(inotify_rm_watch) X(epoll_create1) X(epoll_ctl) X(epoll_pwait) X(epoll_pwait2) X(timerfd_create) X(timerfd_settime) \
    X(timerfd_gettime) X(signalfd4) \
    X(socket) X(socketpair) X(bind) X(listen) X(accept) X(accept4) X(connect) X(getsockname) X(getpeername) \
    X(sendto) X(recvfrom) X(sendmsg) X(recvmsg) X(sendmmsg) X(recvmmsg) X(shutdown) X(setsockopt) X(getsockopt) \
    X(capget) X(capset) X(rt_sigqueueinfo) X(rt_tgsigqueueinfo) X(pidfd_open) \
    X(pidfd_send_signal) \
    X(msgget) X(msgctl) X(msgrcv) X(msgsnd) X(semget) X(semctl) X(semtimedop) X(semop) X(shmget) X(shmctl) \
    X(shmat) X(shmdt) \
    X(getpriority) X(setpriority) X(sched_setscheduler) X(sched_setparam) X(personality) X(unshare) X(setns) \
    X(setuid) X(setgid) X(setreuid) X(setregid) X(setresuid) X(setresgid) X(setfsuid) X(setfsgid) X(setgroups) \
    X(chroot) X(timer_create) X(timer_settime) X(timer_gettime) X(timer_getoverrun) X(timer_delete) \
    X(get_robust_list) X(syncfs) X(sync_file_range) X(tee) X(vmsplice) X(mincore) \
    X(mlock) X(mlock2) X(munlock) X(mlockall) X(munlockall) X(process_vm_readv) X(process_vm_writev) \
    X(futex_waitv) X(settimeofday) X(clock_settime) X(adjtimex) X(clock_adjtime)

#define AKUMA_DECLARE_SYSCALL(name) int64_t sys_##name(const SyscallArgs& args);
AKUMA_SYSCALL_HANDLERS(AKUMA_DECLARE_SYSCALL)
#undef AKUMA_DECLARE_SYSCALL

}  // namespace akuma::sys
