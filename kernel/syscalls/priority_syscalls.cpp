// Scheduling attributes and the execution context: getpriority,
// setpriority, sched_setscheduler, sched_getscheduler, sched_setparam,
// sched_getparam, sched_setattr, sched_getattr, sched_get_priority_max/min,
// ioprio_set, ioprio_get, personality, and unshare and setns as a Linux 6.1
// built without namespaces answers them.
//
// The attributes live per thread (proc::SchedAttributes, scheduler lock),
// as Linux's (kernel/sys.c, kernel/sched/core.c): a TID names one thread,
// and a thread-group leader that has left (a zombie, or a process whose
// main thread exited) is still found through its process's copy.
//
// Limitation: they are recorded, inherited and reported (getpriority,
// sched_getscheduler, sched_getparam, /proc/<pid>/stat) but not yet acted
// on. Akuma's scheduler is one round-robin queue with a fixed slice
// (kernel/sched/scheduler.cpp): a nice 19 thread gets the same share of
// the CPU as a nice -20 one, SCHED_IDLE and SCHED_BATCH threads are treated
// as SCHED_OTHER, and a SCHED_FIFO or SCHED_RR thread is time-sliced with
// the others instead of running before them.
//
// Privilege: another user's thread needs CAP_SYS_NICE (Linux's
// set_one_prio and check_same_owner); lowering nice or raising a real-time
// priority needs CAP_SYS_NICE or room under RLIMIT_NICE / RLIMIT_RTPRIO;
// namespaces need CAP_SYS_ADMIN.
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/resource_limits.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

constexpr int k_prio_process = 0, k_prio_pgrp = 1, k_prio_user = 2;
constexpr int k_min_nice = -20, k_max_nice = 19;
constexpr int k_max_rt_priority = 99;  // MAX_RT_PRIO - 1
constexpr int k_sched_reset_on_fork = 0x40000000;

bool is_real_time(int policy) { return policy == proc::k_sched_fifo || policy == proc::k_sched_rr; }

// One thread whose attributes a call reads or changes, and its process
// (for its resource limits).
struct Target {
    proc::SchedAttributes* attributes;
    proc::Process* process;
};

// Linux's find_task_by_vpid (0: the caller): a live thread, or a leader
// that has left. Scheduler lock held.
std::optional<Target> find_thread_locked(int tid) {
    if (tid == 0)
        return Target { &proc::current_task()->sched, &current() };
    if (tid < 0)
        return std::nullopt;
    if (proc::Task* task = proc::find_task_locked(tid))
        return Target { &task->sched, task->process };
    if (proc::Process* process = proc::find_process_locked(tid))
        return Target { &process->leader_sched, process };
    return std::nullopt;
}

// Every thread of a process as Linux's for_each_thread sees it: the live
// ones, and the leader if it has left. Scheduler lock held.
template <typename F>
void for_each_thread_locked(proc::Process& process, F&& visit) {
    bool leader_live = false;
    process.tasks.for_each([&](proc::Task& task) {
        leader_live |= task.tid == process.pid;
        visit(Target { &task.sched, &process });
    });
    if (!leader_live)
        visit(Target { &process.leader_sched, &process });
}

// The threads getpriority/setpriority's (which, who) select; Invalid for an
// unknown `which`. No thread at all is for the caller to turn into ESRCH.
template <typename F>
ErrorOr<void> for_each_selected_locked(int which, int who, F&& visit) {
    switch (which) {
    case k_prio_process:
        if (auto target = find_thread_locked(who))
            visit(*target);
        return {};
    case k_prio_pgrp: {
        int pgid = who == 0 ? current().pgid : who;
        proc::all_processes_locked().for_each([&](proc::Process& process) {
            if (process.pgid == pgid)
                for_each_thread_locked(process, visit);
        });
        return {};
    }
    case k_prio_user: {
        // The processes whose real user is `who` (0: the caller's).
        uint32_t uid = who == 0 ? proc::current_credentials().uid : static_cast<uint32_t>(who);
        proc::all_processes_locked().for_each([&](proc::Process& process) {
            if (proc::credentials_of(process).uid == uid)
                for_each_thread_locked(process, visit);
        });
        return {};
    }
    default: return Error::Invalid;
    }
}

