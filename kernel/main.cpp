// kernel_main: the one place that states Akuma's initialisation order.
//
// boot.S has already: dropped to EL1, zeroed .bss, mapped the kernel image
// W^X and the DTB (kernel_page_tables.cpp), enabled the MMU and caches and
// installed the exception vectors. From here:
//   1. device tree   -> platform description and boot arguments
//   2. heap (early)  -> arena inside the kernel image
//   3. console       -> the PL011 the DTB names (earlier output is replayed)
//   4. linear map    -> all RAM ranges from the DTB
//   5. PMM           -> buddy arenas over RAM minus every reservation; the
//                       heap switches to page mode; kernel VM ready
//   6. interrupts    -> GIC (v2/v3 from the DTB), generic timer tick, PL031
//   7. threads       -> scheduler; IRQs enabled, preemption on
//   8. then, by boot argument: crashtest=<kind>, bench, exec, init=CMD, test[=filter];
//      by default /sbin/init (PID 1: the shell), or idle with `noinit` or without it.
#include <cstdint>

#include "kernel/arch/aarch64/interrupts.h"
#include "kernel/arch/aarch64/irq.h"
#include "kernel/arch/aarch64/kernel_page_tables.h"
#include "kernel/arch/aarch64/timer.h"
#include "kernel/arch/aarch64/cache.h"
#include "kernel/arch/aarch64/page_zero.h"
#include "kernel/arch/aarch64/power.h"
#include "kernel/boot/boot_state.h"
#include "kernel/debug/panic.h"
#include "kernel/debug/symbols.h"
#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/drivers/console.h"
#include "kernel/drivers/console_file.h"
#include "kernel/drivers/pty.h"
#include "kernel/drivers/console_tty.h"
#include "kernel/drivers/memory_devices.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/writeback.h"
#include "kernel/ipc/shared_memory.h"
#include "kernel/crypto/random.h"
#include "kernel/proc/address_space.h"
#include "kernel/proc/power_off.h"
#include "kernel/proc/program_runner.h"
#include "kernel/drivers/pl031.h"
#include "kernel/drivers/virtio/virtio.h"
#include "kernel/net/stack.h"
#include "kernel/time/duration.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/kernel_vm.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/tests/heap_early_probe.h"
#include "kernel/sched/scheduler.h"
#include "kernel/tests/crashtest.h"
#include "kernel/tests/kbench.h"
#include "kernel/tests/test_runner.h"

extern "C" char __kernel_size[];  // linker-script constant (kernel.ld)

