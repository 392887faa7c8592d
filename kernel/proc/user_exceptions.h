// Exceptions that concern user space: synchronous exceptions from EL0
// (system calls, page faults, everything fatal), and kernel accesses to
// user memory that need demand paging.
#pragma once

#include "kernel/arch/aarch64/trap_frame.h"
#include "kernel/proc/process.h"
#include "kernel/sched/cpu_time.h"

namespace akuma::proc {

void handle_user_sync_exception(arch::TrapFrame& frame);

// A data abort at EL1 on a user address: true if demand paging resolved it
// (retry the access); false leaves it to the exception-table fixup.
bool handle_kernel_fault_on_user_address(arch::TrapFrame& frame);

// The registers `thread` had in user mode, saved by the vectors at its
// entry from EL0: at the top of its kernel stack, which is empty whenever
// the thread runs in user mode (user_entry.S puts a new thread's there too).
inline arch::TrapFrame& user_frame(const sched::Thread& thread) {
    return *reinterpret_cast<arch::TrapFrame*>(thread.stack.top - sizeof(arch::TrapFrame));
}

// Last step before ERET to EL0: act on pending signals and interrupted
// system calls, then start the stretch of user time. `thread` is the
// calling user thread, loaded once by the caller on entry. Inline: on
// every system call's way out this is one test and a counter stamp.
inline void prepare_return_to_user(sched::Thread& thread) {
    if (has_return_work(thread, *thread.task)) [[unlikely]]
        handle_signals_before_user_return(user_frame(thread));
    sched::account_return_to_user(thread);
}

}  // namespace akuma::proc
