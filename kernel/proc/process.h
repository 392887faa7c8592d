// Processes: one address space, one file table, one (for now) user thread.
//
// A process is started by spawn(): a kernel thread is created for it, which
// activates the new address space, loads the program (loader.h) and drops
// to EL0. It ends through exit_group(2), a fatal signal, or a fault the
// address space cannot resolve; its pages go back to the PMM at once, and
// the Process record stays (a zombie) until the parent collects the status.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/fs/ramfs.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/proc/address_space.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::fs {
class FdTable;
}

namespace akuma::proc {

constexpr unsigned k_signal_count = 64;

struct SignalAction {
    uint64_t handler;  // SIG_DFL (0), SIG_IGN (1) or a user address
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

enum class ProcessState : uint8_t { Starting, Running, Zombie };

struct Process {
    static constexpr size_t k_name_size = 16;  // Linux TASK_COMM_LEN

    int pid;
    int parent_pid;
    char name[k_name_size];
    ProcessState state;
    AddressSpace* space;
    fs::FdTable* files;
    fs::InodeRef cwd;
    uint32_t umask;
    sched::Thread* thread;
    uint64_t clear_child_tid;  // set_tid_address
    uint64_t robust_list;      // set_robust_list (head, recorded for futex cleanup)
    uint64_t signal_mask;
    uint64_t pending_signals;  // generated while blocked or while a handler is installed
    int fatal_signal;          // set by another process's kill: acted on at the next return to EL0
    SignalAction actions[k_signal_count];
    uint64_t start_ns;         // monotonic time the process started
    int wait_status;           // Linux wait(2) encoding, once a zombie
    sched::WaitQueue exit_waiters;
    ListNode all_link;
};

struct SpawnRequest {
    std::string_view path;
    std::span<const std::string_view> argv;
    std::span<const std::string_view> envp;
    int parent_pid;  // 0: started by the kernel
};

// Loads the program and returns once it is about to run (or with the load
// error: NotFound, AccessDenied, BadExecutable, NoMemory, TooBig...).
ErrorOr<Process*> spawn(const SpawnRequest& request);

// Blocks until `process` has exited, frees it and returns its wait status.
int wait_and_reap(Process* process);

// The process of the calling thread, or nullptr for kernel threads.
Process* current_process();

// Ends the current process with a wait status (exit code << 8, or the
// terminating signal number).
[[noreturn]] void exit_current(int wait_status);

// The current process dies of `signal` because of a fault at `address`;
// prints the report (name, PID, signal, addresses, reason, VMA map).
[[noreturn]] void kill_current_for_fault(int signal, uint64_t address, uint64_t pc, const char* reason);

// Delivers `signal` to a process with its default action (handlers are
// recorded but delivered only once signal frames exist: issue 6). Errors:
// NoSuchProcess.
ErrorOr<void> send_signal(int pid, int signal);
// From an IRQ handler (console ^C): like send_signal, without blocking.
void send_signal_from_irq(int pid, int signal);

// Applies `signal` to `target` (see send_signal); a fatal one takes effect
// at the target's next return to EL0. Safe in IRQ handlers (scheduler lock
// held by the caller or IRQs masked). Errors: Invalid.
ErrorOr<void> deliver_signal(Process& target, int signal);

// Called on every return to EL0: ends the process if a fatal signal is due.
void act_on_pending_signals();

const char* signal_name(int signal);

struct ProcessStats {
    uint64_t live;     // not yet reaped
};
ProcessStats process_stats();

}  // namespace akuma::proc
