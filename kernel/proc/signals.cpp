// Signals: generation (kill, tgkill, faults, SIGCHLD, ^C), default actions
// (terminate, ignore, stop, continue), and delivery to handlers through a
// signal frame (signal_frame.h) on the way back to user space.
//
// Pending sets (pending_signals.h): process-directed signals wait in
// Process::pending, thread-directed ones (tgkill, faults) in Task::pending.
// A task picks up both when it returns to EL0, lowest number first,
// skipping the ones its mask blocks. Standard signals do not queue: a
// second one while the first is pending is merged, as on Linux; real-time
// signals queue, sigqueue's up to RLIMIT_SIGPENDING (EAGAIN beyond).
//
// Interrupted system calls: a blocking call woken by a signal returns
// Error::Interrupted; if it is restartable, dispatch marks the task and the
// delivery code either restarts it (SA_RESTART, or no handler ran) by
// stepping the PC back onto the SVC instruction, or lets EINTR through.
#include <iterator>

#include "kernel/arch/aarch64/interrupts.h"
#include "kernel/arch/aarch64/timer.h"
#include "kernel/events/signalfd.h"
#include "kernel/lib/kprint.h"
#include "kernel/time/duration.h"
#include "kernel/time/timer_queue.h"
#include "kernel/proc/posix_timers.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::proc {

namespace abi = linux_abi;

