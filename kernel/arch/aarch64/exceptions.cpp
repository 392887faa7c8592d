// C++ side of the exception vectors: fixups for expected faults, and a
// decoded crash report for everything else.
#include <iterator>

#include "kernel/arch/aarch64/esr.h"
#include "kernel/arch/aarch64/exception_table.h"
#include "kernel/arch/aarch64/irq.h"
#include "kernel/arch/aarch64/power.h"
#include "kernel/arch/aarch64/sysregs.h"
#include "kernel/arch/aarch64/trap_frame.h"
#include "kernel/debug/backtrace.h"
#include "kernel/debug/symbols.h"
#include "kernel/drivers/console.h"
#include "kernel/lib/kprint.h"
#include "kernel/proc/user_exceptions.h"
#include "kernel/syscalls/syscall.h"
#include "kernel/sched/cpu_time.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/thread.h"

extern "C" const akuma::arch::ExceptionTableEntry __ex_table_start[], __ex_table_end[];

namespace akuma::arch {

namespace {

bool g_reporting = false;

const char* spsr_mode_name(uint64_t spsr) {
    switch (spsr & 0xf) {
    case 0x0: return "EL0t";
    case 0x4: return "EL1t";
    case 0x5: return "EL1h";
    case 0x8: return "EL2t";
    case 0x9: return "EL2h";
    default: return "?";
    }
}

void print_registers(const TrapFrame& frame) {
    for (unsigned i = 0; i < 31; i += 3) {
        kprint(" ");
        for (unsigned j = i; j < i + 3 && j < 31; ++j)
            kprint(" x{:<2} {:#018x}", j, frame.x[j]);
        kprintln("");
    }
    kprintln("  sp  {:#018x}", frame.sp);
}

[[noreturn]] void report_and_stop(const TrapFrame& frame, VectorKind kind) {
    asm volatile("msr daifset, #0xf");
    console::set_quiet(false);
    if (g_reporting) {
        kprintln("\n[PANIC] fault while reporting a fault (ELR {:#x}, ESR {:#x})", frame.elr, frame.esr);
        machine_exit(3);
    }
    g_reporting = true;

    uint32_t ec = esr_exception_class(frame.esr);
    if (kind == VectorKind::KernelStackOverflow) {
        uint64_t guard = frame.sp & ~((2ull << KERNEL_STACK_SHIFT) - 1);
        kprintln("\n[PANIC] Kernel stack overflow: SP {:#x} is in the guard page(s) {:#x}-{:#x} below the stack",
                 frame.sp, guard, guard + KERNEL_STACK_SIZE);
    }
    kprintln("{}[PANIC] Unhandled exception: {} ({})", kind == VectorKind::KernelStackOverflow ? "" : "\n",
             exception_class_name(ec), vector_kind_name(kind));
    kprintln("  ESR_EL1 {:#010x}: EC={:#04x} IL={} ISS={:#x}", frame.esr, ec, (frame.esr >> 25) & 1,
             esr_iss(frame.esr));
    if (is_abort_class(ec)) {
        auto abort = decode_abort(frame.esr);
        bool data = ec == exception_class::k_data_abort_lower || ec == exception_class::k_data_abort_same;
        kprint("  Fault: {}", fault_kind_name(abort.kind));
        if (abort.level >= 0)
            kprint(", level {}", abort.level);
        kprint(", {}", data ? (abort.is_write ? "write" : "read") : "instruction fetch");
        kprintln(" (FSC {:#04x})", abort.fault_status);
        if (abort.far_valid)
            kprintln("  FAR_EL1 {:#018x}{}", frame.far, frame.far < 4096 ? " (NULL pointer dereference)" : "");
        else
            kprintln("  FAR_EL1 not valid for this fault");
    } else if (ec == exception_class::k_brk64) {
        kprintln("  BRK immediate {:#x}", esr_iss(frame.esr) & 0xffff);
    }
    kprintln("  Thread: {}", sched::current_thread_name());
    kprintln("  ELR_EL1 {}", debug::SymbolizedAddress { frame.elr });
    kprintln("  SPSR_EL1 {:#x} ({}, DAIF={:04b})", frame.spsr, spsr_mode_name(frame.spsr), (frame.spsr >> 6) & 0xf);
    print_registers(frame);
    kprintln("Backtrace:");
    kprintln("  #0  {}", debug::SymbolizedAddress { frame.elr });
    debug::print_backtrace(frame.x[29], 1);
    kprintln("[PANIC] kernel halted");
    machine_exit(3);
}

}  // namespace

const char* vector_kind_name(VectorKind kind) {
    static constexpr const char* names[] = {
        "EL1t sync", "EL1t IRQ", "EL1t FIQ", "EL1t SError", "EL1h sync", "EL1h IRQ", "EL1h FIQ", "EL1h SError",
        "EL0 (AArch64) sync", "EL0 (AArch64) IRQ", "EL0 (AArch64) FIQ", "EL0 (AArch64) SError",
        "EL0 (AArch32) sync", "EL0 (AArch32) IRQ", "EL0 (AArch32) FIQ", "EL0 (AArch32) SError",
        "EL1h sync on the overflow stack",
    };
    auto index = static_cast<uint64_t>(kind);
    return index < std::size(names) ? names[index] : "?";
}

std::optional<uint64_t> find_exception_fixup(uint64_t fault_pc) {
    for (auto* entry = __ex_table_start; entry != __ex_table_end; ++entry) {
        if (entry->fault_pc == fault_pc)
            return entry->fixup_pc;
    }
    return std::nullopt;
}

}  // namespace akuma::arch

