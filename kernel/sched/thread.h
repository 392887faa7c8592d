// Kernel threads: each runs on its own guarded kernel stack
// (mm::allocate_kernel_stack) and is scheduled preemptively
// (kernel/sched/scheduler.h). The number of threads is limited only by memory.
#pragma once

#include <cstdint>

#include "kernel/lib/error_or.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/mm/kernel_vm.h"
#include "kernel/sched/cpu_context.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::proc {
struct Process;
struct Task;
}

namespace akuma::sched {

enum class ThreadState : uint8_t {
    Runnable,  // in the run queue
    Running,   // the current thread
    Blocked,   // in a wait queue (or sleeping on a timer)
    Dead,      // exited; its joiner (or the idle thread, if detached) frees it
};
const char* thread_state_name(ThreadState state);

using ThreadEntry = uint64_t (*)(void* argument);

struct Thread {
    static constexpr size_t k_name_size = 32;

    uint64_t id;
    char name[k_name_size];
    ThreadState state;
    CpuContext context;
    mm::KernelStack stack;
    bool owns_stack;  // false for the boot thread, which runs on the boot stack
    bool detached;
    bool joined;
    uint64_t exit_value;
    unsigned slice_remaining;  // ticks left in the current time slice
    // CPU time, in counter units (kernel/sched/cpu_time.h). The run fields
    // change at context switches (scheduler lock); the user fields only on
    // the CPU that runs the thread, at its entries from and returns to EL0.
    uint64_t run_counts;   // time on a CPU, up to the last switch away
    uint64_t run_start;    // counter when it was last switched in
    uint64_t user_counts;  // time in EL0, up to the last entry from it
    uint64_t user_start;   // counter at the last return to EL0
    unsigned preempt_disabled; // > 0: the tick does not switch away (yield still does)
    uint64_t switches_in;      // how often it was switched to
    WaitQueue joiners;
    ListNode queue_link;  // run queue or a wait queue
    ListNode all_link;    // the list of all threads
    FpState* fp_state;    // non-null for threads whose FP/SIMD state is switched
    // User threads: the process, its TTBR0 (0 for kernel threads: the
    // empty table) and the user TLS register.
    proc::Process* process;
    proc::Task* task;
    uint64_t user_ttbr0;
    uint64_t tpidr_el0;
    // Interruptible waits (WaitQueue::wait_interruptible): the queue the
    // thread sleeps in, and why it was woken. `signal_pending` is kept by
    // the signal code: set while a signal waits to be handled by this thread.
    WaitQueue* waiting_on;
    uint8_t wake_reason;
    bool signal_pending;
    // prctl(PR_SET_TAGGED_ADDR_CTRL): system calls take user pointers with
    // a tag in the top byte (the hardware ignores it: TCR_EL1.TBI0).
    // Inherited by clone and fork, cleared by execve, as on Linux.
    bool tagged_user_addresses;
};

// Creates a runnable thread that calls entry(argument); its return value is
// the exit value. Errors: NoMemory.
ErrorOr<Thread*> spawn(const char* name, ThreadEntry entry, void* argument);

// Waits for `thread` to exit, frees it and returns its exit value. Errors:
// Invalid (joining oneself, a detached thread, or one already joined).
ErrorOr<uint64_t> join(Thread* thread);

// The thread will be freed by the idle thread when it exits; no join.
void detach(Thread* thread);

[[noreturn]] void exit_thread(uint64_t exit_value);

// Frees exited detached threads now (the idle thread does it otherwise).
void reap_dead_threads();

// Inline: every system call, fault and signal check asks for it. Written
// only by the scheduler (scheduler.cpp), with interrupts masked.
extern Thread* g_current_thread;
inline Thread* current_thread() { return g_current_thread; }
const char* current_thread_name();

// Gives this thread FP/SIMD state that is saved and restored on every
// switch (user threads; tests). Errors: NoMemory.
ErrorOr<void> enable_fp_state(Thread* thread);

}  // namespace akuma::sched