namespace {

enum class DefaultAction : uint8_t { Terminate, Ignore, Stop, Continue };

DefaultAction default_action(int signal) {
    switch (signal) {
    case abi::k_sigchld:
    case abi::k_sigurg:
    case abi::k_sigwinch: return DefaultAction::Ignore;
    case abi::k_sigcont: return DefaultAction::Continue;
    case abi::k_sigstop:
    case abi::k_sigtstp:
    case abi::k_sigttin:
    case abi::k_sigttou: return DefaultAction::Stop;
    default: return DefaultAction::Terminate;
    }
}

constexpr uint64_t bit(int signal) { return 1ull << (signal - 1); }
constexpr uint64_t k_unblockable = bit(abi::k_sigkill) | bit(abi::k_sigstop);
constexpr uint64_t k_stop_signals = bit(abi::k_sigstop) | bit(abi::k_sigtstp) | bit(abi::k_sigttin) |
                                    bit(abi::k_sigttou);

bool valid_signal(int signal) { return signal >= 1 && signal <= static_cast<int>(k_signal_count); }

bool has_handler(const SignalAction& action) {
    return action.handler != abi::k_sig_dfl && action.handler != abi::k_sig_ign;
}

bool is_ignored(const Process& process, int signal) {
    const SignalAction& action = process.actions[signal - 1];
    if (action.handler == abi::k_sig_ign)
        return true;
    return action.handler == abi::k_sig_dfl &&
           (default_action(signal) == DefaultAction::Ignore || default_action(signal) == DefaultAction::Continue);
}

// Linux's rule for init (SIGNAL_UNKILLABLE): a signal whose action is the
// default is dropped, whoever sends it and whatever the default is, so
// kill(1, SIGKILL) does nothing. Faults kill init all the same
// (raise_fault_signal does not come here).
bool init_drops(const Process& process, int signal) {
    return process.is_init && process.actions[signal - 1].handler == abi::k_sig_dfl;
}

void interrupt_all_tasks(sched::SchedulerLockGuard& guard, Process& process) {
    process.tasks.for_each([&](Task& task) { sched::interrupt_thread_locked(guard, task.thread); });
}

// Tells the parent about a stop or a continue (wait with WUNTRACED /
// WCONTINUED, and SIGCHLD unless the parent asked for SA_NOCLDSTOP).
void notify_parent_of_job_event(sched::SchedulerLockGuard& guard, Process& process, int code, int signal) {
    Process* parent = process.parent;
    if (!parent)
        return;
    parent->child_events.wake_all(guard);
    if (parent->actions[abi::k_sigchld - 1].flags & abi::k_sa_nocldstop)
        return;
    SignalInfo info {};
    info.signo = abi::k_sigchld;
    info.code = code;
    info.pid = process.pid;
    info.uid = credentials_of(process).uid;
    info.status = signal;
    (void)queue_signal_locked(guard, *parent, abi::k_sigchld, info);
}

void continue_process_locked(sched::SchedulerLockGuard& guard, Process& process) {
    process.pending.discard_mask(k_stop_signals);
    process.tasks.for_each([&](Task& task) { task.pending.discard_mask(k_stop_signals); });
    if (!process.stopped)
        return;
    process.stopped = false;
    process.job_event = JobEvent::Continued;
    process.continue_waiters.wake_all(guard);
    notify_parent_of_job_event(guard, process, abi::k_cld_continued, abi::k_sigcont);
}

void start_group_exit_locked(sched::SchedulerLockGuard& guard, Process& process, int status) {
    if (process.group_exiting)
        return;
    process.group_exiting = true;
    process.group_exit_status = status;
    process.stopped = false;
    process.continue_waiters.wake_all(guard);
    interrupt_all_tasks(guard, process);
}

// Wakes a task that can take `signal` now (its mask lets it through).
void wake_a_taker(sched::SchedulerLockGuard& guard, Process& process, int signal) {
    Task* taker = nullptr;
    process.tasks.for_each([&](Task& task) {
        if (!taker && !(task.signal_mask & bit(signal)))
            taker = &task;
    });
    if (taker)
        sched::interrupt_thread_locked(guard, taker->thread);
}

// Adds an instance to a pending set of `target`. Real-time instances are
// bounded by RLIMIT_SIGPENDING (a timer's not: it has one at most, which
// Linux allocates ahead): beyond it, sigqueue's and the kernel's fail with
// EAGAIN, and kill()'s is lost without an error (only the pending bit is
// guaranteed), as Linux's __send_signal_locked. Linux counts a user's
// instances over all its processes; Akuma counts each set.
ErrorOr<void> add_pending(PendingSignals& pending, const Process& target, int signal, const SignalInfo& info) {
    size_t limit = info.code == abi::k_si_timer ? SIZE_MAX : soft_limit(target, abi::k_rlimit_sigpending);
    auto added = pending.add(signal, info, limit);
    if (added.is_error() && info.code == abi::k_si_user) {
        if (!pending.contains(signal))
            (void)pending.add(signal, info);
        return {};
    }
    return added;
}

SignalInfo sent_by_current(int signal, int code) {
    SignalInfo info {};
    info.signo = signal;
    info.code = code;
    Process* sender = current_process();
    info.pid = sender ? sender->pid : 0;
    info.uid = sender ? credentials_of(*sender).uid : 0;  // the sender's real user, as Linux
    return info;
}

// The signal the task should handle next (0: none), taken out of its
// pending set with its siginfo. SIGKILL and SIGSTOP go first.
int dequeue_signal_locked(Task& task, SignalInfo& info) {
    Process& process = *task.process;
    uint64_t ready = (task.pending.mask() | process.pending.mask()) & ~task.signal_mask;
    if (!ready)
        return 0;
    int signal = (ready & k_unblockable) ? __builtin_ctzll(ready & k_unblockable) + 1 : __builtin_ctzll(ready) + 1;
    if (!task.pending.take(signal, info))
        (void)process.pending.take(signal, info);
    posix_timer_signal_taken_locked(process, info);
    return signal;
}

// Restart or fail the system call the signal interrupted.
void finish_interrupted_syscall(Task& task, arch::TrapFrame& frame, bool handler_ran, uint64_t handler_flags) {
    if (!task.syscall_interrupted)
        return;
    task.syscall_interrupted = false;
    bool restart = task.restart_always                  ? true
                   : task.restart_only_without_handler ? !handler_ran
                                                       : !handler_ran || (handler_flags & abi::k_sa_restart);
    if (restart) {
        frame.x[0] = task.syscall_orig_x0;
        frame.elr -= 4;  // back onto the SVC instruction; x8 still holds the number
        task.resume_sleep = task.restart_only_without_handler;
    }
}

// Runs the handler for `signal` by building its frame. False if the frame
// could not be written (the process is then killed).
bool run_handler(Task& task, arch::TrapFrame& frame, int signal, const SignalInfo& info) {
    Process& process = *task.process;
    SignalAction action;
    uint64_t saved_mask;
    {
        sched::SchedulerLockGuard guard;
        action = process.actions[signal - 1];
        saved_mask = task.restore_saved_mask ? task.saved_mask : task.signal_mask;
        task.restore_saved_mask = false;
    }
    finish_interrupted_syscall(task, frame, true, action.flags);
    SignalDelivery delivery {};
    delivery.info = info;
    delivery.handler = action.handler;
    delivery.flags = action.flags;
    delivery.restorer = action.restorer;
    delivery.saved_mask = saved_mask;
    delivery.altstack = task.altstack;
    delivery.trampoline = process.sigreturn_trampoline;
    if (setup_signal_frame(frame, delivery).is_error())
        return false;
    sched::SchedulerLockGuard guard;
    task.signal_mask |= action.mask;
    if (!(action.flags & abi::k_sa_nodefer))
        task.signal_mask |= bit(signal);
    task.signal_mask &= ~k_unblockable;
    if (action.flags & abi::k_sa_resethand)
        process.actions[signal - 1] = {};
    // SS_AUTODISARM: the alternate stack is handed to this handler alone.
    if ((action.flags & abi::k_sa_onstack) && (task.altstack.flags & static_cast<int32_t>(abi::k_ss_autodisarm)))
        task.altstack = { 0, 0, abi::k_ss_disable };
    return true;
}

}  // namespace

