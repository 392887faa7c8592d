// Process identity, limits, futex, random.
#include "kernel/arch/aarch64/timer.h"
#include "kernel/crypto/random.h"
#include "kernel/crypto/secure_erase.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/process_inspection.h"
#include "kernel/proc/robust_futex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/host_name.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/system_identity.h"
#include "kernel/syscalls/time_helpers.h"
#include "kernel/syscalls/transfer.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {


void copy_field(char* field, std::string_view text) {
    size_t i = 0;
    for (; i < text.size() && i + 1 < abi::k_utsname_field_size; ++i)
        field[i] = text[i];
    field[i] = '\0';
}

}  // namespace

int64_t sys_getpid(const SyscallArgs&) { return current().pid; }
int64_t sys_gettid(const SyscallArgs&) { return proc::current_task()->tid; }

int64_t sys_getppid(const SyscallArgs&) {
    sched::SchedulerLockGuard guard;  // the parent may change (re-parenting)
    return current().parent ? current().parent->pid : 0;
}
int64_t sys_set_tid_address(const SyscallArgs& args) {
    proc::current_task()->clear_child_tid = args.a[0];
    return proc::current_task()->tid;
}

int64_t sys_set_robust_list(const SyscallArgs& args) {
    if (args.a[1] != proc::k_robust_list_head_size)  // sizeof(struct robust_list_head)
        return error_result(Error::Invalid);
    proc::current_task()->robust_list = args.a[0];
    return 0;
}

// get_robust_list(pid, head_ptr, len_ptr): a thread's registered head, for
// the thread itself, its process, or whoever may inspect it
// (proc::may_inspect, Linux's PTRACE_MODE_READ_REALCREDS).
int64_t sys_get_robust_list(const SyscallArgs& args) {
    int tid = static_cast<int>(args.a[0]);
    proc::Credentials caller = proc::current_credentials();
    uint64_t head;
    {
        sched::SchedulerLockGuard guard;
        proc::Task* task = tid == 0 ? proc::current_task() : proc::find_task_locked(tid);
        if (!task)
            return error_result(Error::NoSuchProcess);
        if (task->process != &current() && !proc::may_inspect(caller, *task->process))
            return error_result(Error::NotPermitted);
        head = task->robust_list;
    }
    if (mm::write_user(args.ptr<uint64_t>(2), uint64_t { proc::k_robust_list_head_size }).is_error())
        return error_result(Error::Fault);
    return to_result(mm::write_user(args.ptr<uint64_t>(1), head));
}

