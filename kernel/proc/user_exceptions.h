// Exceptions that concern user space: synchronous exceptions from EL0
// (system calls, page faults, everything fatal), and kernel accesses to
// user memory that need demand paging.
#pragma once

#include "kernel/arch/aarch64/trap_frame.h"
#include "kernel/proc/process.h"

namespace akuma::proc {

void handle_user_sync_exception(arch::TrapFrame& frame);

// A data abort at EL1 on a user address: true if demand paging resolved it
// (retry the access); false leaves it to the exception-table fixup.
bool handle_kernel_fault_on_user_address(arch::TrapFrame& frame);

// Last step before ERET to EL0: act on pending signals and interrupted
// system calls. Inline: on every system call's way out this is one test.
inline void prepare_return_to_user(arch::TrapFrame& frame) {
    Task* task = current_task();
    if (task && has_return_work(*task)) [[unlikely]]
        handle_signals_before_user_return(frame);
}

}  // namespace akuma::proc
