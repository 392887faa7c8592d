// kcmp(pid1, pid2, type, idx1, idx2): whether two threads share a kernel
// object, as Linux 6.1 answers it: 0 for the same object, else 1 or 2 by
// an order of the objects' addresses scrambled with a per-boot cookie for
// each type (Linux's kptr_obfuscate: the order is stable, the addresses
// stay hidden). Both threads must be inspectable by the caller (EPERM).
//
// Akuma's objects: the open file description (KCMP_FILE), the address
// space (KCMP_VM), the descriptor table (KCMP_FILES); the process for the
// working directory and root (KCMP_FS), the signal handlers (KCMP_SIGHAND)
// and the System V semaphore undo list (KCMP_SYSVSEM), which Akuma's
// threads share and its processes do not. There are no I/O contexts: KCMP_IO
// finds them equal, as Linux does for threads that never made one.
// KCMP_EPOLL_TFD (an epoll's target) is EOPNOTSUPP.
#include "kernel/crypto/random.h"
#include "kernel/fs/fd_table.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/process_inspection.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/file_helpers.h"

namespace akuma::sys {

namespace {

enum KcmpType : uint64_t { File, Vm, Files, Fs, Sighand, Io, Sysvsem, EpollTfd, TypeCount };

constinit sched::Mutex g_cookie_lock;
uint64_t g_cookies[TypeCount][2];  // made by the first call, under g_cookie_lock
bool g_cookies_made = false;

void make_cookies() {
    sched::MutexGuard guard(g_cookie_lock);
    if (g_cookies_made)
        return;
    random_fill({ reinterpret_cast<uint8_t*>(g_cookies), sizeof g_cookies });
    g_cookies_made = true;
}

uint64_t scrambled(const void* object, uint64_t type) {
    return (reinterpret_cast<uint64_t>(object) ^ g_cookies[type][0]) * (g_cookies[type][1] | 1);
}

int64_t compare(const void* first, const void* second, uint64_t type) {
    uint64_t a = scrambled(first, type);
    uint64_t b = scrambled(second, type);
    return (a < b ? 1 : 0) | (a > b ? 2 : 0);
}

// The process of thread `tid` (scheduler lock held).
ErrorOr<proc::Process*> process_of_locked(int tid) {
    proc::Task* task = proc::find_task_locked(tid);
    proc::Process* process = task ? task->process : proc::find_process_locked(tid);
    if (!process)
        return Error::NoSuchProcess;
    return process;
}

ErrorOr<int64_t> kcmp(const SyscallArgs& args) {
    uint64_t type = args.a[2];
    proc::Credentials caller = proc::current_credentials();
    make_cookies();
    proc::ProcessResourcesGuard resources;  // keeps both processes' tables and spaces
    proc::Process* first;
    proc::Process* second;
    {
        sched::SchedulerLockGuard guard;
        first = TRY(process_of_locked(static_cast<int>(args.a[0])));
        second = TRY(process_of_locked(static_cast<int>(args.a[1])));
        proc::Process* self = proc::current_process();
        if ((first != self && !proc::may_inspect(caller, *first)) ||
            (second != self && !proc::may_inspect(caller, *second)))
            return Error::NotPermitted;
    }
    switch (type) {
    case File: {
        if (!first->files || !second->files)
            return Error::BadFd;
        auto one = first->files->get(static_cast<int>(args.a[3]));
        auto other = second->files->get(static_cast<int>(args.a[4]));
        int64_t result = one.is_error() || other.is_error() ? -1 : compare(one.value(), other.value(), type);
        if (!one.is_error())
            fs::release(one.value());
        if (!other.is_error())
            fs::release(other.value());
        if (result < 0)
            return Error::BadFd;
        return result;
    }
    case Vm: return compare(first->space, second->space, type);
    case Files: return compare(first->files, second->files, type);
    case Fs:
    case Sighand:
    case Sysvsem: return compare(first, second, type);
    case Io: return int64_t { 0 };
    case EpollTfd: {
        struct Slot {
            uint32_t epoll_fd, target_fd, target_offset;
        };
        (void)TRY(mm::read_user(mm::UserPtr<const Slot>(args.a[4])));
        return Error::NotSupported;
    }
    default: return Error::Invalid;
    }
}

}  // namespace

int64_t sys_kcmp(const SyscallArgs& args) { return to_result(kcmp(args)); }

}  // namespace akuma::sys