const char* signal_name(int signal) {
    static constexpr const char* names[] = {
        "SIG0",    "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",  "SIGTRAP", "SIGABRT", "SIGBUS",
        "SIGFPE",  "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
        "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
        "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",  "SIGSYS",
    };
    if (signal >= 0 && static_cast<size_t>(signal) < std::size(names))
        return names[signal];
    return valid_signal(signal) ? "SIGRT" : "SIG?";
}

void recalc_signal_pending(Task& task) {
    Process& process = *task.process;
    task.thread->signal_pending = ((task.pending.mask() | process.pending.mask()) & ~task.signal_mask) != 0 ||
                                  process.group_exiting || process.stopped ||
                                  (process.exec_task && process.exec_task != &task);
}

ErrorOr<void> queue_signal_locked(sched::SchedulerLockGuard& guard, Process& target, int signal,
                                  const SignalInfo& info) {
    if (!valid_signal(signal))
        return Error::Invalid;
    if (target.state == ProcessState::Zombie || target.group_exiting || init_drops(target, signal))
        return {};
    if (signal == abi::k_sigkill) {
        start_group_exit_locked(guard, target, abi::k_sigkill);
        return {};
    }
    if (signal == abi::k_sigcont)
        continue_process_locked(guard, target);  // even if blocked or ignored
    else if (k_stop_signals & bit(signal))
        target.pending.discard(abi::k_sigcont);
    // Ignored signals are dropped at once unless blocked (the action may
    // change before they are unblocked).
    Task* main = target.tasks.front();
    bool blocked = main && (main->signal_mask & bit(signal));
    if (is_ignored(target, signal) && !blocked)
        return {};
    TRY(add_pending(target.pending, target, signal, info));
    wake_a_taker(guard, target, signal);
    events::signalfd_signal_queued_locked(guard);
    return {};
}

// Linux's check_kill_permission for a signal from the calling process
// (scheduler lock held; the credentials lock nests inside it).
ErrorOr<void> check_kill_permission_locked(const Process& target, int signal) {
    Process* sender = current_process();
    if (!sender || sender == &target)
        return {};
    if (may_signal(credentials_of(*sender), credentials_of(target)))
        return {};
    if (signal == abi::k_sigcont && target.sid == sender->sid)
        return {};
    return Error::NotPermitted;
}

ErrorOr<void> deliver_signal(Process& target, int signal) {
    sched::SchedulerLockGuard guard;
    // As Linux's send_sig(): SI_USER from the current process.
    return queue_signal_locked(guard, target, signal, sent_by_current(signal, abi::k_si_user));
}

ErrorOr<void> send_signal(int pid, int signal, const SignalInfo* given, SignalSender sender) {
    if (signal < 0 || signal > static_cast<int>(k_signal_count))
        return Error::Invalid;
    SignalInfo info = given ? *given : sent_by_current(signal, abi::k_si_user);
    sched::SchedulerLockGuard guard;
    Process* target = find_process_locked(pid);
    if (!target)
        return Error::NoSuchProcess;
    if (sender == SignalSender::Caller)
        TRY(check_kill_permission_locked(*target, signal));
    if (signal == 0)
        return {};
    return queue_signal_locked(guard, *target, signal, info);
}

