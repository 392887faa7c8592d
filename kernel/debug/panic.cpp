#include "kernel/debug/panic.h"

#include "kernel/arch/aarch64/power.h"
#include "kernel/debug/backtrace.h"
#include "kernel/drivers/console.h"
#include "kernel/sched/thread.h"

namespace akuma::debug {

namespace {
bool g_panicking = false;
}

void panic_begin(const FormatWithLocation& where) {
    asm volatile("msr daifset, #0xf");
    console::set_quiet(false);
    if (g_panicking) {
        kprintln("\n[PANIC] panic while panicking at {}:{}", where.file, where.line);
        arch::machine_exit(3);
    }
    g_panicking = true;
    kprint("\n[PANIC] at {}:{} in {} (thread {}): ", where.file, where.line, where.function,
           sched::current_thread_name());
}

void panic_end(uint64_t frame_pointer) {
    kprintln("");
    kprintln("Backtrace:");
    print_backtrace(frame_pointer);
    kprintln("[PANIC] kernel halted");
    arch::machine_exit(3);
}

}  // namespace akuma::debug

namespace akuma {
void report_spinlock_misuse(const char* what) { panic("spinlock misuse: {}", what); }
}  // namespace akuma