int64_t sys_prctl(const SyscallArgs& args) {
    constexpr int k_pr_set_name = 15;
    constexpr int k_pr_get_name = 16;
    constexpr int k_pr_get_dumpable = 3, k_pr_set_dumpable = 4;
    constexpr int k_pr_get_keepcaps = 7, k_pr_set_keepcaps = 8;
    constexpr int k_pr_capbset_read = 23;
    constexpr int k_pr_set_no_new_privs = 38, k_pr_get_no_new_privs = 39;
    constexpr int k_pr_set_pdeathsig = 1, k_pr_get_pdeathsig = 2;
    constexpr int k_pr_set_child_subreaper = 36, k_pr_get_child_subreaper = 37;
    constexpr int k_pr_set_tagged_addr_ctrl = 55, k_pr_get_tagged_addr_ctrl = 56;
    constexpr uint64_t k_pr_tagged_addr_enable = 1;  // no MTE: its PR_MTE_* bits are EINVAL
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
    case k_pr_get_dumpable:
        return __atomic_load_n(&process.dumpable, __ATOMIC_RELAXED) ? 1 : 0;
    case k_pr_set_dumpable:
        // 0 or 1 (SUID_DUMP_USER); 2 is for the sysctl only, as Linux.
        if (args.a[1] > 1)
            return error_result(Error::Invalid);
        __atomic_store_n(&process.dumpable, args.a[1] == 1, __ATOMIC_RELAXED);
        return 0;
    case k_pr_get_keepcaps:
        return proc::current_credentials().keep_capabilities ? 1 : 0;
    case k_pr_set_keepcaps:
        if (args.a[1] > 1 || args.a[2] || args.a[3] || args.a[4])
            return error_result(Error::Invalid);
        return to_result(proc::change_current_credentials([&](proc::Credentials& credentials) -> ErrorOr<void> {
            credentials.keep_capabilities = args.a[1] != 0;
            return {};
        }));
    case k_pr_capbset_read:
        // The bounding set is every capability (nothing can drop from it).
        return args.a[1] < proc::k_capability_count ? 1 : error_result(Error::Invalid);
    case k_pr_set_no_new_privs:
        if (args.a[1] != 1 || args.a[2] || args.a[3] || args.a[4])
            return error_result(Error::Invalid);
        __atomic_store_n(&process.no_new_privs, true, __ATOMIC_RELAXED);
        return 0;
    case k_pr_set_pdeathsig:
        if (args.a[1] > proc::k_signal_count)
            return error_result(Error::Invalid);
        __atomic_store_n(&proc::current_task()->parent_death_signal, static_cast<int>(args.a[1]), __ATOMIC_RELAXED);
        return 0;
    case k_pr_get_pdeathsig:
        return to_result(mm::write_user(args.ptr<int32_t>(1), __atomic_load_n(&proc::current_task()->parent_death_signal,
                                                                               __ATOMIC_RELAXED)));
    case k_pr_set_child_subreaper: {
        sched::SchedulerLockGuard guard;
        process.child_subreaper = args.a[1] != 0;
        return 0;
    }
    case k_pr_get_child_subreaper: {
        int subreaper;
        {
            sched::SchedulerLockGuard guard;
            subreaper = process.child_subreaper ? 1 : 0;
        }
        return to_result(mm::write_user(args.ptr<int32_t>(1), subreaper));
    }
    case k_pr_set_tagged_addr_ctrl:
        if ((args.a[1] & ~k_pr_tagged_addr_enable) || args.a[2] || args.a[3] || args.a[4])
            return error_result(Error::Invalid);
        sched::current_thread()->tagged_user_addresses = args.a[1] & k_pr_tagged_addr_enable;
        return 0;
    case k_pr_get_tagged_addr_ctrl:
        if (args.a[1] || args.a[2] || args.a[3] || args.a[4])
            return error_result(Error::Invalid);
        return sched::current_thread()->tagged_user_addresses ? k_pr_tagged_addr_enable : 0;
    case k_pr_get_no_new_privs:
        if (args.a[1] || args.a[2] || args.a[3] || args.a[4])
            return error_result(Error::Invalid);
        return __atomic_load_n(&process.no_new_privs, __ATOMIC_RELAXED) ? 1 : 0;
    default:
        // Options Akuma does not support, PR_SET_SECCOMP among them: EINVAL
        // is Linux's answer without them (a kernel built without seccomp).
        return error_result(Error::Invalid);
    }
}

int64_t sys_rseq(const SyscallArgs&) {
    // Restartable sequences are optional for glibc (it falls back when
    // registration fails with ENOSYS).
    return error_result(Error::NotImplemented);
}

int64_t sys_uname(const SyscallArgs& args) {
    abi::Utsname name {};
    copy_field(name.sysname, k_system_name);
    copy_field(name.nodename, current_name(NameKind::Host).view());
    copy_field(name.release, k_release);
    copy_field(name.version, k_version);
    copy_field(name.machine, k_machine);
    copy_field(name.domainname, current_name(NameKind::Domain).view());
    return to_result(mm::write_user(args.ptr<abi::Utsname>(0), name));
}

namespace {

// sethostname/setdomainname(name, len): len is an int; negative or above
// 64 is EINVAL, as Linux; CAP_SYS_ADMIN first (EPERM).
int64_t set_name_from_user(const SyscallArgs& args, NameKind kind) {
    if (!proc::current_capable(proc::Capability::SysAdmin))
        return error_result(Error::NotPermitted);
    auto length = static_cast<int>(args.a[1]);
    if (length < 0 || static_cast<size_t>(length) > k_host_name_max)
        return error_result(Error::Invalid);
    char name[k_host_name_max];
    if (auto copied = mm::copy_from_user(name, args.ptr<const void>(0), static_cast<size_t>(length));
        copied.is_error())
        return error_result(copied.error());
    return to_result(set_name(kind, { name, static_cast<size_t>(length) }));
}

}  // namespace

