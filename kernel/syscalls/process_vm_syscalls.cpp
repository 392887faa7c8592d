// process_vm_readv(2) and process_vm_writev(2): copies between the caller's
// memory and another process's, as Linux's mm/process_vm_access.c: flags
// must be 0 (EINVAL), at most IOV_MAX segments each side (EINVAL), the local
// iovecs must lie in user space (EFAULT); nothing to copy is 0 before the
// target is looked up; then ESRCH for no such process (or one that has no
// memory any more) and EPERM unless the caller may inspect it
// (proc::may_inspect). The remote side is made page by page as a fault
// would (AddressSpace::copy_remote), and must allow the access: a remote
// page that cannot be had ends the copy, partial if something was copied
// (EFAULT if not), as does a local one.
#include "kernel/fs/bounce.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/process_inspection.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/transfer.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

// Walks an iovec array a piece at a time.
struct VectorCursor {
    const abi::Iovec* vectors;
    uint64_t count;
    uint64_t index = 0;
    uint64_t offset = 0;

    bool done() {
        while (index < count && offset >= vectors[index].len) {
            ++index;
            offset = 0;
        }
        return index >= count;
    }
    uint64_t address() const { return vectors[index].base + offset; }
    uint64_t left_in_vector() const { return vectors[index].len - offset; }
};

// The target's address space; the caller holds the process resources lock,
// which keeps it.
ErrorOr<proc::AddressSpace*> target_space(int pid, const proc::Credentials& caller) {
    sched::SchedulerLockGuard guard;
    proc::Task* task = proc::find_task_locked(pid);
    proc::Process* process = task ? task->process : proc::find_process_locked(pid);
    if (!process || !process->space)
        return Error::NoSuchProcess;
    if (process != proc::current_process() && !proc::may_inspect(caller, *process))
        return Error::NotPermitted;
    return process->space;
}

// One remote chunk (within a page): the target is found again each time.
ErrorOr<void> copy_with(int pid, const proc::Credentials& caller, uint64_t remote, std::span<uint8_t> data,
                        bool write) {
    proc::ProcessResourcesGuard resources;
    proc::AddressSpace* space = TRY(target_space(pid, caller));
    return space->copy_remote(remote, data, write);
}

ErrorOr<size_t> process_vm(const SyscallArgs& args, bool write) {
    int pid = static_cast<int>(args.a[0]);
    if (args.a[5] != 0)
        return Error::Invalid;
    return import_vectors(args.ptr<const abi::Iovec>(1), args.a[2], [&](const abi::Iovec* local,
                                                                     uint64_t local_count) -> ErrorOr<size_t> {
        uint64_t wanted = 0;
        for (uint64_t i = 0; i < local_count; ++i) {
            if (!mm::is_user_range(local[i].base, local[i].len))
                return Error::Fault;
            wanted += local[i].len;
        }
        if (wanted == 0)
            return size_t { 0 };
        return import_vectors(args.ptr<const abi::Iovec>(3), args.a[4], [&](const abi::Iovec* remote,
                                                                          uint64_t remote_count) -> ErrorOr<size_t> {
            uint64_t remote_wanted = 0;
            for (uint64_t i = 0; i < remote_count; ++i)
                remote_wanted |= remote[i].len;
            if (remote_wanted == 0)
                return size_t { 0 };  // before the target is looked up, as Linux
            proc::Credentials caller = proc::current_credentials();
            {
                proc::ProcessResourcesGuard resources;
                TRY(target_space(pid, caller));
            }
            fs::Bounce bounce(mm::k_page_size);
            if (!bounce.data())
                return Error::NoMemory;
            VectorCursor here { local, local_count };
            VectorCursor there { remote, remote_count };
            size_t total = 0;
            auto partial = [&](Error error) -> ErrorOr<size_t> {
                if (total > 0)
                    return total;
                return error;
            };
            while (total < k_max_transfer && !here.done() && !there.done()) {
                uint64_t address = there.address();
                uint64_t in_page = mm::k_page_size - (address & (mm::k_page_size - 1));
                size_t size = in_page;
                if (size > there.left_in_vector())
                    size = there.left_in_vector();
                if (size > here.left_in_vector())
                    size = here.left_in_vector();
                if (size > k_max_transfer - total)
                    size = k_max_transfer - total;
                std::span<uint8_t> chunk { bounce.data(), size };
                if (write && mm::copy_from_user(chunk.data(), mm::UserPtr<const void>(here.address()), size).is_error())
                    return partial(Error::Fault);
                if (auto copied = copy_with(pid, caller, address, chunk, write); copied.is_error())
                    return partial(copied.error() == Error::NoSuchProcess || copied.error() == Error::NotPermitted
                                       ? copied.error()
                                       : Error::Fault);
                if (!write && mm::copy_to_user(mm::UserPtr<void>(here.address()), chunk.data(), size).is_error())
                    return partial(Error::Fault);
                total += size;
                here.offset += size;
                there.offset += size;
            }
            return total;
        });
    });
}

}  // namespace

int64_t sys_process_vm_readv(const SyscallArgs& args) { return to_result(process_vm(args, false)); }
int64_t sys_process_vm_writev(const SyscallArgs& args) { return to_result(process_vm(args, true)); }

}  // namespace akuma::sys