// Linux's set_one_prio and check_same_owner: another user's thread may be
// changed only with CAP_SYS_NICE (the caller's effective user must be the
// target's real or effective one).
bool may_change_locked(const proc::Credentials& caller, bool privileged, const proc::Process& process) {
    if (privileged)
        return true;
    auto target = proc::credentials_of(process);
    return caller.euid == target.uid || caller.euid == target.euid;
}

// Linux's nice_to_rlimit(nice) <= RLIMIT_NICE (is_nice_reduction): what a
// thread without CAP_SYS_NICE may lower its nice value to. The limits lock
// is a leaf spinlock, so it may be taken under the scheduler lock.
bool within_nice_limit(const proc::Process& process, int nice) {
    return static_cast<uint64_t>(20 - nice) <= proc::soft_limit(process, abi::k_rlimit_nice);
}

}  // namespace

// getpriority(which, who): the highest priority (lowest nice) among the
// selected threads, as 20 - nice (1..40; glibc turns it back into nice).
int64_t sys_getpriority(const SyscallArgs& args) {
    int which = static_cast<int>(args.a[0]);
    int who = static_cast<int>(args.a[1]);
    int best = -1;
    sched::SchedulerLockGuard guard;
    auto walked = for_each_selected_locked(which, who, [&](Target target) {
        int value = 20 - target.attributes->nice;
        if (value > best)
            best = value;
    });
    if (walked.is_error())
        return error_result(walked.error());
    return best < 0 ? error_result(Error::NoSuchProcess) : best;
}

// setpriority(which, who, nice): every selected thread gets `nice` clamped
// to [-20, 19] (also under FIFO/RR, where Linux keeps it for later). Like
// Linux's set_one_prio, a thread that may not be changed (lowering nice
// without CAP_SYS_NICE beyond RLIMIT_NICE: EACCES; another user's
// thread: EPERM) does not stop the others; the last such error is the
// answer.
int64_t sys_setpriority(const SyscallArgs& args) {
    int which = static_cast<int>(args.a[0]);
    int who = static_cast<int>(args.a[1]);
    int nice = static_cast<int>(args.a[2]);
    nice = nice < k_min_nice ? k_min_nice : nice > k_max_nice ? k_max_nice : nice;
    Error result = Error::NoSuchProcess;
    bool any_changed = false;
    sched::SchedulerLockGuard guard;
    auto caller = proc::current_credentials();
    bool privileged = caller.capable(proc::Capability::SysNice);
    auto walked = for_each_selected_locked(which, who, [&](Target target) {
        if (!may_change_locked(caller, privileged, *target.process)) {
            result = Error::NotPermitted;
            return;
        }
        if (nice < target.attributes->nice && !privileged && !within_nice_limit(*target.process, nice)) {
            result = Error::AccessDenied;
            return;
        }
        target.attributes->nice = static_cast<int8_t>(nice);
        any_changed = true;
    });
    if (walked.is_error())
        return error_result(walked.error());
    if (result == Error::NoSuchProcess && any_changed)
        return 0;
    return error_result(result);
}