// getcpu(cpu, node, cache): the CPU the caller runs on and its NUMA node.
// The kernel runs on one CPU (the boot CPU, MPIDR affinity 0) and the
// machine has one memory node. The cache argument is unused, as in Linux.
// (QEMU virt numbers its CPUs in MPIDR_EL1.Aff0.)
int64_t sys_getcpu(const SyscallArgs& args) {
    uint64_t mpidr;
    asm volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    auto cpu = static_cast<unsigned>(mpidr & 0xff);
    auto answer = [&]() -> ErrorOr<void> {
        if (args.a[0])
            TRY(mm::write_user(args.ptr<unsigned>(0), cpu));
        if (args.a[1])
            TRY(mm::write_user(args.ptr<unsigned>(1), 0u));
        return {};
    };
    return to_result(answer());
}

int64_t sys_sethostname(const SyscallArgs& args) { return set_name_from_user(args, NameKind::Host); }

int64_t sys_setdomainname(const SyscallArgs& args) { return set_name_from_user(args, NameKind::Domain); }

namespace {

// Linux's check_prlimit_permission: another process's limits are the
// caller's to read or set only if all its user and group IDs are the
// caller's real ones, or with CAP_SYS_RESOURCE.
ErrorOr<void> check_prlimit_permission_locked(const proc::Process& target) {
    auto mine = proc::current_credentials();
    auto theirs = proc::credentials_of(target);
    bool same = mine.uid == theirs.uid && mine.uid == theirs.euid && mine.uid == theirs.suid &&
                mine.gid == theirs.gid && mine.gid == theirs.egid && mine.gid == theirs.sgid;
    if (same || mine.capable(proc::Capability::SysResource))
        return {};
    return Error::NotPermitted;
}

// prlimit64(pid, resource, new, old) and the two older calls: the old
// limit is read and the new one set together (resource_limits.h). Another
// process needs the permission above.
ErrorOr<void> exchange_limit(int pid, unsigned resource, mm::UserPtr<const abi::Rlimit> replacement,
                             mm::UserPtr<abi::Rlimit> old) {
    if (resource >= abi::k_rlim_nlimits)
        return Error::Invalid;
    std::optional<abi::Rlimit> requested;
    if (replacement.address())
        requested = TRY(mm::read_user(replacement));
    if (pid < 0)
        return Error::NoSuchProcess;  // as Linux: no task has it
    abi::Rlimit previous;
    {
        proc::ProcessResourcesGuard resources;  // the target stays (and keeps its space and table)
        proc::Process* target = &current();
        if (pid != 0 && pid != target->pid) {
            sched::SchedulerLockGuard guard;
            target = proc::find_process_locked(pid);
            if (!target || target->state == proc::ProcessState::Zombie)
                return Error::NoSuchProcess;
            TRY(check_prlimit_permission_locked(*target));
        }
        previous = TRY(proc::exchange_resource_limit(*target, resource, requested));
    }
    if (old.address())
        TRY(mm::write_user(old, previous));
    return {};
}

}  // namespace

int64_t sys_prlimit64(const SyscallArgs& args) {
    return to_result(exchange_limit(static_cast<int>(args.a[0]), static_cast<unsigned>(args.a[1]),
                                    args.ptr<const abi::Rlimit>(2), args.ptr<abi::Rlimit>(3)));
}

int64_t sys_getrlimit(const SyscallArgs& args) {
    return to_result(exchange_limit(0, static_cast<unsigned>(args.a[0]), {}, args.ptr<abi::Rlimit>(1)));
}

int64_t sys_setrlimit(const SyscallArgs& args) {
    return to_result(exchange_limit(0, static_cast<unsigned>(args.a[0]), args.ptr<const abi::Rlimit>(1), {}));
}

int64_t sys_sched_yield(const SyscallArgs&) {
    sched::yield();
    return 0;
}

