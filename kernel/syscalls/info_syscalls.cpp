// System and resource information: sysinfo, times, getrusage,
// sched_getaffinity, and wait4/waitid (a process has no children until
// fork exists, issue 6, so they report ECHILD as Linux does then).
#include "kernel/arch/aarch64/timer.h"
#include "kernel/mm/pmm.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

constexpr uint64_t k_ns_per_tick = 1'000'000'000 / abi::k_user_hz;

// CPU time is not accounted per thread yet: the time since the process
// started is an upper bound of it (see time_syscalls.cpp).
uint64_t process_time_ns() { return arch::monotonic_ns() - current().start_ns; }

}  // namespace

int64_t sys_sysinfo(const SyscallArgs& args) {
    auto memory = mm::pmm_stats();
    abi::Sysinfo info {};
    info.uptime = static_cast<int64_t>(arch::monotonic_ns() / 1'000'000'000);
    info.totalram = memory.total_pages * mm::k_page_size;
    info.freeram = memory.free_pages * mm::k_page_size;
    info.procs = static_cast<uint16_t>(proc::process_stats().tasks);  // Linux: nr_threads
    info.mem_unit = 1;
    return to_result(mm::write_user(args.ptr<abi::Sysinfo>(0), info));
}

int64_t sys_times(const SyscallArgs& args) {
    if (args.a[0] != 0) {
        abi::Tms times { static_cast<int64_t>(process_time_ns() / k_ns_per_tick), 0, 0, 0 };
        if (mm::write_user(args.ptr<abi::Tms>(0), times).is_error())
            return error_result(Error::Fault);
    }
    return static_cast<int64_t>(arch::monotonic_ns() / k_ns_per_tick);
}

int64_t sys_getrusage(const SyscallArgs& args) {
    constexpr int k_rusage_thread = 1;
    int who = static_cast<int>(args.a[0]);
    abi::Rusage usage {};
    if (who == abi::k_rusage_self || who == k_rusage_thread) {
        uint64_t ns = process_time_ns();
        usage.utime = { static_cast<int64_t>(ns / 1'000'000'000), static_cast<int64_t>((ns % 1'000'000'000) / 1000) };
        usage.maxrss = static_cast<int64_t>(current().space->peak_resident_pages() * mm::k_page_size / 1024);
    } else if (who != abi::k_rusage_children) {
        return error_result(Error::Invalid);
    }
    return to_result(mm::write_user(args.ptr<abi::Rusage>(1), usage));
}

int64_t sys_sched_getaffinity(const SyscallArgs& args) {
    int pid = static_cast<int>(args.a[0]);
    if (pid != 0 && pid != current().pid)
        return error_result(Error::NoSuchProcess);
    if (args.a[1] < sizeof(uint64_t) || (args.a[1] & (sizeof(uint64_t) - 1)))
        return error_result(Error::Invalid);
    uint64_t mask = 1;  // one CPU
    if (mm::write_user(args.ptr<uint64_t>(2), mask).is_error())
        return error_result(Error::Fault);
    return sizeof(uint64_t);
}


}  // namespace akuma::sys