ErrorOr<void> send_signal_to_group(int pgid, int signal, SignalSender sender) {
    if (signal < 0 || signal > static_cast<int>(k_signal_count) || pgid <= 0)
        return Error::Invalid;
    SignalInfo info = sent_by_current(signal, abi::k_si_user);
    sched::SchedulerLockGuard guard;
    bool delivered = false;
    ErrorOr<void> last = Error::NoSuchProcess;
    all_processes_locked().for_each([&](Process& process) {
        if (process.pgid != pgid || process.state == ProcessState::Zombie)
            return;
        last = sender == SignalSender::Caller ? check_kill_permission_locked(process, signal) : ErrorOr<void> {};
        if (!last.is_error() && signal)
            last = queue_signal_locked(guard, process, signal, info);
        delivered |= !last.is_error();
    });
    return delivered ? ErrorOr<void> {} : last;
}

ErrorOr<void> send_signal_to_all(int signal) {
    if (signal < 0 || signal > static_cast<int>(k_signal_count))
        return Error::Invalid;
    SignalInfo info = sent_by_current(signal, abi::k_si_user);
    Process* self = current_process();
    sched::SchedulerLockGuard guard;
    bool found = false;
    all_processes_locked().for_each([&](Process& process) {
        if (process.pid == 1 || &process == self || process.state == ProcessState::Zombie)
            return;
        found = true;  // even if not permitted: Linux's kill(-1) then answers 0
        if (signal && !check_kill_permission_locked(process, signal).is_error())
            (void)queue_signal_locked(guard, process, signal, info);
    });
    return found ? ErrorOr<void> {} : ErrorOr<void> { Error::NoSuchProcess };
}

ErrorOr<void> send_signal_to_thread(int tgid, int tid, int signal, const SignalInfo* given) {
    if (signal < 0 || signal > static_cast<int>(k_signal_count) || tid <= 0)
        return Error::Invalid;
    SignalInfo info = given ? *given : sent_by_current(signal, abi::k_si_tkill);
    sched::SchedulerLockGuard guard;
    Task* task = find_task_locked(tid);
    if (!task) {
        // A zombie's main thread still exists for signals (they are
        // ignored), as on Linux until it is reaped.
        Process* zombie = find_process_locked(tid);
        if (zombie && zombie->state == ProcessState::Zombie && (tgid <= 0 || tgid == tid))
            return {};
        return Error::NoSuchProcess;
    }
    if (tgid > 0 && task->process->pid != tgid)
        return Error::NoSuchProcess;
    TRY(check_kill_permission_locked(*task->process, signal));
    if (signal == 0)
        return {};
    return queue_thread_signal_locked(guard, *task, signal, info);
}

ErrorOr<void> queue_thread_signal_locked(sched::SchedulerLockGuard& guard, Task& target, int signal,
                                         const SignalInfo& info) {
    Task* task = &target;
    Process& process = *task->process;
    if (init_drops(process, signal))
        return {};
    // SIGKILL, SIGCONT and the stop signals act on the whole process.
    if (signal == abi::k_sigkill || signal == abi::k_sigcont)
        return queue_signal_locked(guard, process, signal, info);
    if (process.group_exiting)
        return {};
    if (is_ignored(process, signal) && !(task->signal_mask & bit(signal)))
        return {};
    TRY(add_pending(task->pending, process, signal, info));
    if (!(task->signal_mask & bit(signal)))
        sched::interrupt_thread_locked(guard, task->thread);
    events::signalfd_signal_queued_locked(guard);
    return {};
}

void signal_process_group_from_irq(int pgid, int signal) {
    if (pgid <= 0 || !valid_signal(signal))
        return;
    // From the terminal, not from whichever thread the IRQ interrupted.
    SignalInfo info {};
    info.signo = signal;
    info.code = abi::k_si_kernel;
    sched::SchedulerLockGuard guard;
    all_processes_locked().for_each([&](Process& process) {
        if (process.pgid == pgid && process.state != ProcessState::Zombie)
            (void)queue_signal_locked(guard, process, signal, info);
    });
}