namespace {

// Linux's __sched_setscheduler on a found thread (scheduler lock held):
// the policy (SCHED_RESET_ON_FORK apart), its priority and, for sched_setattr
// on a fair policy, a nice value; checked, then recorded.
ErrorOr<void> change_scheduler_locked(const Target& found, int policy, uint32_t priority, bool reset_on_fork,
                                      std::optional<int> nice) {
    proc::SchedAttributes& attributes = *found.attributes;
    // SCHED_DEADLINE (6) needs runtimes Akuma does not schedule by: EINVAL
    // (through sched_setscheduler Linux says so too).
    if (policy != proc::k_sched_other && policy != proc::k_sched_batch && policy != proc::k_sched_idle &&
        !is_real_time(policy))
        return Error::Invalid;
    // FIFO and RR take 1..99, the others 0.
    if (priority > k_max_rt_priority || is_real_time(policy) != (priority != 0))
        return Error::Invalid;
    bool fair = !is_real_time(policy);
    if (!proc::current_capable(proc::Capability::SysNice)) {
        proc::Process& process = *found.process;
        if (!may_change_locked(proc::current_credentials(), false, process))
            return Error::NotPermitted;
        if (fair && nice && *nice < attributes.nice && !within_nice_limit(process, *nice))
            return Error::NotPermitted;
        if (is_real_time(policy)) {
            uint64_t rt_limit = proc::soft_limit(process, abi::k_rlimit_rtprio);
            if (policy != attributes.policy && rt_limit == 0)
                return Error::NotPermitted;
            if (priority > attributes.rt_priority && priority > rt_limit)
                return Error::NotPermitted;
        }
        // SCHED_IDLE counts as nice 20: leaving it is lowering the nice value.
        if (attributes.policy == proc::k_sched_idle && policy != proc::k_sched_idle &&
            !within_nice_limit(process, attributes.nice))
            return Error::NotPermitted;
        if (attributes.reset_on_fork && !reset_on_fork)
            return Error::NotPermitted;
    }
    attributes.policy = static_cast<uint8_t>(policy);
    attributes.rt_priority = static_cast<uint8_t>(priority);
    attributes.reset_on_fork = reset_on_fork;
    if (fair && nice)
        attributes.nice = static_cast<int8_t>(*nice);
    return {};
}

// Linux's __sched_setscheduler through sched_setscheduler (policy) and
// sched_setparam (keep_policy): the nice value stays as it is.
ErrorOr<void> set_scheduler(int pid, int policy, uint64_t param, bool keep_policy) {
    if (!param || pid < 0)
        return Error::Invalid;
    int32_t requested = TRY(mm::read_user(mm::UserPtr<const int32_t>(param)));
    // Linux compares it as an unsigned number: a negative one is too large.
    uint32_t priority = static_cast<uint32_t>(requested);
    sched::SchedulerLockGuard guard;
    auto found = find_thread_locked(pid);
    if (!found)
        return Error::NoSuchProcess;
    bool reset_on_fork;
    if (keep_policy) {
        policy = found->attributes->policy;
        reset_on_fork = found->attributes->reset_on_fork;
    } else {
        reset_on_fork = policy & k_sched_reset_on_fork;
        policy &= ~k_sched_reset_on_fork;
    }
    return change_scheduler_locked(*found, policy, priority, reset_on_fork, std::nullopt);
}

// struct sched_attr (SCHED_ATTR_SIZE_VER1; VER0 ends before util_min).
struct SchedAttr {
    uint32_t size;
    uint32_t policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime;
    uint64_t deadline;
    uint64_t period;
    uint32_t util_min;
    uint32_t util_max;
};
static_assert(sizeof(SchedAttr) == 56);
constexpr uint32_t k_sched_attr_size_ver0 = 48;
constexpr uint64_t k_sched_flag_reset_on_fork = 0x01;
constexpr uint64_t k_sched_flag_keep_policy = 0x08;
constexpr uint64_t k_sched_flag_keep_params = 0x10;
constexpr uint64_t k_sched_flag_util_clamp = 0x60;
constexpr uint64_t k_sched_flag_all = 0x7f;

// sched_setattr's copy of the caller's struct (Linux's sched_copy_attr):
// a size of 0 is VER0's; a size outside [VER0, 4096], or bytes past ours
// that are not zero, is E2BIG with our size written back.
ErrorOr<SchedAttr> read_sched_attr(uint64_t address) {
    uint32_t size = TRY(mm::read_user(mm::UserPtr<const uint32_t>(address)));
    if (size == 0)
        size = k_sched_attr_size_ver0;
    bool fits = size >= k_sched_attr_size_ver0 && size <= 4096;
    for (uint32_t at = sizeof(SchedAttr); fits && at < size; ++at)
        fits = TRY(mm::read_user(mm::UserPtr<const uint8_t>(address + at))) == 0;
    if (!fits) {
        TRY(mm::write_user(mm::UserPtr<uint32_t>(address), static_cast<uint32_t>(sizeof(SchedAttr))));
        return Error::TooBig;
    }
    SchedAttr attr {};
    TRY(mm::copy_from_user(&attr, mm::UserPtr<const void>(address), size < sizeof attr ? size : sizeof attr));
    if ((attr.flags & k_sched_flag_util_clamp) && size < sizeof(SchedAttr))
        return Error::Invalid;
    attr.nice = attr.nice < -20 ? -20 : attr.nice > 19 ? 19 : attr.nice;
    return attr;
}

}  // namespace

