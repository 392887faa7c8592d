// System and resource information: sysinfo, times, getrusage,
// sched_getaffinity. CPU time comes from the per-thread accounting
// (kernel/sched/cpu_time.h).
#include "kernel/arch/aarch64/timer.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/syscalls/time_helpers.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

constexpr uint64_t k_ns_per_tick = time::k_ns_per_second / abi::k_user_hz;

abi::Timeval counts_to_timeval(uint64_t counts) { return to_timeval(arch::counts_to_ns(counts)); }

int64_t to_clock_ticks(uint64_t counts) {
    return static_cast<int64_t>(arch::counts_to_ns(counts) / k_ns_per_tick);
}

uint64_t own_maxrss_kb() { return current().space->peak_resident_pages() * mm::k_page_size / 1024; }

}  // namespace

abi::Rusage rusage_of(const sched::CpuTime& time, uint64_t maxrss_kb) {
    abi::Rusage usage {};
    usage.utime = counts_to_timeval(time.user);
    usage.stime = counts_to_timeval(time.system);
    usage.maxrss = static_cast<int64_t>(maxrss_kb);
    return usage;
}

int64_t sys_sysinfo(const SyscallArgs& args) {
    auto memory = mm::pmm_stats();
    abi::Sysinfo info {};
    info.uptime = static_cast<int64_t>(arch::monotonic_ns() / time::k_ns_per_second);
    info.totalram = memory.total_pages * mm::k_page_size;
    info.freeram = memory.free_pages * mm::k_page_size;
    info.procs = static_cast<uint16_t>(proc::process_stats().tasks);  // Linux: nr_threads
    info.mem_unit = 1;
    return to_result(mm::write_user(args.ptr<abi::Sysinfo>(0), info));
}

int64_t sys_times(const SyscallArgs& args) {
    if (args.a[0] != 0) {
        sched::CpuTime self, children;
        {
            sched::SchedulerLockGuard guard;
            self = proc::process_cpu_time_locked(current());
            children = current().reaped_children_time;
        }
        abi::Tms times { to_clock_ticks(self.user), to_clock_ticks(self.system),
                         to_clock_ticks(children.user), to_clock_ticks(children.system) };
        if (mm::write_user(args.ptr<abi::Tms>(0), times).is_error())
            return error_result(Error::Fault);
    }
    // Clock ticks since an arbitrary point (boot), as Linux's jiffies.
    return static_cast<int64_t>(arch::monotonic_ns() / k_ns_per_tick);
}

int64_t sys_getrusage(const SyscallArgs& args) {
    int who = static_cast<int>(args.a[0]);
    sched::CpuTime time;
    uint64_t maxrss_kb = 0;
    if (who == abi::k_rusage_self) {
        sched::SchedulerLockGuard guard;
        time = proc::process_cpu_time_locked(current());
    } else if (who == abi::k_rusage_thread) {
        time = sched::thread_cpu_time(*sched::current_thread());
    } else if (who == abi::k_rusage_children) {
        sched::SchedulerLockGuard guard;
        time = current().reaped_children_time;
        maxrss_kb = current().reaped_children_maxrss_kb;
    } else {
        return error_result(Error::Invalid);
    }
    if (who != abi::k_rusage_children)
        maxrss_kb = own_maxrss_kb();  // Linux: the process's for RUSAGE_THREAD too
    return to_result(mm::write_user(args.ptr<abi::Rusage>(1), rusage_of(time, maxrss_kb)));
}

namespace {

// The sched_* calls name a thread (0: the caller): ESRCH if there is none.
// A negative ID is EINVAL for the scheduler-policy calls, and simply no
// such thread (ESRCH) for the affinity calls, as in Linux.
enum class NegativeId : uint8_t { Invalid, NoSuchThread };

ErrorOr<void> check_thread_id(int64_t tid, NegativeId negative = NegativeId::Invalid) {
    if (static_cast<int>(tid) < 0)
        return negative == NegativeId::Invalid ? Error::Invalid : Error::NoSuchProcess;
    if (tid == 0)
        return {};
    sched::SchedulerLockGuard guard;
    if (!proc::find_task_locked(static_cast<int>(tid)))
        return Error::NoSuchProcess;
    return {};
}

}  // namespace

// sched_setaffinity(pid, len, mask): every thread runs on CPU 0, the one
// online CPU, so a mask that holds it is already obeyed; one without any
// online CPU is EINVAL, as Linux. (Bits past the mask's length are zero.)
int64_t sys_sched_setaffinity(const SyscallArgs& args) {
    if (auto checked = check_thread_id(static_cast<int64_t>(args.a[0]), NegativeId::NoSuchThread); checked.is_error())
        return error_result(checked.error());
    if (args.a[1] == 0)
        return error_result(Error::Invalid);
    auto first = mm::read_user(args.ptr<const uint8_t>(2));
    if (first.is_error())
        return error_result(first.error());
    return (first.value() & 1) ? 0 : error_result(Error::Invalid);
}

// sched_rr_get_interval(pid, interval): the scheduler's time slice, for
// every policy: Akuma's scheduler slices SCHED_FIFO threads too (Linux
// answers 0 for them; see priority_syscalls.cpp).
int64_t sys_sched_rr_get_interval(const SyscallArgs& args) {
    if (auto checked = check_thread_id(static_cast<int64_t>(args.a[0])); checked.is_error())
        return error_result(checked.error());
    auto stats = sched::scheduler_stats();
    uint64_t slice_ns = uint64_t { stats.slice_ticks } * 1'000'000'000 / stats.tick_hz;
    abi::Timespec interval { 0, static_cast<int64_t>(slice_ns) };
    return to_result(mm::write_user(args.ptr<abi::Timespec>(1), interval));
}

int64_t sys_sched_getaffinity(const SyscallArgs& args) {
    if (auto checked = check_thread_id(static_cast<int64_t>(args.a[0]), NegativeId::NoSuchThread); checked.is_error())
        return error_result(checked.error());
    if (args.a[1] < sizeof(uint64_t) || (args.a[1] & (sizeof(uint64_t) - 1)))
        return error_result(Error::Invalid);
    uint64_t mask = 1;  // one CPU
    if (mm::write_user(args.ptr<uint64_t>(2), mask).is_error())
        return error_result(Error::Fault);
    return sizeof(uint64_t);
}


}  // namespace akuma::sys
