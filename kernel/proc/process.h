// Processes and their threads.
//
// A Process is a Linux thread group: one address space, one file table,
// signal actions, a place in the process tree (parent, children, process
// group, session). Each of its user threads is a Task bound to one kernel
// thread (sched::Thread::task). The first process is started by the kernel
// (spawn); the others come from clone(2) (fork, vfork, threads) and change
// program with execve(2).
//
// Lifetime: a process ends when its last task exits (exit_group, a fatal
// signal, or the last thread's exit). Its memory and files are released at
// once; the record stays as a zombie until its parent reaps it with
// wait4/waitid (or the kernel, for processes it spawned). Orphans are
// re-parented to PID 1; with no PID 1 around they are reaped automatically.
//
// Locking: the process tree, task lists, signal state and job-control
// state are protected by the scheduler lock (signals come from IRQ handlers
// too: console ^C), so every function here that touches them takes
// sched::SchedulerLockGuard or documents that the caller holds it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/arch/aarch64/trap_frame.h"
#include "kernel/fs/ramfs.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/lib/string.h"
#include "kernel/proc/address_space.h"
#include "kernel/proc/cpu_itimers.h"
#include "kernel/proc/credentials.h"
#include "kernel/proc/pending_signals.h"
#include "kernel/proc/posix_timers.h"
#include "kernel/proc/resource_limits.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/sched/cpu_time.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/wait_queue.h"
#include "kernel/time/timer_list.h"

namespace akuma::fs {
class FdTable;
}

namespace akuma::sched {
class Semaphore;
class SchedulerLockGuard;
struct FpState;
}

namespace akuma::proc {

constexpr unsigned k_signal_count = 64;

struct SignalAction {
    uint64_t handler;  // SIG_DFL (0), SIG_IGN (1) or a user address
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

enum class ProcessState : uint8_t { Running, Zombie };

// What the running program's image looks like from outside, recorded by
// load_program (Linux keeps these in mm_struct): where the argument and
// environment strings are on its initial stack (/proc/<pid>/cmdline,
// environ, the end of stat), the stack pointer it started with, and the
// absolute path it was started from (/proc/<pid>/exe), and for a
// dynamically linked program its interpreter's file and path as PT_INTERP
// names it (/proc/<pid>/maps). Written under the process resources lock
// (process_inspection.h); fork copies it.
struct ProgramInfo {
    uint64_t arg_start = 0, arg_end = 0;
    uint64_t env_start = 0, env_end = 0;
    uint64_t start_stack = 0;
    BasicString<mm::HeapAllocator> exe_path;
    const void* interpreter_file = nullptr;  // the inode its image VMAs map
    BasicString<mm::HeapAllocator> interpreter_path;
};

// A change of a child that wait4/waitid reports (besides its death).
enum class JobEvent : uint8_t { None, Stopped, Continued };

// Scheduling policies (Linux's SCHED_*; SCHED_DEADLINE 6 is not offered).
constexpr uint8_t k_sched_other = 0, k_sched_fifo = 1, k_sched_rr = 2, k_sched_batch = 3, k_sched_idle = 5;

// A thread's scheduling attributes, kept per thread as Linux keeps them in
// task_struct (static_prio, policy, rt_priority, sched_reset_on_fork): set
// by setpriority and sched_setscheduler/sched_setparam, inherited by clone
// (threads and processes), kept across execve, and shown by getpriority,
// sched_getscheduler/sched_getparam and /proc/<pid>/stat. Recorded and
// reported only: the scheduler does not act on them yet (see
// kernel/syscalls/priority_syscalls.cpp). Scheduler lock.
struct SchedAttributes {
    int8_t nice;          // -20..19, also kept under FIFO/RR and IDLE
    uint8_t policy;       // k_sched_*
    uint8_t rt_priority;  // 1..99 under FIFO/RR, else 0
    bool reset_on_fork;   // SCHED_RESET_ON_FORK
    uint16_t io_priority;  // ioprio_set's value (class << 13 | data); 0: none set