// sched_setscheduler(pid, policy, param): SCHED_OTHER, SCHED_BATCH and
// SCHED_IDLE (priority 0), SCHED_FIFO and SCHED_RR (priority 1..99), any of
// them with SCHED_RESET_ON_FORK. Recorded only: see the top of this file.
int64_t sys_sched_setscheduler(const SyscallArgs& args) {
    int policy = static_cast<int>(args.a[1]);
    if (policy < 0)
        return error_result(Error::Invalid);
    return to_result(set_scheduler(static_cast<int>(args.a[0]), policy, args.a[2], false));
}

// sched_setattr(pid, attr, flags): the policies of sched_setscheduler, and
// for the fair ones the nice value; SCHED_FLAG_KEEP_POLICY/KEEP_PARAMS keep
// what the thread has. Utilization clamps are EOPNOTSUPP (Linux without
// CONFIG_UCLAMP_TASK); SCHED_DEADLINE is EINVAL (see change_scheduler_locked).
int64_t sys_sched_setattr(const SyscallArgs& args) {
    auto pid = static_cast<int>(args.a[0]);
    if (!args.a[1] || pid < 0 || args.a[2] != 0)
        return error_result(Error::Invalid);
    auto read = read_sched_attr(args.a[1]);
    if (read.is_error())
        return error_result(read.error());
    SchedAttr attr = read.value();
    if (static_cast<int32_t>(attr.policy) < 0)
        return error_result(Error::Invalid);
    sched::SchedulerLockGuard guard;
    auto found = find_thread_locked(pid);
    if (!found)
        return error_result(Error::NoSuchProcess);
    if (attr.flags & ~k_sched_flag_all)
        return error_result(Error::Invalid);
    if (attr.flags & k_sched_flag_util_clamp)
        return error_result(Error::NotSupported);
    const proc::SchedAttributes& current = *found->attributes;
    int policy = (attr.flags & k_sched_flag_keep_policy) ? current.policy : static_cast<int>(attr.policy);
    uint32_t priority = attr.priority;
    int nice = attr.nice;
    if (attr.flags & k_sched_flag_keep_params) {
        priority = is_real_time(current.policy) ? current.rt_priority : 0;
        nice = current.nice;
    }
    return to_result(
        change_scheduler_locked(*found, policy, priority, attr.flags & k_sched_flag_reset_on_fork, nice));
}

// sched_getattr(pid, attr, size, flags): the policy (and
// SCHED_FLAG_RESET_ON_FORK), the priority of a real-time one or the nice
// value of a fair one; at most `size` bytes of our struct, its size in it.
int64_t sys_sched_getattr(const SyscallArgs& args) {
    auto pid = static_cast<int>(args.a[0]);
    uint64_t size = args.a[2];
    if (!args.a[1] || pid < 0 || size > 4096 || size < k_sched_attr_size_ver0 || args.a[3] != 0)
        return error_result(Error::Invalid);
    SchedAttr attr {};
    {
        sched::SchedulerLockGuard guard;
        auto found = find_thread_locked(pid);
        if (!found)
            return error_result(Error::NoSuchProcess);
        const proc::SchedAttributes& current = *found->attributes;
        attr.policy = current.policy;
        attr.flags = current.reset_on_fork ? k_sched_flag_reset_on_fork : 0;
        if (is_real_time(current.policy))
            attr.priority = current.rt_priority;
        else
            attr.nice = current.nice;
    }
    attr.size = static_cast<uint32_t>(size < sizeof attr ? size : sizeof attr);
    return to_result(mm::copy_to_user(args.ptr<void>(1), &attr, attr.size));
}

