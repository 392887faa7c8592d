// clone(2)/clone3(2): new processes (fork, vfork) and new threads.
//
// fork: the child gets a copy-on-write duplicate of the address space
// (AddressSpace::clone_for_fork), a copy of the descriptor table sharing the
// open files, the caller's signal actions and mask, and starts at the same
// place with x0 = 0. vfork (CLONE_VM|CLONE_VFORK): the child borrows the
// parent's address space and the parent sleeps until the child execs or
// exits. Threads (CLONE_VM|CLONE_THREAD|CLONE_SIGHAND): a new task in the
// same process, on the stack and TLS the caller gives. Every new task
// (thread or process) gets the caller's scheduling attributes
// (SchedAttributes::for_child) and personality.
#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/fs/fd_table.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::proc {

namespace abi = linux_abi;

namespace {

// Flags Akuma implements; anything else is refused rather than ignored.
constexpr uint64_t k_supported = abi::k_clone_vm | abi::k_clone_fs | abi::k_clone_files | abi::k_clone_sighand |
                                 abi::k_clone_vfork | abi::k_clone_parent | abi::k_clone_thread |
                                 abi::k_clone_sysvsem | abi::k_clone_settls | abi::k_clone_parent_settid |
                                 abi::k_clone_child_cleartid | abi::k_clone_detached |
                                 abi::k_clone_child_settid | abi::k_clone_untraced | abi::k_clone_pidfd;

}  // namespace

ErrorOr<void> check_clone_flags(uint64_t flags) {
    if (flags & ~k_supported)
        return Error::Invalid;
    bool thread = flags & abi::k_clone_thread;
    // The combinations Linux requires.
    if (thread && !(flags & abi::k_clone_sighand))
        return Error::Invalid;
    if ((flags & abi::k_clone_sighand) && !(flags & abi::k_clone_vm))
        return Error::Invalid;
    if (thread) {
        // One file table and cwd per process: threads share them.
        if (!(flags & abi::k_clone_files) || !(flags & abi::k_clone_fs))
            return Error::Invalid;
        return {};
    }
    // Processes sharing memory or files without being threads (other than
    // vfork's borrowed memory) are not supported: say so.
    if ((flags & abi::k_clone_vm) && !(flags & abi::k_clone_vfork))
        return Error::Invalid;
    if (flags & (abi::k_clone_files | abi::k_clone_sighand | abi::k_clone_fs))
        return Error::Invalid;
    return {};
}