namespace akuma {

namespace {

// Exit statuses when the kernel ends QEMU (see docs/DEBUGGING.md).
constexpr int k_exit_tests_passed = 0;
constexpr int k_exit_tests_failed = 1;
constexpr int k_exit_no_device_tree = 4;
constexpr int k_exit_no_console = 5;

// Files the build puts into the initrd (cmake/initrd.cmake).
constexpr std::string_view k_default_program_list = "/etc/akuma/tests";
constexpr std::string_view k_exec_spec_path = "/etc/akuma/exec";

#ifndef AKUMA_DEBUG_MEMORY
#define AKUMA_DEBUG_MEMORY 0
#endif
// Memory debugging (page poisoning, heap redzones/poisoning) is on by
// default where finding bugs is the point: the test and crashtest modes
// (of a build with AKUMA_DEBUG_MEMORY, the default). Everything a user
// runs (the shell, init=, ./akuma exec) boots with it off, the
// configuration ./akuma bench measures: it costs about 2.5 times the
// instructions of an anonymous page fault. memory_debug=on|off overrides
// either way.
constexpr bool k_debug_memory_in_test_modes = AKUMA_DEBUG_MEMORY;

void print_platform(const boot::BootState& state) {
    const auto& platform = state.platform;
    kprintln("[DTB] at {:#x}, {} bytes; {} CPU(s), {}", state.dtb_physical, state.fdt.total_size(),
             platform.cpu_count, platform.cpu_compatible);
    for (auto& range : platform.memory())
        kprintln("[DTB] RAM {:#012x}-{:#012x} ({} MiB)", range.base, range.base + range.size, range.size >> 20);
    for (auto& range : platform.reserved())
        kprintln("[DTB] reserved {:#012x}-{:#012x}", range.base, range.base + range.size);
    if (platform.initrd)
        kprintln("[DTB] initrd {:#x}-{:#x}", platform.initrd->start, platform.initrd->end);
    kprintln("[DTB] bootargs \"{}\"", platform.bootargs);
    if (platform.uart)
        kprintln("[DTB] UART pl011 at {:#x} (INTID {})", platform.uart->range.base, platform.uart->interrupt.value_or(0));
    if (platform.gic) {
        auto& gic = *platform.gic;
        bool v3 = gic.version == GicVersion::V3;
        kprintln("[DTB] GICv{} distributor {:#x}, {} {:#x}", v3 ? 3 : 2, gic.distributor.base,
                 v3 ? "redistributor" : "CPU interface", v3 ? gic.redistributor.base : gic.cpu_interface.base);
    }
    if (platform.timer)
        kprintln("[DTB] timer PPIs: EL1 physical INTID {}, virtual INTID {}",
                 platform.timer->nonsecure_physical.value_or(0), platform.timer->virtual_timer.value_or(0));
    if (platform.rtc)
        kprintln("[DTB] RTC pl031 at {:#x}", platform.rtc->range.base);
    if (platform.virtio_slot_count > 0) {
        auto slots = platform.virtio();
        kprintln("[DTB] virtio-mmio: {} slots, {:#x}..{:#x}", slots.size(), slots.front().range.base,
                 slots.back().range.base);
    }
    if (platform.psci_method)
        kprintln("[DTB] PSCI via {}", *platform.psci_method == PsciMethod::Hvc ? "hvc" : "smc");
}

// ./akuma exec --disk: the disk is mounted read-write on /mnt before the
// program starts (and written back and marked clean at power-off). A disk
// that is not ext2 (a raw image for a block-device test) stays unmounted;
// the user is told, quiet console or not.
void mount_disk_for_exec(std::string_view device, bool verbose) {
    auto root = fs::root_directory();
    (void)fs::make_directory(root, "/mnt", 0755);  // the initrd may have it
    if (auto mounted = fs::mount(root, device, "/mnt", "ext2", 0, ""); mounted.is_error()) {
        console::set_quiet(false);
        kprintln("[akuma exec] {} not mounted on /mnt: {}", device, error_name(mounted.error()));
        console::set_quiet(!verbose);
    }
}

void map_all_ram(const PlatformInfo& platform) {
    for (auto& range : platform.memory()) {
        auto result = arch::map_linear_ram(range.base, range.size);
        if (result.is_error())
            kprintln("[MMU] cannot map RAM {:#x}+{:#x}: {}", range.base, range.size, error_name(result.error()));
    }
    auto pool = arch::boot_table_pool_stats();
    kprintln("[MMU] kernel W^X, linear map of RAM at {:#x}; {} of {} boot table pages used", mm::k_linear_map_base,
             pool.used, pool.capacity);
}

constexpr std::string_view k_default_init = "/sbin/init";

[[noreturn]] void idle() {
    kprintln("[Kernel] boot complete; idle. Run a program on the console with init=, e.g.");
    kprintln("[Kernel]   ./akuma run --append init=/bin/sh   (quit QEMU with Ctrl-A X)");
    // The main thread has nothing left to do: let the idle thread (and
    // anything else runnable) have the CPU for good.
    for (;;)
        sched::sleep_ns(1'000'000'000ull);
}

}  // namespace

}  // namespace akuma

extern "C" [[noreturn]] void kernel_main(uint64_t dtb_physical, uint64_t kernel_physical, uint64_t entry_el) {
    using namespace akuma;

    // 1. Device tree. Without it there is no console to complain on.
    if (boot::init_boot_state(dtb_physical, kernel_physical, static_cast<unsigned>(entry_el)).is_error())
        arch::machine_exit(k_exit_no_device_tree);
    const auto& state = boot::boot_state();
    const auto& args = state.args;
    if (state.platform.psci_method)
        arch::set_psci_conduit(*state.platform.psci_method == PsciMethod::Hvc ? arch::PsciConduit::Hvc
                                                                                : arch::PsciConduit::Smc);
    // ./akuma exec: only the program's output reaches the terminal (a panic
    // still prints its report).
    if (args.has("exec"))
        console::set_quiet(!args.get_bool("verbose", false));
    // Printed into the early console buffer until step 3 starts the UART.
    kprintln("\nAkuma (aarch64) booting: kernel at {:#x}, entered at EL{}, {} symbols", kernel_physical, entry_el,
             debug::kernel_symbol_count());

    // 2. Kernel heap, early mode: an arena inside the kernel image.
    bool debug_memory =
        args.get_bool("memory_debug", k_debug_memory_in_test_modes && (args.has("test") || args.has("crashtest")));
    mm::heap_init_early({ args.get_bool("heap_debug", debug_memory), args.get("heap").value_or("") == "arena" });
    if (args.has("test"))
        mm::heap_early_probe_allocate();  // checked by a test after the switch to page mode

    // 3. Console.
    if (!state.platform.uart)
        arch::machine_exit(k_exit_no_console);
    auto uart = arch::mmio_map(state.platform.uart->range.base, state.platform.uart->range.size);
    if (uart.is_error())
        arch::machine_exit(k_exit_no_console);
    console::start(uart.value());
    print_platform(state);

    // 4. Linear map of RAM; page zeroing learns the CPU's DC ZVA block,
    // instruction cache maintenance its line sizes.
    map_all_ram(state.platform);
    arch::page_zero_init();
    arch::cache_init();

    // 5. Physical memory manager, then the heap leaves early mode. The
    // in-kernel suite's code is free RAM unless the suite (or a benchmark:
    // some live beside their tests) is to run.
    bool kernel_suite = (args.has("test") && args.get("test").value_or("") != "none") || args.has("bench");
    mm::PhysicalSpan test_code = kernel_suite ? mm::PhysicalSpan {} : arch::retire_kernel_test_code();
    mm::PmmConfig pmm_config { kernel_physical, reinterpret_cast<uint64_t>(__kernel_size),
                               arch::retire_boot_table_pool(), test_code, dtb_physical, state.fdt.used_size(),
                               args.get_bool("page_poison", debug_memory) };
    if (auto result = mm::pmm_init(state.platform, pmm_config); result.is_error())
        panic("[PMM] initialisation failed: {}", error_name(result.error()));
    auto arena = mm::heap_early_arena();
    mm::MemoryTableRow arena_row { "early heap arena",
                                   arch::query_kernel(reinterpret_cast<uint64_t>(arena.base))->physical, arena.size,
                                   "in the kernel image" };
    mm::print_memory_table({ &arena_row, 1 });
    mm::heap_mark_pmm_ready();
    mm::kernel_vm_init();

    // 6. Interrupts and time (IRQs stay masked until the scheduler exists).
    if (!state.platform.gic)
        panic("[IRQ] no GIC in the device tree");
    if (auto result = arch::irq_init(*state.platform.gic); result.is_error())
        panic("[IRQ] GIC initialisation failed: {}", error_name(result.error()));
    if (!state.platform.timer)
        panic("[Time] no generic timer in the device tree");
    auto tick_hz = static_cast<unsigned>(args.get_u64("tick_hz").value_or(arch::k_default_tick_hz));
    if (auto result = arch::timer_init(*state.platform.timer, tick_hz, sched::on_tick); result.is_error())
        panic("[Time] timer initialisation failed: {}", error_name(result.error()));
    if (state.platform.rtc) {
        if (auto result = drivers::pl031_init(*state.platform.rtc); result.is_error())
            kprintln("[Time] PL031 RTC unusable: {}", error_name(result.error()));
    }

    // 7. Threads: the boot flow becomes thread "main"; an idle thread exists;
    //    from here on interrupts are enabled and threads are preempted.
    if (auto result = sched::scheduler_init(tick_hz); result.is_error())
        panic("[Sched] initialisation failed: {}", error_name(result.error()));
    arch::enable_interrupts();

    // 8. Processes: user translation tables, the character devices (before
    //    the VFS: they become /dev's nodes), the root file system from the
    //    initrd with /dev, /proc, /sys, /tmp, /run mounted on it, the pipe
    //    budget (a share of RAM), console input.
    if (auto result = arch::user_mode_init(); result.is_error())
        panic("[Proc] cannot set up user translation: {}", error_name(result.error()));
    std::span<const uint8_t> initrd;
    if (state.platform.initrd) {
        auto& range = *state.platform.initrd;
        initrd = { static_cast<const uint8_t*>(mm::phys_to_virt(range.start)), range.end - range.start };
    }
    random_init(state.platform);
    // Disks and the entropy source (and later the other virtio devices)
    // before the VFS: /dev gets their nodes.
    // The TCP/IP stack before the devices: a NIC becomes its interface.
    net::stack_init();
    drivers::virtio::probe_devices(state.platform);
    if (auto result = console::register_console_devices(); result.is_error())
        panic("[VFS] cannot register the console devices: {}", error_name(result.error()));
    if (auto result = tty::register_pty_devices(); result.is_error())
        panic("[VFS] cannot register the pty devices: {}", error_name(result.error()));
    if (auto result = drivers::register_memory_devices(); result.is_error())
        panic("[VFS] cannot register the memory devices: {}", error_name(result.error()));
    // Writable and executable user memory: allowed as on Linux, unless the
    // boot arguments ask for user_wx=deny.
    bool refuse_wx = args.get("user_wx").value_or("allow") == "deny";
    proc::AddressSpace::set_writable_executable_refused(refuse_wx);
    arch::set_writable_implies_execute_never(refuse_wx);
    // root=/dev/vda: the disk is the root (read-only unless `rw`, as
    // Linux); it must mount. Otherwise the initrd: a malformed one is
    // reported and the kernel goes on.
    std::optional<fs::RootDisk> root_disk;
    if (auto root = args.get("root"))
        root_disk = fs::RootDisk { *root, !args.has("rw") };
    if (auto mounted = fs::vfs_init(initrd, args.get("initramfs_options").value_or(""), root_disk);
        mounted.is_error() && root_disk)
        panic("[VFS] cannot mount the root file system from {}: {}", root_disk->device, error_name(mounted.error()));
    fs::writeback_init();
    fs::pipes_init(mm::pmm_stats().total_pages);
    if (auto shm = ipc::shm_init(); shm.is_error())
        kprintln("[IPC] no System V shared memory: {}", error_name(shm.error()));
    if (auto intid = state.platform.uart->interrupt) {
        if (auto result = console::tty_init(*intid); result.is_error())
            kprintln("[Console] no input: {}", error_name(result.error()));
    }

    // DHCP for the NICs, briefly: programs started next expect an address
    // (QEMU's user network answers at once; without one, boot goes on and
    // the lease comes when it comes).
    if (net::stack_interfaces().size() > 1 && !net::stack_wait_for_configuration(3 * time::k_ns_per_second))
        kprintln("[Net] no DHCP answer yet; going on");

    // Under QEMU -icount shift=0 this is the guest instruction count of the
    // whole boot (./akuma bench reads it).
    kprintln("[Boot] complete at {} ns of virtual time", arch::monotonic_ns());

    // 9. What to do, from the boot arguments.
    if (auto kind = args.get("crashtest")) {
        ktest::run_crashtest(*kind);
        arch::machine_exit(k_exit_tests_failed);
    }
    if (args.has("bench")) {
        kbench::run_benchmarks(args.get("bench").value_or(""));
        arch::machine_exit(k_exit_tests_passed);
    }
    if (args.has("exec")) {
        // ./akuma exec: one program (the kernel was made quiet at step 1),
        // with `--disk` the disk's ext2 file system on /mnt.
        if (auto disk = args.get("exec_mount"))
            mount_disk_for_exec(*disk, args.get_bool("verbose", false));
        proc::power_off(proc::run_exec_spec(k_exec_spec_path));
    }
    if (auto init = args.get("init")) {
        // An interactive program on the console (e.g. init=/bin/sh); when it
        // ends, so does the machine, with its status.
        int status = proc::run_console_program(*init);
        kprintln("[Init] {} ended with status {}; powering off", *init, status);
        proc::power_off(status);
    }
    if (args.has("test")) {
        auto filter = args.get("test").value_or("");
        unsigned failed = 0;
        if (filter != "none") {
            failed += ktest::run_tests(filter).failed;
            // ./akuma bench: boot to the suite's verdict, in test mode.
            kprintln("[Bench] Overall: printed at {} ns of virtual time", arch::monotonic_ns());
        }
        // User programs: the list named by programs=, by default the
        // initrd's test list (when the initrd has one).
        auto programs = args.get("programs").value_or(k_default_program_list);
        if (programs != "none" && (args.has("programs") || !fs::resolve_path(fs::root_directory(), programs, true).is_error()))
            failed += proc::run_program_list(programs);
        kprintln("[Bench] tests ended at {} ns of virtual time", arch::monotonic_ns());
        proc::power_off(failed == 0 ? k_exit_tests_passed : k_exit_tests_failed);
    }
    // The default boot: Akuma's PID 1 (userspace/init) if the root file
    // system has one. It starts the shell and powers the machine off when
    // the shell exits; `noinit` boots to idle instead.
    if (!args.has("noinit") && !fs::resolve_path(fs::root_directory(), k_default_init, true).is_error()) {
        int status = proc::run_console_program(k_default_init);
        kprintln("[Init] {} ended with status {}; powering off", k_default_init, status);
        proc::power_off(status);
    }
    idle();
}
