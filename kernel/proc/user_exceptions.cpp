#include "kernel/proc/user_exceptions.h"

#include "kernel/fs/vfs.h"

#include "kernel/arch/aarch64/esr.h"
#include "kernel/arch/aarch64/interrupts.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/syscall.h"

namespace akuma::proc {

namespace abi = linux_abi;

namespace {

// The ESR is decoded once per fault (each decode is a call and a switch).
FaultAccess access_of(uint64_t esr, const arch::AbortInfo& abort) {
    uint32_t ec = arch::esr_exception_class(esr);
    if (ec == arch::exception_class::k_instruction_abort_lower || ec == arch::exception_class::k_instruction_abort_same)
        return FaultAccess::Execute;
    return abort.is_write ? FaultAccess::Write : FaultAccess::Read;
}

// Translation and permission faults are what demand paging handles;
// anything else (alignment, external aborts...) is the program's problem.
bool is_paging_fault(arch::FaultKind kind) {
    return kind == arch::FaultKind::Translation || kind == arch::FaultKind::Permission ||
           kind == arch::FaultKind::AccessFlag;
}

}  // namespace

void handle_user_sync_exception(arch::TrapFrame& frame) {
    uint32_t ec = arch::esr_exception_class(frame.esr);
    switch (ec) {
    case arch::exception_class::k_svc64:  // exception_dispatch calls dispatch_syscall itself
        sys::dispatch_syscall(frame);
        return;
    case arch::exception_class::k_data_abort_lower:
    case arch::exception_class::k_instruction_abort_lower: {
        // A tagged pointer's fault (TBI0): the address is the untagged one,
        // for the VMA lookup and for si_addr (Linux's el0_da untags it).
        if (ec == arch::exception_class::k_data_abort_lower)
            frame.far &= (uint64_t { 1 } << 56) - 1;
        const char* reason = "fault";
        auto abort = arch::decode_abort(frame.esr);
        auto kind = abort.kind;
        if (is_paging_fault(kind)) {
            arch::enable_interrupts();  // reading a file page may take a while
            auto result = current_process()->space->handle_fault(frame.far, access_of(frame.esr, abort), &reason);
            // Out of memory: the clean page-cache pages go before any
            // process does, then the fault is tried once more.
            if (result.is_error() && result.error() == Error::NoMemory) {
                if (size_t freed = fs::reclaim_page_cache()) {
                    kprintln("[Memory] reclaimed {} clean page-cache pages for a fault of PID {}", freed,
                             current_process()->pid);
                    result = current_process()->space->handle_fault(frame.far, access_of(frame.esr, abort), &reason);
                }
            }
            arch::disable_interrupts();
            if (!result.is_error())
                return;
            // Like Linux's OOM killer: the process that needs memory the
            // machine does not have gets SIGKILL.
            if (result.error() == Error::NoMemory)
                kill_current_for_fault(abi::k_sigkill, frame.far, frame.elr, reason);
            // A file mapping's page past the end of the file, or one tmpfs
            // has no room for: SIGBUS, as Linux's filemap and shmem faults.
            if (result.error() == Error::OutOfRange || result.error() == Error::NoSpace)
                return raise_fault_signal(abi::k_sigbus, abi::k_bus_adrerr, frame.far, frame.elr, reason);
        } else {
            reason = arch::fault_kind_name(kind);
        }
        if (kind == arch::FaultKind::Alignment)
            return raise_fault_signal(abi::k_sigbus, abi::k_bus_adraln, frame.far, frame.elr, reason);
        // Mapped but not allowed (SEGV_ACCERR) versus nothing mapped there.
        int code = current_process()->space->is_mapped(frame.far) ? abi::k_segv_accerr : abi::k_segv_maperr;
        return raise_fault_signal(abi::k_sigsegv, code, frame.far, frame.elr, reason);
    }
    case arch::exception_class::k_pc_alignment:
        return raise_fault_signal(abi::k_sigbus, abi::k_bus_adraln, frame.elr, frame.elr, "misaligned PC");
    case arch::exception_class::k_sp_alignment:
        return raise_fault_signal(abi::k_sigbus, abi::k_bus_adraln, frame.sp, frame.elr, "misaligned SP");
    case arch::exception_class::k_brk64:
        return raise_fault_signal(abi::k_sigtrap, abi::k_trap_brkpt, frame.elr, frame.elr, "BRK instruction");
    default:
        return raise_fault_signal(abi::k_sigill, abi::k_ill_illopc, frame.elr, frame.elr,
                                  arch::exception_class_name(ec));
    }
}

bool handle_kernel_fault_on_user_address(arch::TrapFrame& frame) {
    Process* process = current_process();
    if (!process || !process->space || frame.far >= mm::k_user_space_end)
        return false;
    auto abort = arch::decode_abort(frame.esr);
    if (!is_paging_fault(abort.kind))
        return false;
    const char* reason = nullptr;
    // Like the interrupted code: interrupts on if they were (file reads may block).
    bool irqs_were_on = !(frame.spsr & (1u << 7));
    if (irqs_were_on)
        arch::enable_interrupts();
    bool resolved = !process->space->handle_fault(frame.far, access_of(frame.esr, abort), &reason).is_error();
    if (irqs_were_on)
        arch::disable_interrupts();
    return resolved;
}

}  // namespace akuma::proc