void raise_fault_signal(int signal, int code, uint64_t address, uint64_t pc, const char* reason) {
    Task& task = *current_task();
    Process& process = *task.process;
    {
        sched::SchedulerLockGuard guard;
        // Like Linux's force_sig_fault: a blocked or ignored fault signal
        // cannot be delivered, so it kills.
        if (has_handler(process.actions[signal - 1]) && !(task.signal_mask & bit(signal))) {
            SignalInfo info {};
            info.signo = signal;
            info.code = code;
            info.address = address;
            task.pending.discard(signal);  // a fault's own siginfo, not an earlier one's
            (void)task.pending.add(signal, info);
            recalc_signal_pending(task);
            return;
        }
    }
    kill_current_for_fault(signal, address, pc, reason);
}

void handle_signals_before_user_return(arch::TrapFrame& frame) {
    Task* task = current_task();
    if (!task || !has_return_work(*task))
        return;
    // The vectors call this with interrupts masked. What follows may write
    // a frame to user memory (demand paging) or tear a whole process down:
    // run it with interrupts on, and mask them again for the ERET.
    struct InterruptsOn {
        InterruptsOn() { arch::enable_interrupts(); }
        ~InterruptsOn() { arch::disable_interrupts(); }
    } interrupts_on;
    Process& process = *task->process;
    bool handler_ran = false;
    for (;;) {
        int signal;
        SignalInfo info {};
        {
            sched::SchedulerLockGuard guard;
            if (!process.group_exiting && process.stopped) {
                process.continue_waiters.wait(guard);
                continue;
            }
            if (process.exec_task && process.exec_task != task)
                signal = -2;  // another thread is exec'ing: this one ends
            else if (process.group_exiting)
                signal = -1;
            else if (handler_ran)
                signal = 0;  // one frame per return to user space: the rest at the next
            else
                signal = dequeue_signal_locked(*task, info);
        }
        if (signal == -2)
            leave_for_exec();
        if (signal < 0)
            exit_group(process.group_exit_status);
        if (signal == 0)
            break;
        const SignalAction action = process.actions[signal - 1];
        if (action.handler == abi::k_sig_ign)
            continue;
        if (has_handler(action)) {
            if (!run_handler(*task, frame, signal, info)) {
                kprintln("[Signal] '{}' (PID {}): cannot write the frame for {} at sp {:#x}", process.name,
                         process.pid, signal_name(signal), frame.sp);
                kill_current_for_fault(abi::k_sigsegv, frame.sp, frame.elr, "signal frame not writable");
            }
            handler_ran = true;
            continue;
        }
        switch (default_action(signal)) {
        case DefaultAction::Ignore:
        case DefaultAction::Continue:
            continue;
        case DefaultAction::Stop: {
            sched::SchedulerLockGuard guard;
            if (!process.stopped && !process.group_exiting) {
                process.stopped = true;
                process.stop_signal = signal;
                process.job_event = JobEvent::Stopped;
                interrupt_all_tasks(guard, process);
                notify_parent_of_job_event(guard, process, abi::k_cld_stopped, signal);
            }
            continue;
        }
        case DefaultAction::Terminate:
            exit_group(signal);  // Akuma writes no core dumps: no 0x80 bit
        }
    }
    finish_interrupted_syscall(*task, frame, false, 0);
    sched::SchedulerLockGuard guard;
    if (task->restore_saved_mask) {
        task->signal_mask = task->saved_mask;
        task->restore_saved_mask = false;
    }
    recalc_signal_pending(*task);
}

void signal_return(arch::TrapFrame& frame) {
    Task& task = *current_task();
    auto restored = restore_signal_frame(frame);
    if (restored.is_error())
        kill_current_for_fault(abi::k_sigsegv, frame.sp, frame.elr, "bad signal frame in rt_sigreturn");
    sched::SchedulerLockGuard guard;
    task.signal_mask = restored.value().mask & ~k_unblockable;
    task.altstack = restored.value().altstack;
    task.syscall_interrupted = false;
    recalc_signal_pending(task);
}