int64_t sys_getrandom(const SyscallArgs& args) {
    uint32_t flags = static_cast<uint32_t>(args.a[2]);
    if (flags & ~(abi::k_grnd_nonblock | abi::k_grnd_random | abi::k_grnd_insecure))
        return error_result(Error::Invalid);
    if ((flags & abi::k_grnd_random) && (flags & abi::k_grnd_insecure))
        return error_result(Error::Invalid);  // contradictory: Linux refuses the pair
    // Linux 6.1: GRND_RANDOM is the default behaviour (no blocking pool any
    // more); only an unseeded generator makes a caller wait, and
    // GRND_INSECURE never does. Akuma seeds at boot, so this is rare.
    if (!random_ready() && !(flags & abi::k_grnd_insecure)) {
        if (flags & abi::k_grnd_nonblock)
            return error_result(Error::TryAgain);
        if (auto waited = random_wait_until_ready(); waited.is_error())
            return error_result(waited.error());
    }
    // Up to Linux's MAX_RW_COUNT per call; like Linux 6.1, a signal pending
    // at a page boundary ends a long fill with the bytes so far.
    size_t count = args.a[1] < k_max_transfer ? args.a[1] : k_max_transfer;
    if (count > 0) {
        // A buffer running into an unmapped page gets what fits (as Linux).
        count = current().space->accessible_prefix(args.a[0], count, true);
        if (count == 0)
            return error_result(Error::Fault);
    }
    // One request, one key: the stream is generated here, with no lock held.
    auto stream = random_stream(count);
    uint8_t chunk[256];
    size_t done = 0;
    while (done < count) {
        if (done % mm::k_page_size == 0 && done > 0 && sched::current_thread()->signal_pending)
            break;
        size_t step = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
        stream.fill({ chunk, step });
        if (mm::copy_to_user(args.ptr<void>(0).offset(done), chunk, step).is_error()) {
            if (done == 0)
                return error_result(Error::Fault);
            break;
        }
        done += step;
    }
    crypto::secure_erase(chunk, sizeof(chunk));
    return static_cast<int64_t>(done);
}

namespace {

// How many a wake may wake: Linux counts one before it compares with the
// caller's number (an int), so 0 and negative numbers wake one.
uint64_t wake_count(uint64_t raw) {
    int32_t count = static_cast<int32_t>(raw);
    return count <= 0 ? 1 : static_cast<uint64_t>(count);
}

}  // namespace

// futex_waitv(waiters, count, flags, timeout, clockid): waits on up to 128
// words at once, as Linux 5.16+: flags 0; each entry FUTEX_32 (its only
// size), optionally FUTEX_PRIVATE_FLAG, reserved 0, aligned address (a
// value past 32 bits never matches: EAGAIN); an absolute timeout on
// CLOCK_MONOTONIC or CLOCK_REALTIME.
// Returns the index of the word woken.
namespace {

struct FutexWaitv {
    uint64_t value;
    uint64_t address;
    uint32_t flags;
    uint32_t reserved;
};
static_assert(sizeof(FutexWaitv) == 24);

ErrorOr<int> futex_waitv(const SyscallArgs& args) {
    constexpr uint32_t k_futex_32 = 2, k_waitv_max = 128;
    auto count = static_cast<uint32_t>(args.a[1]);
    if (args.a[2] != 0 || args.a[0] == 0 || count == 0 || count > k_waitv_max)
        return Error::Invalid;
    uint64_t deadline = 0;
    if (args.a[3] != 0) {
        auto clock = static_cast<int>(args.a[4]);
        if (clock != abi::k_clock_monotonic && clock != abi::k_clock_realtime)
            return Error::Invalid;
        uint64_t time = TRY(read_timespec_ns(args.ptr<const abi::Timespec>(3)));
        deadline = clock == abi::k_clock_realtime ? monotonic_from_realtime_ns(time) : time;
        if (deadline == 0)
            deadline = 1;
    }
    proc::FutexWaitEntry entries[k_waitv_max];
    for (uint32_t i = 0; i < count; ++i) {
        auto entry = TRY(mm::read_user(args.ptr<const FutexWaitv>(0).offset(i)));
        if ((entry.flags & ~(k_futex_32 | abi::k_futex_private_flag)) || !(entry.flags & k_futex_32) ||
            entry.reserved || (entry.address & 3))
            return Error::Invalid;
        entries[i] = { entry.address, entry.value };
    }
    return proc::futex_wait_many(current().space, { entries, count }, deadline);
}

}  // namespace

int64_t sys_futex_waitv(const SyscallArgs& args) { return to_result(futex_waitv(args)); }