// ioprio_set/ioprio_get: an I/O scheduling class and level per thread,
// checked and inherited as Linux 6.1's; Akuma's disks have no I/O
// scheduler to act on them, as Linux's with the "none" or mq-deadline
// scheduler (virtio-blk's default) ignores them too. `which` is
// IOPRIO_WHO_PROCESS/PGRP/USER, getpriority's numbering plus one.
namespace {

constexpr int k_ioprio_class_shift = 13;
constexpr int k_ioprio_class_none = 0, k_ioprio_class_rt = 1, k_ioprio_class_idle = 3;
constexpr int k_ioprio_be_norm = (2 << k_ioprio_class_shift) | 4;  // IOPRIO_CLASS_BE, level 4

// Linux's ioprio_check_cap: the class, its level (the low three bits), and
// CAP_SYS_NICE or CAP_SYS_ADMIN for the real-time class.
ErrorOr<void> check_io_priority(int priority) {
    int io_class = priority >> k_ioprio_class_shift;
    int level = priority & 7;
    if (priority < 0 || io_class > k_ioprio_class_idle)
        return Error::Invalid;
    if (io_class == k_ioprio_class_rt && !proc::current_capable(proc::Capability::SysNice) &&
        !proc::current_capable(proc::Capability::SysAdmin))
        return Error::NotPermitted;
    if (io_class == k_ioprio_class_none && level != 0)
        return Error::Invalid;
    return {};
}

// Linux's ioprio_best: the higher of two (a lower number), with "none" as
// best-effort level 4.
int best_io_priority(int a, int b) {
    if ((a >> k_ioprio_class_shift) == k_ioprio_class_none)
        a = k_ioprio_be_norm;
    if ((b >> k_ioprio_class_shift) == k_ioprio_class_none)
        b = k_ioprio_be_norm;
    return a < b ? a : b;
}

}  // namespace

int64_t sys_ioprio_set(const SyscallArgs& args) {
    int which = static_cast<int>(args.a[0]);
    int who = static_cast<int>(args.a[1]);
    int priority = static_cast<int>(args.a[2]);
    if (auto checked = check_io_priority(priority); checked.is_error())
        return error_result(checked.error());
    proc::Credentials caller = proc::current_credentials();
    bool privileged = proc::current_capable(proc::Capability::SysNice);
    sched::SchedulerLockGuard guard;
    bool found = false;
    bool refused = false;
    auto walked = for_each_selected_locked(which - 1, who, [&](const Target& target) {
        if (refused)
            return;
        found = true;
        // Linux's set_task_ioprio: the target's real user is the caller's
        // effective or real one, or CAP_SYS_NICE; the first refusal ends it.
        uint32_t owner = proc::credentials_of(*target.process).uid;
        if (!privileged && owner != caller.euid && owner != caller.uid) {
            refused = true;
            return;
        }
        target.attributes->io_priority = static_cast<uint16_t>(priority);
    });
    if (walked.is_error())
        return error_result(walked.error());
    if (refused)
        return error_result(Error::NotPermitted);
    return found ? 0 : error_result(Error::NoSuchProcess);
}

int64_t sys_ioprio_get(const SyscallArgs& args) {
    int which = static_cast<int>(args.a[0]);
    int who = static_cast<int>(args.a[1]);
    sched::SchedulerLockGuard guard;
    int64_t result = -1;
    auto walked = for_each_selected_locked(which - 1, who, [&](const Target& target) {
        int priority = target.attributes->io_priority;
        result = result < 0 ? priority : best_io_priority(static_cast<int>(result), priority);
    });
    if (walked.is_error())
        return error_result(walked.error());
    return result < 0 ? error_result(Error::NoSuchProcess) : result;
}