uint64_t signal_mask() { return current_task()->signal_mask; }

void set_signal_mask(uint64_t mask) {
    Task& task = *current_task();
    sched::SchedulerLockGuard guard;
    task.signal_mask = mask & ~k_unblockable;
    recalc_signal_pending(task);
}

void set_temporary_signal_mask(uint64_t mask) {
    Task& task = *current_task();
    sched::SchedulerLockGuard guard;
    if (!task.restore_saved_mask) {
        task.saved_mask = task.signal_mask;
        task.restore_saved_mask = true;
    }
    task.signal_mask = mask & ~k_unblockable;
    recalc_signal_pending(task);
}

uint64_t pending_signals() {
    Task& task = *current_task();
    sched::SchedulerLockGuard guard;
    return task.pending.mask() | task.process->pending.mask();
}

int take_signal_locked(Task& task, uint64_t set, SignalInfo& info) {
    uint64_t ready = (task.pending.mask() | task.process->pending.mask()) & set;
    if (!ready)
        return 0;
    int signal = __builtin_ctzll(ready) + 1;
    if (!task.pending.take(signal, info))
        (void)task.process->pending.take(signal, info);
    posix_timer_signal_taken_locked(*task.process, info);
    return signal;
}

ErrorOr<int> wait_for_signal(uint64_t set, uint64_t deadline_ns, SignalInfo& info) {
    Task& task = *current_task();
    set &= ~k_unblockable;
    sched::SchedulerLockGuard guard;
    // Like Linux: while waiting, the signals of `set` count as unblocked for
    // wake-ups, but are taken here rather than by a handler.
    uint64_t saved = task.signal_mask;
    task.signal_mask &= ~set;
    int signal = 0;
    auto result = sched::WaitResult::Woken;
    sched::WaitQueue nobody_wakes_this;
    for (;;) {
        signal = take_signal_locked(task, set, info);
        if (signal)
            break;
        if (result != sched::WaitResult::Woken)
            break;  // timed out, or another signal is due (EINTR)
        recalc_signal_pending(task);
        if (task.thread->signal_pending)
            break;  // already due: a signal outside `set`, a group exit
        result = nobody_wakes_this.wait_interruptible(guard, deadline_ns);
    }
    task.signal_mask = saved;
    recalc_signal_pending(task);
    if (signal)
        return signal;
    return result == sched::WaitResult::TimedOut ? Error::TryAgain : Error::Interrupted;
}

namespace {

void real_timer_expired(void* context) {  // IRQ context (timer tick)
    auto* process = static_cast<Process*>(context);
    SignalInfo info {};
    info.signo = abi::k_sigalrm;
    info.code = abi::k_si_kernel;
    sched::SchedulerLockGuard guard;
    (void)queue_signal_locked(guard, *process, abi::k_sigalrm, info);
    if (process->real_timer_interval_ns && !process->group_exiting) {
        process->real_timer.deadline_ns =
            time::deadline_after(process->real_timer.deadline_ns, process->real_timer_interval_ns);
        time::timer_queue_add(process->real_timer);
    }
}

}  // namespace

IntervalTimer real_timer() {
    Process& process = *current_process();
    sched::SchedulerLockGuard guard;
    IntervalTimer current { 0, process.real_timer_interval_ns };
    if (process.real_timer.queued()) {
        uint64_t now = arch::monotonic_ns();
        // An armed timer never reads as 0 left (that would mean "disarmed").
        current.value_ns = process.real_timer.deadline_ns > now ? process.real_timer.deadline_ns - now : 1000;
    }
    return current;
}

IntervalTimer set_real_timer(const IntervalTimer& timer) {
    Process& process = *current_process();
    IntervalTimer old = real_timer();
    (void)time::timer_queue_cancel(process.real_timer);
    sched::SchedulerLockGuard guard;
    process.real_timer_interval_ns = timer.value_ns ? timer.interval_ns : 0;
    if (timer.value_ns) {
        process.real_timer.deadline_ns = time::deadline_after(arch::monotonic_ns(), timer.value_ns);
        process.real_timer.callback = real_timer_expired;
        process.real_timer.context = &process;
        time::timer_queue_add(process.real_timer);
    }
    return old;
}

}  // namespace akuma::proc
