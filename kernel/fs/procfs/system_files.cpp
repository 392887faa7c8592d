#include "kernel/fs/procfs/system_files.h"

#include <array>

#include "kernel/arch/aarch64/irq.h"
#include "kernel/arch/aarch64/timer.h"
#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/time/duration.h"
#include "kernel/time/realtime.h"
#include "kernel/fs/procfs/proc_format.h"
#include "kernel/fs/vfs.h"
#include "kernel/crypto/random.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/net/stack.h"
#include "kernel/proc/process.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/spinlock.h"
#include "kernel/syscalls/host_name.h"
#include "kernel/syscalls/system_identity.h"

namespace akuma::procfs {

namespace {

constexpr uint64_t k_page_kb = mm::k_page_size / 1024;

// Akuma runs on the boot CPU only.
constexpr unsigned k_cpus_online = 1;

// Linux's pid_max default on a 64-bit kernel with few CPUs is 32768; Akuma
// hands out PIDs upward without wrapping or a limit, so the largest PID it
// can give is INT_MAX (what a tool sizing a table by pid_max must expect).
constexpr int k_pid_max = 0x7fffffff;

uint64_t read_midr() {
    uint64_t midr;
    asm volatile("mrs %0, midr_el1" : "=r"(midr));
    return midr;
}

}  // namespace

ErrorOr<void> write_meminfo(TextBuffer& out) {
    mm::PmmStats pmm = mm::pmm_stats();
    auto heap = mm::heap_stats();
    sched::SchedulerStats sched = sched::scheduler_stats();
    MemInfo info {};
    info.total = pmm.total_pages * k_page_kb;
    info.free = pmm.free_pages * k_page_kb;
    // The page cache: tmpfs's file data (Shmem, counted in Cached as Linux
    // counts shmem), copies of initrd and disk files, and disk file pages
    // waiting for write-back (Dirty). The copies are all that can be
    // reclaimed (no swap; dirty ones after their write-back): available is
    // free plus those.
    auto cache = fs::page_cache_pages();
    info.shmem = cache.data * k_page_kb;
    info.cached = (cache.data + cache.clean + cache.dirty) * k_page_kb;
    info.dirty = cache.dirty * k_page_kb;
    info.available = info.free + (cache.clean + cache.dirty) * k_page_kb;
    // The kernel heap's live objects; Akuma's heap has no reclaimable
    // caches worth reporting (empty slabs return to the PMM on request).
    info.slab = heap.bytes_in_use / 1024;
    info.sunreclaim = info.slab;
    // Every kernel thread has one stack (KERNEL_STACK_SIZE); the boot thread
    // uses the boot stack, counted here too for simplicity.
    info.kernel_stack = sched.threads_alive * 16;
    // No overcommit accounting yet: the commit limit is all of RAM.
    info.commit_limit = info.total;
    info.hugepage_size = 2048;  // the 2 MiB block size of the 4 KiB granule
    format_meminfo(out, info);
    return out.status();
}

ErrorOr<void> write_cpuinfo(TextBuffer& out) {
    for (unsigned cpu = 0; cpu < k_cpus_online; ++cpu)
        format_cpuinfo_entry(out, { cpu, read_midr(), arch::user_hwcap(), arch::counter_frequency() });
    return out.status();
}

ErrorOr<void> write_uptime(TextBuffer& out) {
    uint64_t now = arch::monotonic_ns();
    auto load = sched::scheduler_load();
    format_seconds_centis(out, now);
    out.append(" ");
    format_seconds_centis(out, arch::counts_to_ns(load.idle.total()));
    out.append("\n");
    return out.status();
}

ErrorOr<void> write_loadavg(TextBuffer& out) {
    auto load = sched::scheduler_load();
    auto processes = proc::process_stats();
    // Linux: nr_running (runnable threads) / nr_threads.
    format_loadavg(out, load.load.figures, load.runnable, processes.tasks, proc::last_allocated_pid());
    return out.status();
}

ErrorOr<void> write_stat(TextBuffer& out) {
    auto load = sched::scheduler_load();
    auto stats = sched::scheduler_stats();
    uint64_t uptime_ticks = ns_to_clock_ticks(arch::monotonic_ns());
    uint64_t idle_ticks = ns_to_clock_ticks(arch::counts_to_ns(load.idle.total()));
    SystemStat stat {};
    // The scheduler knows the idle thread's time exactly, but keeps no
    // system-wide sum of user time (threads hand theirs to their process,
    // which goes when reaped), so all busy time is counted as system time.
    stat.idle = idle_ticks;
    stat.system = uptime_ticks > idle_ticks ? uptime_ticks - idle_ticks : 0;
    stat.cpus = k_cpus_online;
    stat.interrupts = arch::irq_stats().handled;
    stat.context_switches = stats.context_switches;
    stat.boot_time_seconds = time::realtime_base_ns() / time::k_ns_per_second;
    stat.processes = static_cast<uint64_t>(proc::last_allocated_pid());
    stat.running = load.runnable;
    stat.blocked = 0;  // no uninterruptible (D) waits are told apart
    format_stat(out, stat);
    return out.status();
}

ErrorOr<void> write_version(TextBuffer& out) {
    // Linux: "%s version %s (%s@%s) (%s) %s\n" with the utsname sysname,
    // release, the builder, the compiler and the version.
    out.format("{} version {} (akuma@{}) (clang {}) {}\n", sys::k_system_name, sys::k_release, sys::k_node_name,
               __clang_version__, sys::k_version);
    return out.status();
}

ErrorOr<void> write_hostname(TextBuffer& out) {
    out.format("{}\n", sys::current_name(sys::NameKind::Host).view());
    return out.status();
}

ErrorOr<void> write_osrelease(TextBuffer& out) {
    out.format("{}\n", sys::k_release);
    return out.status();
}

// Linux's ipconfig writes the DHCP answer here in resolv.conf's form;
// Debian's root disk links /etc/resolv.conf to it.
ErrorOr<void> write_net_pnp(TextBuffer& out) {
    char text[256];
    size_t length = net::stack_resolver_config({ text, sizeof text });
    out.append(std::string_view(text, length));
    return out.status();
}

// The interfaces' traffic, in Linux's layout (ifconfig, netstat -i).
ErrorOr<void> write_net_dev(TextBuffer& out) {
    char text[2048];
    size_t length = net::stack_format_interface_counters({ text, sizeof text });
    out.append(std::string_view(text, length < sizeof text ? length : sizeof text - 1));
    return out.status();
}

ErrorOr<void> write_pid_max(TextBuffer& out) {
    out.format("{}\n", k_pid_max);
    return out.status();
}

ErrorOr<void> write_boot_id(TextBuffer& out) {
    // Made on first use, under a mutex so two first readers agree.
    static constinit sched::Mutex lock;
    static constinit std::array<uint8_t, 16> boot_id {};
    static constinit bool made = false;
    std::array<uint8_t, 16> id;
    {
        sched::MutexGuard guard(lock);
        if (!made) {
            random_fill(boot_id);
            made = true;
        }
        id = boot_id;
    }
    format_uuid_v4(out, id);
    return out.status();
}

ErrorOr<void> write_uuid(TextBuffer& out) {
    std::array<uint8_t, 16> id;
    random_fill(id);
    format_uuid_v4(out, id);
    return out.status();
}

}  // namespace akuma::procfs