int64_t sys_sched_setparam(const SyscallArgs& args) {
    return to_result(set_scheduler(static_cast<int>(args.a[0]), 0, args.a[1], true));
}

// The policy, with SCHED_RESET_ON_FORK if set.
int64_t sys_sched_getscheduler(const SyscallArgs& args) {
    int pid = static_cast<int>(args.a[0]);
    if (pid < 0)
        return error_result(Error::Invalid);
    sched::SchedulerLockGuard guard;
    auto found = find_thread_locked(pid);
    if (!found)
        return error_result(Error::NoSuchProcess);
    const proc::SchedAttributes& attributes = *found->attributes;
    return attributes.policy | (attributes.reset_on_fork ? k_sched_reset_on_fork : 0);
}

int64_t sys_sched_getparam(const SyscallArgs& args) {
    int pid = static_cast<int>(args.a[0]);
    if (!args.a[1] || pid < 0)
        return error_result(Error::Invalid);
    int32_t priority;
    {
        sched::SchedulerLockGuard guard;
        auto found = find_thread_locked(pid);
        if (!found)
            return error_result(Error::NoSuchProcess);
        priority = is_real_time(found->attributes->policy) ? found->attributes->rt_priority : 0;
    }
    return to_result(mm::write_user(args.ptr<int32_t>(1), priority));
}

// The priority range of each policy Linux has, EINVAL for others. For
// SCHED_DEADLINE (not offered: it needs sched_setattr) Linux answers 0..0.
constexpr int64_t k_sched_deadline = 6;

int64_t sys_sched_get_priority_max(const SyscallArgs& args) {
    switch (static_cast<int64_t>(args.a[0])) {
    case proc::k_sched_fifo:
    case proc::k_sched_rr: return k_max_rt_priority;
    case proc::k_sched_other:
    case proc::k_sched_batch:
    case proc::k_sched_idle:
    case k_sched_deadline: return 0;
    default: return error_result(Error::Invalid);
    }
}

int64_t sys_sched_get_priority_min(const SyscallArgs& args) {
    switch (static_cast<int64_t>(args.a[0])) {
    case proc::k_sched_fifo:
    case proc::k_sched_rr: return 1;
    case proc::k_sched_other:
    case proc::k_sched_batch:
    case proc::k_sched_idle:
    case k_sched_deadline: return 0;
    default: return error_result(Error::Invalid);
    }
}

// personality(persona): returns the old value; 0xffffffff only asks. Akuma
// offers PER_LINUX (0), with or without ADDR_NO_RANDOMIZE (0x0040000):
// nothing in a process's layout is randomized, so that flag is honoured as
// it stands. PER_LINUX32 is EINVAL, as Linux answers on arm64 machines
// without 32-bit EL0 (arch/arm64/kernel/sys.c): Akuma runs AArch64 programs
// only. Linux 6.1 also stores other personas and flags, most of which
// change something (STICKY_TIMEOUTS in select, READ_IMPLIES_EXEC in mmap,
// UNAME26, MMAP_PAGE_ZERO at exec...): EINVAL rather than accepted and
// ignored.
int64_t sys_personality(const SyscallArgs& args) {
    constexpr uint32_t k_query = 0xffffffff;
    constexpr uint32_t k_addr_no_randomize = 0x0040000;
    auto persona = static_cast<uint32_t>(args.a[0]);
    proc::Task& task = *proc::current_task();
    uint32_t old = task.personality;
    if (persona != k_query) {
        if (persona & ~k_addr_no_randomize)
            return error_result(Error::Invalid);
        task.personality = persona;
    }
    return old;
}