int64_t sys_futex(const SyscallArgs& args) {
    uint32_t op = static_cast<uint32_t>(args.a[1]);
    uint32_t command = op & abi::k_futex_cmd_mask;
    uint64_t address = args.a[0];
    // Linux: FUTEX_CLOCK_REALTIME only with the calls that take an absolute
    // time (of those, Akuma has FUTEX_WAIT_BITSET); ENOSYS with any other.
    bool realtime = op & abi::k_futex_clock_realtime;
    if (realtime && command != abi::k_futex_wait_bitset && command != abi::k_futex_wait_requeue_pi &&
        command != abi::k_futex_lock_pi2)
        return error_result(Error::NotImplemented);
    if (address & 3)
        return error_result(Error::Invalid);
    switch (command) {
    case abi::k_futex_wait:
    case abi::k_futex_wait_bitset: {
        if (command == abi::k_futex_wait_bitset && static_cast<uint32_t>(args.a[5]) == 0)
            return error_result(Error::Invalid);
        uint64_t deadline = 0;  // none
        if (args.a[3] != 0) {
            auto time = read_timespec_ns(args.ptr<const abi::Timespec>(3));
            if (time.is_error())
                return error_result(time.error());
            if (command == abi::k_futex_wait)
                deadline = time::deadline_after(arch::monotonic_ns(), time.value());  // relative
            else if (realtime)
                deadline = monotonic_from_realtime_ns(time.value());  // absolute CLOCK_REALTIME
            else
                deadline = time.value();  // absolute CLOCK_MONOTONIC
            if (deadline == 0)
                deadline = 1;  // long passed (0 would mean "no deadline")
        }
        uint32_t bits = command == abi::k_futex_wait_bitset ? static_cast<uint32_t>(args.a[5]) : proc::k_futex_any_bits;
        return to_result(
            proc::futex_wait(current().space, address, static_cast<uint32_t>(args.a[2]), deadline, bits));
    }
    case abi::k_futex_wake:
    case abi::k_futex_wake_bitset: {
        if (command == abi::k_futex_wake_bitset && static_cast<uint32_t>(args.a[5]) == 0)
            return error_result(Error::Invalid);
        uint32_t bits = command == abi::k_futex_wake_bitset ? static_cast<uint32_t>(args.a[5]) : proc::k_futex_any_bits;
        return static_cast<int64_t>(proc::futex_wake(current().space, address, wake_count(args.a[2]), bits));
    }
    case abi::k_futex_requeue:
    case abi::k_futex_cmp_requeue: {
        // val2 (how many to move) comes in the timeout's place.
        int32_t wake = static_cast<int32_t>(args.a[2]);
        int32_t move = static_cast<int32_t>(args.a[3]);
        if (wake < 0 || move < 0)
            return error_result(Error::Invalid);
        if (args.a[4] & 3)
            return error_result(Error::Invalid);
        uint32_t expected = static_cast<uint32_t>(args.a[5]);
        return to_result(proc::futex_requeue(current().space, address, static_cast<uint64_t>(wake), args.a[4],
                                             static_cast<uint64_t>(move),
                                             command == abi::k_futex_cmp_requeue ? &expected : nullptr));
    }
    case abi::k_futex_lock_pi:
    case abi::k_futex_lock_pi2:
    case abi::k_futex_trylock_pi: {
        // LOCK_PI's timeout is an absolute CLOCK_REALTIME time; LOCK_PI2's
        // an absolute CLOCK_MONOTONIC one unless FUTEX_CLOCK_REALTIME.
        uint64_t deadline = 0;
        if (command != abi::k_futex_trylock_pi && args.a[3] != 0) {
            auto time = read_timespec_ns(args.ptr<const abi::Timespec>(3));
            if (time.is_error())
                return error_result(time.error());
            bool on_realtime = command == abi::k_futex_lock_pi || realtime;
            deadline = on_realtime ? monotonic_from_realtime_ns(time.value()) : time.value();
            if (deadline == 0)
                deadline = 1;
        }
        return to_result(proc::futex_lock_pi(current().space, address, proc::current_task()->tid, deadline,
                                             command == abi::k_futex_trylock_pi));
    }
    case abi::k_futex_unlock_pi:
        return to_result(proc::futex_unlock_pi(current().space, address, proc::current_task()->tid));
    case abi::k_futex_wake_op: {
        if (args.a[4] & 3)
            return error_result(Error::Invalid);
        return to_result(proc::futex_wake_op(current().space, address, wake_count(args.a[2]), args.a[4],
                                             wake_count(args.a[3]), static_cast<uint32_t>(args.a[5])));
    }
    default: return error_result(Error::NotImplemented);
    }
}

}  // namespace akuma::sys