namespace {

sched::FpState live_fp_state() {
    sched::FpState state {};
    fp_state_save(&state);
    return state;
}

ErrorOr<int> clone_thread(arch::TrapFrame& frame, const CloneRequest& request) {
    Process& process = *current_process();
    TRY(check_user_task_limit(process));
    Task* task = TRY(allocate_task(process));
    {
        sched::SchedulerLockGuard guard;
        task->tid = allocate_pid_locked();
        task->signal_mask = current_task()->signal_mask;
        task->sched = current_task()->sched.for_child();
        task->personality = current_task()->personality;
    }
    if (request.flags & abi::k_clone_child_cleartid)
        task->clear_child_tid = request.child_tid;
    arch::TrapFrame start = frame;
    start.x[0] = 0;
    if (request.stack)
        start.sp = request.stack;
    uint64_t tls = (request.flags & abi::k_clone_settls) ? request.tls : arch::read_tpidr_el0();
    // Both TID words are written before the thread can run (glibc reads
    // them in the parent and in the child).
    if (((request.flags & abi::k_clone_parent_settid) &&
         mm::write_user(mm::UserPtr<int32_t>(request.parent_tid), task->tid).is_error()) ||
        ((request.flags & abi::k_clone_child_settid) &&
         mm::write_user(mm::UserPtr<int32_t>(request.child_tid), task->tid).is_error())) {
        free_task(task);
        return Error::Fault;
    }
    auto fp = live_fp_state();
    int tid = task->tid;  // once started, the thread may end and free its task
    if (auto started = start_task(*task, start, tls, &fp); started.is_error()) {
        free_task(task);
        return started.error();
    }
    return tid;
}

ErrorOr<int> clone_process(arch::TrapFrame& frame, const CloneRequest& request) {
    Process& parent = *current_process();
    Task& caller = *current_task();
    bool vfork = request.flags & abi::k_clone_vfork;
    bool borrow = request.flags & abi::k_clone_vm;
    TRY(check_user_task_limit(parent));
    Process* child = TRY(allocate_process(&parent));
    child->exit_signal = request.exit_signal;
    auto task = allocate_task(*child);
    if (task.is_error()) {
        free_reaped_process(child);
        return task.error();
    }
    auto files = parent.files->clone();
    if (files.is_error()) {
        free_task(task.value());
        free_reaped_process(child);
        return files.error();
    }
    child->files = files.value();
    if (request.hidden_fd >= 0)
        (void)child->files->close(request.hidden_fd);  // only the child's reference goes
    if (borrow) {
        child->space = parent.space;
        child->space_borrowed = true;
    } else {
        auto space = parent.space->clone_for_fork();
        if (space.is_error()) {
            free_task(task.value());
            free_reaped_process(child);
            return space.error();
        }
        child->space = space.value();
    }
    sched::Semaphore vfork_done { 0 };
    if (vfork)
        child->vfork_done = &vfork_done;
    Task& child_task = *task.value();
    {
        sched::SchedulerLockGuard guard;
        child->pid = allocate_pid_locked();
        child_task.tid = child->pid;
        child_task.signal_mask = caller.signal_mask;
        child_task.altstack = caller.altstack;
        child_task.sched = caller.sched.for_child();
        child->leader_sched = child_task.sched;  // what its PID names until the task is listed
        child_task.personality = caller.personality;
        Process* new_parent = (request.flags & abi::k_clone_parent) && parent.parent ? parent.parent : &parent;
        child->parent = new_parent;
        new_parent->children.push_back(child->sibling_link);
        register_process_locked(*child);
    }
    if (request.flags & abi::k_clone_child_cleartid)
        child_task.clear_child_tid = request.child_tid;
    if (request.flags & abi::k_clone_child_settid)
        child_task.set_child_tid = request.child_tid;
    if (request.flags & abi::k_clone_parent_settid)
        (void)mm::write_user(mm::UserPtr<int32_t>(request.parent_tid), child->pid);  // as Linux: not checked
    arch::TrapFrame start = frame;
    start.x[0] = 0;
    if (request.stack)
        start.sp = request.stack;
    uint64_t tls = (request.flags & abi::k_clone_settls) ? request.tls : arch::read_tpidr_el0();
    auto fp = live_fp_state();
    int pid = child->pid;  // once started, the child may end and be reaped by anyone
    watch_cpu_limit(*child);  // RLIMIT_CPU is inherited (itimers are not)
    if (auto started = start_task(child_task, start, tls, &fp); started.is_error()) {
        stop_cpu_limits(*child);
        {
            sched::SchedulerLockGuard guard;
            child->parent->children.remove(child->sibling_link);
            unregister_process_locked(*child);
        }
        free_task(&child_task);
        free_reaped_process(child);  // releases the files and (unless borrowed) the space
        return started.error();
    }
    if (vfork)
        vfork_done.down();  // the child has exec'd or exited (finish_process / execve)
    return pid;
}

}  // namespace

ErrorOr<int> clone(arch::TrapFrame& frame, const CloneRequest& request) {
    TRY(check_clone_flags(request.flags));
    if (request.exit_signal < 0 || request.exit_signal > static_cast<int>(k_signal_count))
        return Error::Invalid;
    if (request.flags & abi::k_clone_thread)
        return clone_thread(frame, request);
    return clone_process(frame, request);
}

}  // namespace akuma::proc