// unshare(flags), as Linux 6.1's ksys_unshare on a kernel without
// namespaces (CONFIG_{USER,UTS,IPC,PID,NET,TIME}_NS off, and without
// cgroups):
//   - unknown flags: EINVAL;
//   - CLONE_THREAD, CLONE_SIGHAND, CLONE_VM ("not implemented, but pretend
//     it works if there is nothing to unshare"): only for a process of one
//     thread (and CLONE_VM not for a vfork child borrowing its parent's
//     memory), else EINVAL;
//   - CLONE_FS, CLONE_FILES: Akuma keeps the cwd, umask and descriptor
//     table per process, shared by exactly its threads. Alone, the caller
//     shares them with nobody, so (as Linux with a use count of 1) there is
//     nothing to do. With other threads, a private copy for the caller
//     would need per-thread tables, which Akuma has not: EINVAL;
//   - CLONE_SYSVSEM: Linux applies the caller's System V semaphore undo
//     list; Akuma has no System V semaphores, so there is none;
//   - CLONE_NEWUSER: EINVAL (unshare_userns);
//   - the other namespaces: EPERM without CAP_SYS_ADMIN, then EINVAL
//     (copy_utsname and the others), but CLONE_NEWCGROUP, which a kernel
//     without cgroups grants by keeping the namespace it has. CLONE_NEWNS
//     is EINVAL too: Linux cannot be built without mount namespaces, but
//     Akuma has none to create.
int64_t sys_unshare(const SyscallArgs& args) {
    uint64_t flags = args.a[0];
    constexpr uint64_t k_accepted = abi::k_clone_thread | abi::k_clone_fs | abi::k_clone_newns |
                                    abi::k_clone_sighand | abi::k_clone_vm | abi::k_clone_files |
                                    abi::k_clone_sysvsem | abi::k_clone_newuts | abi::k_clone_newipc |
                                    abi::k_clone_newnet | abi::k_clone_newuser | abi::k_clone_newpid |
                                    abi::k_clone_newcgroup | abi::k_clone_newtime;
    constexpr uint64_t k_namespaces = abi::k_clone_newns | abi::k_clone_newuts | abi::k_clone_newipc |
                                      abi::k_clone_newnet | abi::k_clone_newpid | abi::k_clone_newcgroup |
                                      abi::k_clone_newtime;
    // What unsharing one thing implies (ksys_unshare).
    if (flags & abi::k_clone_newuser)
        flags |= abi::k_clone_thread | abi::k_clone_fs;
    if (flags & abi::k_clone_vm)
        flags |= abi::k_clone_sighand;
    if (flags & abi::k_clone_sighand)
        flags |= abi::k_clone_thread;
    if (flags & abi::k_clone_newns)
        flags |= abi::k_clone_fs;
    if (flags & ~k_accepted)
        return error_result(Error::Invalid);
    sched::SchedulerLockGuard guard;
    proc::Process& process = current();
    bool alone = process.live_tasks == 1;
    // Signal actions are shared by exactly the threads of a process.
    if ((flags & (abi::k_clone_thread | abi::k_clone_sighand | abi::k_clone_vm)) && !alone)
        return error_result(Error::Invalid);
    if ((flags & abi::k_clone_vm) && process.space_borrowed)
        return error_result(Error::Invalid);  // current_is_single_threaded: the parent shares the memory
    if ((flags & (abi::k_clone_fs | abi::k_clone_files)) && !alone)
        return error_result(Error::Invalid);  // see above: no per-thread tables
    if (flags & abi::k_clone_newuser)
        return error_result(Error::Invalid);
    if (flags & k_namespaces) {
        if (!proc::current_capable(proc::Capability::SysAdmin))
            return error_result(Error::NotPermitted);
        if (flags & (k_namespaces & ~abi::k_clone_newcgroup))
            return error_result(Error::Invalid);
    }
    return 0;
}

// setns(fd, nstype): Linux joins the namespace of a /proc/<pid>/ns file
// (Akuma has none) or those of a pidfd's process; without namespaces every
// type a pidfd may name is EINVAL (check_setns_flags), and so is the mount
// namespace, which Akuma has not. Any other file is EINVAL; a descriptor
// that is not open is EBADF.
int64_t sys_setns(const SyscallArgs& args) {
    auto file = FileRef::from_fd(args.fd(0));
    if (file.is_error())
        return error_result(Error::BadFd);
    return error_result(Error::Invalid);
}

}  // namespace akuma::sys
