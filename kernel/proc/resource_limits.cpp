#include "kernel/proc/resource_limits.h"

#include "kernel/fs/fd_table.h"
#include "kernel/proc/address_space.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/user_layout.h"
#include "kernel/sched/spinlock.h"

namespace akuma::proc {

namespace abi = linux_abi;

namespace {

// Guards every process's limits: prlimit64 may change another process's.
constinit IrqSpinLock g_limits_lock;

constexpr uint64_t k_min_stack_reserve = 128ull << 10;

}  // namespace

ResourceLimits ResourceLimits::defaults() {
    ResourceLimits limits;
    for (auto& value : limits.values)
        value = { abi::k_rlim_infinity, abi::k_rlim_infinity };
    limits.values[abi::k_rlimit_stack] = { k_user_stack_reserve, abi::k_rlim_infinity };
    limits.values[abi::k_rlimit_nofile] = { fs::FdTable::k_max_fds, fs::FdTable::k_max_fds };
    limits.values[abi::k_rlimit_core] = { 0, abi::k_rlim_infinity };
    uint64_t tasks = process_stats().task_limit;  // enforced for every user, root included
    limits.values[abi::k_rlimit_nproc] = { tasks, tasks };
    limits.values[abi::k_rlimit_sigpending] = { tasks, tasks };
    limits.values[abi::k_rlimit_memlock] = { 8ull << 20, 8ull << 20 };
    limits.values[abi::k_rlimit_msgqueue] = { 819200, 819200 };
    limits.values[abi::k_rlimit_nice] = { 0, 0 };
    limits.values[abi::k_rlimit_rtprio] = { 0, 0 };
    return limits;
}

abi::Rlimit resource_limit(const Process& process, unsigned resource) {
    SpinLockGuard guard(g_limits_lock);
    return process.limits.values[resource];
}

ErrorOr<abi::Rlimit> exchange_resource_limit(Process& process, unsigned resource,
                                             std::optional<abi::Rlimit> replacement) {
    if (resource >= abi::k_rlim_nlimits)
        return Error::Invalid;
    if (replacement) {
        if (replacement->cur > replacement->max)
            return Error::Invalid;
        if (resource == abi::k_rlimit_nofile && replacement->max > static_cast<uint64_t>(fs::FdTable::k_max_fds))
            return Error::NotPermitted;  // Linux: above fs.nr_open
    }
    // Raising a hard limit needs CAP_SYS_RESOURCE (asked before the limits
    // lock: the two locks never nest).
    bool privileged = replacement && current_capable(Capability::SysResource);
    abi::Rlimit old;
    {
        SpinLockGuard guard(g_limits_lock);
        old = process.limits.values[resource];
        if (replacement && replacement->max > old.max && !privileged)
            return Error::NotPermitted;
        if (replacement)
            process.limits.values[resource] = *replacement;
    }
    if (!replacement)
        return old;
    // Applied at once where the limit lives outside this table.
    if (resource == abi::k_rlimit_nofile && process.files)
        process.files->set_limit(static_cast<int>(replacement->cur));
    if (resource == abi::k_rlimit_cpu)
        watch_cpu_limit(process);
    if ((resource == abi::k_rlimit_as || resource == abi::k_rlimit_data) && process.space)
        process.space->set_memory_limits(soft_limit(process, abi::k_rlimit_as),
                                         soft_limit(process, abi::k_rlimit_data));
    return old;
}

void raise_cpu_soft_limit(Process& process) {
    SpinLockGuard guard(g_limits_lock);
    abi::Rlimit& limit = process.limits.values[abi::k_rlimit_cpu];
    if (limit.cur < limit.max)
        ++limit.cur;
}

ErrorOr<uint64_t> check_file_size_limit(uint64_t start, uint64_t end) {
    Process* process = current_process();
    if (!process)
        return end - start;  // the kernel's own writes
    uint64_t limit = soft_limit(*process, abi::k_rlimit_fsize);
    if (end <= limit)
        return end - start;
    if (start >= limit) {
        // As Linux's generic_write_check_limits: the signal, then EFBIG.
        (void)send_signal_to_thread(process->pid, current_task()->tid, abi::k_sigxfsz);
        return Error::FileTooBig;
    }
    return limit - start;
}

uint64_t stack_reserve_for(const Process& process) {
    uint64_t soft = soft_limit(process, abi::k_rlimit_stack);
    if (soft < k_min_stack_reserve)
        return k_min_stack_reserve;
    return soft > k_user_stack_reserve_max ? k_user_stack_reserve_max : soft & ~uint64_t { 0xfff };
}

}  // namespace akuma::proc