    // What a new thread or process starts with (Linux's sched_fork): a
    // copy, unless SCHED_RESET_ON_FORK asks for a real-time policy to fall
    // back to SCHED_OTHER at nice 0, and a negative nice to 0; the flag
    // itself is not inherited then.
    SchedAttributes for_child() const {
        SchedAttributes child = *this;
        if (!reset_on_fork)
            return child;
        child.reset_on_fork = false;
        if (policy == k_sched_fifo || policy == k_sched_rr) {
            child.nice = 0;
            child.policy = k_sched_other;
            child.rt_priority = 0;
        } else if (nice < 0) {
            child.nice = 0;
        }
        return child;
    }
};

struct Process;

// One user thread.
struct Task {
    int tid;
    Process* process;
    sched::Thread* thread;
    uint64_t signal_mask;
    PendingSignals pending;  // thread-directed: tgkill, faults, timers' SIGEV_THREAD_ID
    AltStack altstack;
    uint64_t clear_child_tid;  // CLONE_CHILD_CLEARTID / set_tid_address
    // CLONE_CHILD_SETTID of a new process: the task writes its TID there, in
    // its own address space, before its first user instruction (Linux's
    // schedule_tail), since a forked child's memory is not the parent's.
    uint64_t set_child_tid;
    uint64_t robust_list;
    // prctl(PR_SET_PDEATHSIG) (atomic): sent to this thread's
    // process when its parent process ends; 0 for none. Per thread and
    // cleared by credential changes, as Linux's pdeath_signal.
    int parent_death_signal;
    // sigsuspend/ppoll/pselect6: the mask to restore once a handler has run
    // (or at the return to user space if none ran).
    bool restore_saved_mask;
    uint64_t saved_mask;
    // A system call a signal interrupted, for SA_RESTART (see signals.cpp):
    // restart it always unless a handler without SA_RESTART runs, or (sleeps,
    // Linux's restart_block) only if no handler runs at all, or (FUTEX_LOCK_PI,
    // Linux's ERESTARTNOINTR) whatever the handler.
    uint64_t syscall_orig_x0;
    bool syscall_interrupted;
    bool restart_only_without_handler;
    bool restart_always;
    // An interrupted relative sleep resumes toward its old deadline.
    bool resume_sleep;
    uint64_t sleep_deadline_ns;
    SchedAttributes sched;  // scheduler lock
    // personality(2): PER_LINUX, with at most ADDR_NO_RANDOMIZE (which Akuma
    // honours by having no randomized layout). Only the task itself reads
    // or writes it; clone copies it, execve keeps it.
    uint32_t personality;
    arch::TrapFrame start_frame;  // registers a new task starts with (clone)
    ListNode process_link;
};

struct Process {
    static constexpr size_t k_name_size = 16;  // Linux TASK_COMM_LEN