extern "C" void exception_dispatch(akuma::arch::TrapFrame* frame, uint64_t kind_index) {
    using namespace akuma::arch;
    auto kind = static_cast<VectorKind>(kind_index);
    // System calls first: the hottest path (see docs/PERFORMANCE.md). From
    // EL0 the current thread is a user thread, and the same one again when
    // this code resumes, whatever ran in between: it is loaded once. Its
    // CPU time (kernel/sched/cpu_time.h) is stamped on entry and exit.
    if (kind == VectorKind::Lower64Sync) [[likely]] {
        auto& thread = *akuma::sched::current_thread();
        akuma::sched::account_entry_from_user(thread);
        if (esr_exception_class(frame->esr) == exception_class::k_svc64) [[likely]]
            akuma::sys::dispatch_syscall(*frame);
        else
            akuma::proc::handle_user_sync_exception(*frame);
        akuma::proc::prepare_return_to_user(thread);
        return;
    }
    if (kind == VectorKind::Lower64Irq) {
        auto& thread = *akuma::sched::current_thread();
        akuma::sched::account_entry_from_user(thread);
        irq_handle();
        // Switch threads only now, after every interrupt has been ended:
        // the time slice may have run out during this IRQ.
        akuma::sched::preempt_if_needed();
        akuma::proc::prepare_return_to_user(thread);
        return;
    }
    if (kind == VectorKind::CurrentSpxIrq) {
        irq_handle();
        akuma::sched::preempt_if_needed();  // as above
        return;
    }
    if (kind == VectorKind::KernelStackOverflow) {
        // vectors.S parked the overflowing SP (after reserving the frame).
        uint64_t sp;
        asm volatile("mrs %0, tpidr_el1" : "=r"(sp));
        frame->sp = sp + sizeof(TrapFrame);
    }
    if (kind == VectorKind::CurrentSpxSync) {
        // Kernel access to user memory (copy_to_user...): demand paging first.
        if (akuma::proc::handle_kernel_fault_on_user_address(*frame))
            return;
        if (auto fixup = find_exception_fixup(frame->elr)) {
            frame->elr = *fixup;
            return;
        }
    }
    report_and_stop(*frame, kind);
}