    int pid;
    int pgid;
    int sid;
    char name[k_name_size];
    ProcessState state;
    Process* parent;  // nullptr: started by the kernel, or orphaned with no PID 1
    NodeQueue children;    // Process::sibling_link nodes
    ListNode sibling_link;
    ListNode all_link;
    AddressSpace* space;
    bool space_borrowed;  // vfork child running in its parent's space
    sched::Semaphore* vfork_done;
    fs::FdTable* files;
    fs::InodeRef cwd;
    uint32_t umask;
    ResourceLimits limits;  // under the limits lock (resource_limits.cpp)
    ProgramInfo program;
    // Who the process is (process_credentials.h: its lock guards them).
    Credentials credentials;
    // prctl(PR_SET_NO_NEW_PRIVS): execve grants nothing (set-ID bits are
    // ignored). Set once, never cleared; inherited by fork and kept by exec.
    bool no_new_privs;
    // prctl(PR_SET_DUMPABLE) (atomic): false once the process changed
    // identity (a set-ID exec, an effective or file-system ID change), as
    // Linux's suid_dumpable 0: its /proc files are root's then.
    bool dumpable;
    // chroot(2): the root of this process's path walks; null: the
    // namespace's root.
    fs::InodeRef root;
    uint64_t start_ns;  // arch::monotonic_ns() at fork (stat's starttime)
    // The leader thread's scheduling attributes while its task is not
    // listed (scheduler lock): before a forked child's task starts (which
    // takes them over), and once the leader has left, whose ID still names
    // it, as Linux's zombie leader, for getpriority, sched_getscheduler and
    // /proc/<pid>/stat.
    SchedAttributes leader_sched;
    uint64_t sigreturn_trampoline;
    // CPU time (scheduler lock) of the tasks that have left, and of the
    // children this process reaped: each one's own and its reaped
    // children's, as Linux's cutime/cstime. The live tasks' time is in
    // their threads (process_cpu_time_locked sums it all).
    sched::CpuTime exited_time;
    sched::CpuTime reaped_children_time;
    // Peak resident set in KiB, recorded at exit (the address space is gone
    // then), and the largest of the reaped children's (ru_maxrss).
    uint64_t exit_maxrss_kb;
    uint64_t reaped_children_maxrss_kb;
    int exit_signal;  // sent to the parent at death (SIGCHLD for fork)
    // Tasks (live user threads) and whether the group is being torn down.
    IntrusiveList<Task, &Task::process_link> tasks;
    unsigned live_tasks;
    Task* exec_task;  // execve in progress: the other tasks must leave
    sched::WaitQueue exec_waiters;
    bool group_exiting;
    int group_exit_status;  // wait status once group_exiting
    // Signals directed at the whole process, and the actions.
    PendingSignals pending;
    SignalAction actions[k_signal_count];
    // prctl(PR_SET_CHILD_SUBREAPER) (scheduler lock): orphaned descendants
    // come to this process instead of PID 1. Not inherited by fork, kept
    // by execve.
    bool child_subreaper;
    // POSIX timers (posix_timers.h; scheduler lock).
    IntrusiveList<PosixTimer, &PosixTimer::link> posix_timers;
    uint64_t posix_timer_count;
    int next_posix_timer_id;
    // setitimer(ITIMER_REAL): SIGALRM at the deadline, then every interval.
    time::TimerEvent real_timer;
    uint64_t real_timer_interval_ns;
    // ITIMER_VIRTUAL, ITIMER_PROF and RLIMIT_CPU (cpu_itimers.h).
    CpuLimits cpu_limits;
    // Job control.
    bool stopped;
    int stop_signal;
    JobEvent job_event;  // not yet reported to the parent
    sched::WaitQueue continue_waiters;  // stopped tasks
    // The parent waits here for its children's events.
    sched::WaitQueue child_events;
    int wait_status;  // Linux wait(2) encoding, once a zombie
    // Started by spawn(): the kernel collects it with wait_and_reap, which
    // waits here. Processes with no parent and no kernel waiter (orphans
    // when PID 1 is gone) are freed automatically.
    bool kernel_waiter;
    // The system's init (the default boot's /sbin/init, or init=): like
    // Linux's SIGNAL_UNKILLABLE, it gets no signal it has no handler for
    // (not even SIGKILL) except the faults it causes itself. Programs of
    // the test and exec modes are not init: the kernel waits for them.
    bool is_init;
    bool quiet_exit;  // a load failure: no "[Process] ... exited" line
    sched::WaitQueue kernel_exit_waiters;
};

template <typename F>
void for_each_child(Process& parent, F&& f) {
    for (ListNode* node = parent.children.front(); node;) {
        ListNode* next = node->next;  // f may unlink the child
        f(*list_owner<Process, &Process::sibling_link>(node));
        node = next;
    }
}

struct SpawnRequest {
    std::string_view path;
    std::span<const std::string_view> argv;
    std::span<const std::string_view> envp;
    bool as_init = false;  // Process::is_init
};

// Starts a program as a new session leader with no parent (the kernel reaps
// it through wait_and_reap). Returns once it is about to run, or with the
// load error: NotFound, AccessDenied, BadExecutable, NoMemory, TooBig...
ErrorOr<Process*> spawn(const SpawnRequest& request);

// For processes from spawn(): blocks until `process` has ended, frees it
// and returns its wait status.
int wait_and_reap(Process* process);

// The process / task of the calling thread (nullptr for kernel threads).
inline Process* current_process() {
    auto* thread = sched::current_thread();
    return thread ? thread->process : nullptr;
}
inline Task* current_task() {
    auto* thread = sched::current_thread();
    return thread ? thread->task : nullptr;
}

// exit_group(2): ends every thread of the current process with `wait_status`
// (exit code << 8, or the terminating signal number).
[[noreturn]] void exit_group(int wait_status);
// exit(2): ends the calling thread; the last one ends the process.
[[noreturn]] void exit_thread(int exit_code);
// Ends the calling thread because another one of its process is exec'ing.
[[noreturn]] void leave_for_exec();

// The current process dies of `signal` because of a fault at `address`;
// prints the report (name, PID, signal, addresses, reason, VMA map).
[[noreturn]] void kill_current_for_fault(int signal, uint64_t address, uint64_t pc, const char* reason);

// --- clone, execve, wait (clone.cpp, exec.cpp, wait.cpp) ---
struct CloneRequest {
    uint64_t flags;       // CLONE_* (without the exit signal)
    int exit_signal;
    uint64_t stack;       // 0: the caller's SP
    uint64_t tls;
    uint64_t parent_tid;  // user pointers
    uint64_t child_tid;
    // A descriptor the child's copy of the table leaves out: CLONE_PIDFD's,
    // installed before the child exists (Linux installs it after copying
    // the table). -1: none.
    int hidden_fd { -1 };
};
// Returns the new TID (the PID for a new process). Errors: Invalid,
// TryAgain (process limit), NoMemory, Fault. CLONE_PIDFD is the caller's
// (the system call's) to carry out.
ErrorOr<int> clone(arch::TrapFrame& frame, const CloneRequest& request);
// Invalid for flags Akuma does not implement or Linux does not combine.
ErrorOr<void> check_clone_flags(uint64_t flags);

// Replaces the program of the current process; on success `frame` enters
// the new one. Errors before the point of no return leave the caller as it
// was: NotFound, AccessDenied, BadExecutable, TooBig, Fault, NoMemory...
// `file` is the program (resolved by the caller: execve's path, or
// execveat's descriptor); `path` is how it was named (AT_EXECFN, the name
// of the process, the script argument for "#!" interpreters).
ErrorOr<void> execve(arch::TrapFrame& frame, fs::InodeRef file, std::string_view path,
                     std::span<const std::string_view> argv, std::span<const std::string_view> envp);

enum class WaitSelector : uint8_t { Any, Pid, ProcessGroup };
struct WaitRequest {
    WaitSelector selector;
    int id;
    bool exited, stopped, continued;  // WEXITED, WUNTRACED/WSTOPPED, WCONTINUED
    bool no_hang;                     // WNOHANG
    bool no_reap;                     // WNOWAIT
};
struct WaitResult {
    int pid;     // 0: WNOHANG and nothing to report
    int status;  // wait4 encoding
    int code;    // CLD_* for waitid
    int value;   // exit code or signal for waitid's si_status
    uint32_t uid;  // the child's real user (waitid's si_uid)
    // The child's resource usage (wait4/waitid's rusage): its CPU time and
    // its reaped children's; peak RSS once it has exited (0 before).
    sched::CpuTime usage;
    uint64_t maxrss_kb;
};
// Errors: NoChild, Interrupted.
ErrorOr<WaitResult> wait_child(const WaitRequest& request);

// --- signals (signals.cpp) ---
// Sends `signal` (0: only checks) to a process / a process group / every
// process but PID 1 and the caller (pid -1). Errors: NoSuchProcess, Invalid.
// `info`: the siginfo to queue (rt_sigqueueinfo), else SI_USER from the caller.
// Who sends: a process through kill(2) and its kin, whose permission is
// checked (Linux's check_kill_permission: same real or effective user as
// the target's real or saved one, CAP_KILL, or SIGCONT within the
// session; NotPermitted otherwise), or the kernel (a terminal's hangup or
// job-control signal), which may signal anyone.
enum class SignalSender { Caller, Kernel };
ErrorOr<void> send_signal(int pid, int signal, const SignalInfo* info = nullptr,
                          SignalSender sender = SignalSender::Caller);
// A process group: success if any member got it, else the last member's
// error (NoSuchProcess for an empty group), as Linux's __kill_pgrp_info.
ErrorOr<void> send_signal_to_group(int pgid, int signal, SignalSender sender = SignalSender::Caller);
// kill(-1): every process but init and the caller that it may signal;
// NoSuchProcess if there is none at all.
ErrorOr<void> send_signal_to_all(int signal);
// tgkill: to one thread. Errors: NoSuchProcess, Invalid.
ErrorOr<void> send_signal_to_thread(int tgid, int tid, int signal, const SignalInfo* info = nullptr);
// From an IRQ handler (console ^C): never blocks.
void signal_process_group_from_irq(int pgid, int signal);
// A signal the kernel raises for `target` on behalf of the current process
// (SIGPIPE), like Linux's send_sig(). Takes the scheduler lock itself.
ErrorOr<void> deliver_signal(Process& target, int signal);
// A synchronous fault signal for the current thread with si_code/si_addr;
// runs the handler if one is installed and unblocked, else kills with the
// report (kill_current_for_fault).
void raise_fault_signal(int signal, int code, uint64_t address, uint64_t pc, const char* reason);

// Called on every return to EL0 that has work (has_return_work): delivers
// pending signals (handler frames, default actions, stops) and restarts or
// fails interrupted system calls.
void handle_signals_before_user_return(arch::TrapFrame& frame);
// The common case, checked without the lock: nothing to do. Everything that
// gives the task work on its way out sets one of these (queueing an
// unblocked signal, unmasking one, a group exit, a stop or an exec set
// signal_pending).
// `thread` is the task's (the fast path has it at hand already).
inline bool has_return_work(const sched::Thread& thread, const Task& task) {
    return thread.signal_pending || task.syscall_interrupted || task.restore_saved_mask;
}
inline bool has_return_work(const Task& task) { return has_return_work(*task.thread, task); }
// rt_sigreturn. Never returns an error to user space (a bad frame kills).
void signal_return(arch::TrapFrame& frame);
// Recomputes Thread::signal_pending for the task (scheduler lock held).
void recalc_signal_pending(Task& task);
// The calling task's mask (rt_sigprocmask, sigsuspend, ppoll...). The
// temporary form restores the old mask after the next handler runs.
uint64_t signal_mask();
void set_signal_mask(uint64_t mask);
void set_temporary_signal_mask(uint64_t mask);
uint64_t pending_signals();  // thread + process pending, for rt_sigpending
// rt_sigtimedwait: takes a pending signal of `set` (without running its
// handler), waiting until deadline_ns (0: forever) for one. Errors:
// TryAgain (timed out), Interrupted (another signal).
ErrorOr<int> wait_for_signal(uint64_t set, uint64_t deadline_ns, SignalInfo& info);
// Takes the lowest pending signal of `set` (the task's own first) with its
// siginfo, handler or not; 0 if none is pending (scheduler lock held).
int take_signal_locked(Task& task, uint64_t set, SignalInfo& info);

// setitimer/getitimer(ITIMER_REAL) of the current process: returns the old
// value and interval; a zero value disarms.
struct IntervalTimer {
    uint64_t value_ns;
    uint64_t interval_ns;
};
IntervalTimer set_real_timer(const IntervalTimer& timer);
IntervalTimer real_timer();

const char* signal_name(int signal);

// --- process groups and sessions (process.cpp) ---
ErrorOr<void> set_process_group(int pid, int pgid);
ErrorOr<int> process_group_of(int pid);
ErrorOr<int> session_of(int pid);
ErrorOr<int> create_session();
// TIOCSPGRP's check of the new foreground group: NoSuchProcess if no
// process is in it, NotPermitted if it belongs to another session.
ErrorOr<void> check_foreground_group(int pgid);

// Frees what ended processes and threads left for later: zombies nobody
// will wait for, and the kernel threads of exited tasks.
void free_finished();

// CPU time of a whole process: its live tasks' and those that left.
// Scheduler lock held.
sched::CpuTime process_cpu_time_locked(Process& process);

// clock_gettime's CPU-time clocks of other threads and processes (Linux's
// pid_for_clock): `id` 0 is the caller's thread or process; a thread
// clock needs a thread of the caller's process; a process clock needs a
// process (a zombie's too), or the caller's own TID. Errors: Invalid.
enum class CpuClockOf : uint8_t { Process, Thread };
ErrorOr<sched::CpuTime> cpu_time_of(CpuClockOf kind, int id);

struct ProcessStats {
    uint64_t live;   // processes not yet reaped
    uint64_t tasks;  // live user threads
    uint64_t task_limit;
};
ProcessStats process_stats();

// Virtual time (arch::monotonic_ns) at which PID 1 was about to run its
// first user instruction, 0 if it has not yet: the boot figure of
// ./akuma bench ("[Boot] PID 1 entered user mode at ...").
uint64_t pid1_user_entry_ns();

// The PID handed out last (PIDs are never reused): /proc/loadavg's last
// field and the number of processes created since boot.
int last_allocated_pid();

// --- for clone.cpp / exec.cpp / wait.cpp / signals.cpp (process.cpp) ---
Process* find_process_locked(int pid);
// Every capability Linux 6.1 knows (CAP_LAST_CAP = 40).
Task* find_task_locked(int tid);
// The thread-group leader's scheduling attributes: its live task's, or the
// copy kept once it left (scheduler lock held).
SchedAttributes& leader_sched_attributes_locked(Process& process);
IntrusiveList<Process, &Process::all_link>& all_processes_locked();
// A mapped file shrank: every address space unmaps its pages at file
// offsets from `from_offset` on (AddressSpace::unmap_file_pages). Takes the
// process resources lock, then each space's: both come before the VFS lock
// (call it after the truncation, with the VFS lock let go).
void unmap_file_pages_everywhere(const void* file, uint64_t from_offset);
ErrorOr<Process*> allocate_process(Process* parent);
ErrorOr<Task*> allocate_task(Process& process);
// RLIMIT_NPROC (Linux's copy_process): a user other than root, without
// CAP_SYS_RESOURCE or CAP_SYS_ADMIN, may not create a task (process or
// thread) while the tasks of its real user number its soft limit or more
// (zombies count until reaped). TryAgain then. The kernel's own task
// limit (allocate_task) applies to everyone besides.
ErrorOr<void> check_user_task_limit(const Process& creator);
int allocate_pid_locked();
// Runs the new task's kernel thread; it enters user space with `frame`.
ErrorOr<void> start_task(Task& task, const arch::TrapFrame& frame, uint64_t tpidr_el0, const sched::FpState* fp);
void free_task(Task* task);
// Puts a new process on the process list / takes one off it before it is
// freed (scheduler lock held).
void register_process_locked(Process& process);
void unregister_process_locked(Process& process);
void free_reaped_process(Process* process);
// Queues a signal with its siginfo for a process (scheduler lock held).
ErrorOr<void> queue_signal_locked(sched::SchedulerLockGuard& guard, Process& target, int signal,
                                  const SignalInfo& info);
// ... for one thread of it (tgkill's, SIGEV_THREAD_ID timers'); permission
// already checked.
ErrorOr<void> queue_thread_signal_locked(sched::SchedulerLockGuard& guard, Task& target, int signal,
                                         const SignalInfo& info);

}  // namespace akuma::proc
