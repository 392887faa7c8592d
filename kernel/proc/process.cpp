#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/process_inspection.h"

#include <new>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/vfs_lock.h"
#include "kernel/lib/kprint.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/futex.h"
#include "kernel/proc/loader.h"
#include "kernel/proc/robust_futex.h"
#include "kernel/ipc/semaphores.h"
#include "kernel/sched/mutex.h"
#include "kernel/events/pidfd.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/time/timer_queue.h"

namespace akuma::proc {

namespace abi = linux_abi;

namespace {

constinit IntrusiveList<Process, &Process::all_link> g_processes {};
constinit int g_next_pid = 1;
constinit ProcessStats g_stats {};
constinit uint64_t g_pid1_user_entry_ns = 0;

// Like Linux's default RLIMIT_NPROC (max_threads / 2, with max_threads =
// RAM pages / 32): enough tasks for real work, few enough that their
// kernel stacks and tables cannot exhaust memory. Applies to root too: a
// fork bomb must not take the kernel down.
uint64_t task_limit() {
    uint64_t limit = mm::pmm_stats().total_pages / 64;
    return limit < 16 ? 16 : limit;
}

std::string_view base_name(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Handed from spawn() to the first thread of a kernel-started process.
struct LaunchJob {
    Process* process;
    Task* task;
    fs::InodeRef program;
    std::span<const std::string_view> argv;
    std::span<const std::string_view> envp;
    std::string_view path;
    sched::Semaphore loaded { 0 };
    ErrorOr<void> result { Error::IoError };
};

void bind_thread(sched::Thread* thread, Task* task) {
    thread->process = task->process;
    thread->task = task;
    thread->user_ttbr0 = task->process->space->ttbr0();
}

uint64_t launch_main(void* argument) {
    auto* job = static_cast<LaunchJob*>(argument);
    Process* process = job->process;
    sched::Thread* self = sched::current_thread();
    {
        sched::SchedulerLockGuard guard;
        bind_thread(self, job->task);
        job->task->thread = self;
    }
    arch::switch_user_translation(self->user_ttbr0);

    // The same way in as execve(2) (as Linux's init= goes through
    // kernel_execve): "#!" scripts run through their interpreter, dynamically
    // linked programs through theirs.
    arch::TrapFrame frame {};
    auto started = sched::enable_fp_state(self);
    if (!started.is_error())
        started = execve(frame, job->program, job->path, job->argv, job->envp);
    if (started.is_error()) {
        job->result = started.error();
        process->quiet_exit = true;
        job->loaded.up();
        exit_group(abi::k_sigkill);  // never ran: spawn() reports the error instead
    }
    job->result = {};
    if (process->pid == 1 && g_pid1_user_entry_ns == 0)
        g_pid1_user_entry_ns = arch::monotonic_ns();  // before up(), which may switch to spawn()'s thread
    job->loaded.up();  // the job belongs to spawn() again from here on
    sched::account_return_to_user(*self);
    enter_user_mode(frame.elr, frame.sp, self->stack.top);
}

uint64_t task_main(void* argument) {
    auto* task = static_cast<Task*>(argument);
    sched::Thread* self = sched::current_thread();
    if (!self->task)
        return 0;  // start_task failed after creating the thread
    if (task->set_child_tid)  // as Linux, a fault here is ignored
        (void)mm::write_user(mm::UserPtr<int32_t>(task->set_child_tid), task->tid);
    static_assert(sizeof(arch::TrapFrame) == 288);  // user_entry.S copies this many bytes
    sched::account_return_to_user(*self);
    return_to_user_with_frame(&task->start_frame, self->stack.top);
}

// The kernel reaps orphans with no PID 1 and processes whose parent
// ignores SIGCHLD (SA_NOCLDWAIT semantics); they are freed by whoever
// passes by next (a new process, a reap), never by the dying thread itself.
constinit NodeQueue g_orphan_zombies {};

// Nobody will wait for it: it is gone at once for kill() and friends.
void queue_orphan_zombie_locked(Process& zombie) {
    unregister_process_locked(zombie);
    g_orphan_zombies.push_back(zombie.sibling_link);
}

bool can_adopt(const Process* process, const Process& dying) {
    return process && process != &dying && !process->group_exiting && process->state != ProcessState::Zombie;
}

// Who takes the orphans of `dying` (Linux's find_new_reaper): the nearest
// ancestor that is a child subreaper and still alive, else PID 1 if it
// lives (and is not the one dying), else nobody (the kernel reaps them
// when they end).
Process* new_reaper_locked(Process& dying) {
    for (Process* ancestor = dying.parent; ancestor && ancestor->pid != 1; ancestor = ancestor->parent)
        if (ancestor->child_subreaper && can_adopt(ancestor, dying))
            return ancestor;
    Process* init = find_process_locked(1);
    return can_adopt(init, dying) ? init : nullptr;
}

// The threads of `child` that asked for a signal at their parent's death
// (PR_SET_PDEATHSIG) get it, sent to the process as by kill() from `dying`.
void send_parent_death_signals_locked(sched::SchedulerLockGuard& guard, Process& child, Process& dying) {
    if (child.state == ProcessState::Zombie)
        return;
    child.tasks.for_each([&](Task& task) {
        int signal = __atomic_load_n(&task.parent_death_signal, __ATOMIC_RELAXED);
        if (!signal)
            return;
        SignalInfo info {};
        info.signo = signal;
        info.code = abi::k_si_user;
        info.pid = dying.pid;
        info.uid = credentials_of(dying).uid;
        (void)queue_signal_locked(guard, child, signal, info);
    });
}

// Gives children of `dying` a new parent (new_reaper_locked).
void reparent_children_locked(sched::SchedulerLockGuard& guard, Process& dying) {
    Process* reaper = new_reaper_locked(dying);
    for_each_child(dying, [&](Process& child) {
        dying.children.remove(child.sibling_link);
        child.parent = reaper;
        if (reaper) {
            reaper->children.push_back(child.sibling_link);
            if (child.state == ProcessState::Zombie)
                reaper->child_events.wake_all(guard);
        } else if (child.state == ProcessState::Zombie) {
            queue_orphan_zombie_locked(child);
        }
        send_parent_death_signals_locked(guard, child, dying);
    });
}

void free_orphan_zombies() {
    for (;;) {
        Process* zombie;
        {
            sched::SchedulerLockGuard guard;
            zombie = list_owner<Process, &Process::sibling_link>(g_orphan_zombies.pop_front());
        }
        if (!zombie)
            return;
        free_reaped_process(zombie);
    }
}

// The last task of a process is leaving: release what the process holds
// (the thread still runs in the kernel on its own stack), become a zombie
// and tell the parent.
void finish_process(Process& process, sched::Thread* self) {
    (void)time::timer_queue_cancel(process.real_timer);  // no SIGALRM for a zombie
    stop_cpu_limits(process);  // nor SIGVTALRM, SIGPROF, SIGXCPU
    delete_all_posix_timers(process);
    self->user_ttbr0 = 0;
    arch::switch_user_translation(0);
    uint64_t maxrss_kb = process.space ? process.space->peak_resident_pages() * mm::k_page_size / 1024 : 0;
    ipc::sem_exit(process);  // SEM_UNDO adjustments, as Linux's exit_sem
    {
        ProcessResourcesGuard resources;  // /proc readers may be looking at them
        if (process.files) {
            fs::FdTable::destroy(process.files);
            process.files = nullptr;
        }
        process.cwd.reset();
        if (process.space && !process.space_borrowed)
            AddressSpace::destroy(process.space);
        sched::SchedulerLockGuard guard;
        process.space = nullptr;
    }

    if (process.vfork_done) {  // a vfork child gives its parent back the memory
        process.vfork_done->up();
        process.vfork_done = nullptr;
    }
    // What the process held may have kept a lazily unmounted file system alive.
    fs::free_idle_detached_file_systems();
    sched::SchedulerLockGuard guard;
    reparent_children_locked(guard, process);
    process.wait_status = process.group_exit_status;
    // The time spent releasing the process is its own too; complete before
    // the parent can see the zombie.
    process.exited_time += sched::take_cpu_time();
    process.exit_maxrss_kb = maxrss_kb;
    process.state = ProcessState::Zombie;
    events::pidfd_process_exited_locked(guard);
    Process* parent = process.parent;
    if (parent) {
        const SignalAction& action = parent->actions[abi::k_sigchld - 1];
        // A parent ignoring SIGCHLD (or with SA_NOCLDWAIT) never sees its
        // children as zombies (POSIX; Linux does the same).
        if (process.exit_signal == abi::k_sigchld &&
            (action.handler == abi::k_sig_ign || (action.flags & abi::k_sa_nocldwait))) {
            parent->children.remove(process.sibling_link);
            process.parent = nullptr;
            parent->child_events.wake_all(guard);  // a wait may now find no children: ECHILD
            parent = nullptr;
        } else {
            if (process.exit_signal) {
                SignalInfo info {};
                info.signo = process.exit_signal;
                info.code = (process.wait_status & 0x7f) ? abi::k_cld_killed : abi::k_cld_exited;
                info.pid = process.pid;
                info.uid = credentials_of(process).uid;
                info.status = (process.wait_status & 0x7f) ? (process.wait_status & 0x7f)
                                                           : (process.wait_status >> 8) & 0xff;
                (void)queue_signal_locked(guard, *parent, process.exit_signal, info);
            }
            parent->child_events.wake_all(guard);
        }
    }
    if (process.kernel_waiter)
        process.kernel_exit_waiters.wake_all(guard);
    else if (!parent)
        queue_orphan_zombie_locked(process);
}

// Clears the thread's TID word and wakes a futex waiter on it
// (CLONE_CHILD_CLEARTID: how pthread_join learns that a thread is gone).
void clear_child_tid(Task& task, Process& process) {
    if (!task.clear_child_tid || !process.space)
        return;
    if (mm::write_user(mm::UserPtr<uint32_t>(task.clear_child_tid), 0u).is_error())
        return;
    futex_wake(process.space, task.clear_child_tid, 1);
}

}  // namespace

IntrusiveList<Process, &Process::all_link>& all_processes_locked() { return g_processes; }

void unmap_file_pages_everywhere(const void* file, uint64_t from_offset) {
    // The resources lock keeps every address space alive while it is used;
    // the list of them is taken under the scheduler lock, sized first since
    // nothing may be allocated under it.
    ProcessResourcesGuard resources;
    Vector<AddressSpace*, mm::HeapAllocator> spaces;
    for (;;) {
        size_t count;
        {
            sched::SchedulerLockGuard guard;
            count = g_processes.size();
        }
        if (spaces.try_reserve(count + 8).is_error())
            break;  // out of memory: the pages already mapped stay (the size check still gives SIGBUS)
        sched::SchedulerLockGuard guard;
        if (g_processes.size() > spaces.capacity())
            continue;
        spaces.clear();
        g_processes.for_each([&](Process& process) {
            if (process.space && !process.space_borrowed)
                (void)spaces.try_append(process.space);  // reserved
        });
        break;
    }
    for (AddressSpace* space : spaces)
        space->unmap_file_pages(file, from_offset);
}

Process* find_process_locked(int pid) {
    Process* found = nullptr;
    g_processes.for_each([&](Process& process) {
        if (process.pid == pid)
            found = &process;
    });
    return found;
}

Task* find_task_locked(int tid) {
    Task* found = nullptr;
    g_processes.for_each([&](Process& process) {
        process.tasks.for_each([&](Task& task) {
            if (task.tid == tid)
                found = &task;
        });
    });
    return found;
}

SchedAttributes& leader_sched_attributes_locked(Process& process) {
    SchedAttributes* found = &process.leader_sched;
    process.tasks.for_each([&](Task& task) {
        if (task.tid == process.pid)
            found = &task.sched;
    });
    return *found;
}

int allocate_pid_locked() { return g_next_pid++; }

int last_allocated_pid() {
    sched::SchedulerLockGuard guard;
    return g_next_pid - 1;
}

sched::CpuTime process_cpu_time_locked(Process& process) {
    sched::CpuTime time = process.exited_time;
    process.tasks.for_each([&](Task& task) {
        if (task.thread)  // spawn(): not yet, for a moment
            time += sched::thread_cpu_time(*task.thread);
    });
    return time;
}

ErrorOr<sched::CpuTime> cpu_time_of(CpuClockOf kind, int id) {
    Task& self = *current_task();
    sched::SchedulerLockGuard guard;
    if (kind == CpuClockOf::Thread) {
        Task* task = id == 0 ? &self : find_task_locked(id);
        if (!task || task->process != self.process || !task->thread)
            return Error::Invalid;
        return sched::thread_cpu_time(*task->thread);
    }
    // A process clock names a thread group by its leader's ID only (Linux's
    // pid_for_clock): another thread's TID is EINVAL.
    Process* process = id == 0 ? self.process : find_process_locked(id);
    if (!process)
        return Error::Invalid;
    return process_cpu_time_locked(*process);
}

void register_process_locked(Process& process) {
    g_processes.push_back(process);
    ++g_stats.live;
}

void unregister_process_locked(Process& process) {
    g_processes.remove(process);
    --g_stats.live;
}

ErrorOr<Process*> allocate_process(Process* parent) {
    free_orphan_zombies();
    auto* memory = mm::kzalloc(sizeof(Process));
    if (!memory)
        return Error::NoMemory;
    auto* process = new (memory) Process {};
    process->umask = 022;
    process->dumpable = true;
    process->limits = ResourceLimits::defaults();
    process->exit_signal = abi::k_sigchld;
    process->start_ns = arch::monotonic_ns();
    if (parent) {
        // The parent is the caller (fork): its ProgramInfo cannot change now.
        auto exe_path = parent->program.exe_path.try_clone();
        auto interpreter_path = parent->program.interpreter_path.try_clone();
        if (exe_path.is_error() || interpreter_path.is_error()) {
            process->~Process();
            mm::kfree(process);
            return Error::NoMemory;
        }
        process->program.arg_start = parent->program.arg_start;
        process->program.arg_end = parent->program.arg_end;
        process->program.env_start = parent->program.env_start;
        process->program.env_end = parent->program.env_end;
        process->program.start_stack = parent->program.start_stack;
        process->program.exe_path = std::move(exe_path.value());
        process->program.interpreter_path = std::move(interpreter_path.value());
        process->program.interpreter_file = parent->program.interpreter_file;
        __builtin_memcpy(process->name, parent->name, sizeof(process->name));
        process->cwd = parent->cwd;
        process->umask = parent->umask;
        set_credentials(*process, credentials_of(*parent));
        process->no_new_privs = __atomic_load_n(&parent->no_new_privs, __ATOMIC_RELAXED);
        process->dumpable = __atomic_load_n(&parent->dumpable, __ATOMIC_RELAXED);
        {
            fs::VfsLockGuard guard;  // a thread of the parent may chroot meanwhile
            process->root = parent->root;
        }
        for (unsigned resource = 0; resource < abi::k_rlim_nlimits; ++resource)
            process->limits.values[resource] = resource_limit(*parent, resource);
        process->pgid = parent->pgid;
        process->sid = parent->sid;
        process->sigreturn_trampoline = parent->sigreturn_trampoline;
        __builtin_memcpy(process->actions, parent->actions, sizeof(process->actions));
    } else {
        process->cwd = fs::root_directory();
    }
    return process;
}

ErrorOr<Task*> allocate_task(Process& process) {
    // Threads that exited are freed by the idle thread, which a busy system
    // may not run for a long time: free them here, before making more.
    sched::reap_dead_threads();
    auto* memory = mm::kzalloc(sizeof(Task));
    if (!memory)
        return Error::NoMemory;
    auto* task = new (memory) Task {};
    task->process = &process;
    task->altstack.flags = abi::k_ss_disable;
    uint64_t limit = task_limit();
    sched::SchedulerLockGuard guard;
    if (g_stats.tasks >= limit) {
        task->~Task();
        mm::kfree(task);
        return Error::TryAgain;
    }
    ++g_stats.tasks;
    return task;
}

ErrorOr<void> check_user_task_limit(const Process& creator) {
    Credentials credentials = credentials_of(creator);
    if (credentials.uid == 0 || credentials.capable(Capability::SysResource) ||
        credentials.capable(Capability::SysAdmin))
        return {};
    uint64_t limit = soft_limit(creator, abi::k_rlimit_nproc);
    if (limit == abi::k_rlim_infinity)
        return {};
    uint64_t tasks = 0;
    sched::SchedulerLockGuard guard;
    g_processes.for_each([&](Process& process) {
        if (credentials_of(process).uid == credentials.uid)
            tasks += process.state == ProcessState::Zombie ? 1 : process.live_tasks;
    });
    if (tasks >= limit)
        return Error::TryAgain;
    return {};
}

void free_task(Task* task) {
    task->~Task();
    mm::kfree(task);
    sched::SchedulerLockGuard guard;
    --g_stats.tasks;
}

ErrorOr<void> start_task(Task& task, const arch::TrapFrame& frame, uint64_t tpidr_el0, const sched::FpState* fp) {
    task.start_frame = frame;
    sched::PreemptionDisabled no_preemption;  // the thread must not run before it is bound
    auto thread = TRY(sched::spawn(task.process->name, task_main, &task));
    if (sched::enable_fp_state(thread).is_error()) {
        sched::detach(thread);  // it has not run yet; unbound, it exits at once (task_main)
        return Error::NoMemory;
    }
    if (fp)
        *thread->fp_state = *fp;
    {
        sched::SchedulerLockGuard guard;
        bind_thread(thread, &task);
        thread->tpidr_el0 = tpidr_el0;
        thread->tagged_user_addresses = sched::current_thread()->tagged_user_addresses;  // clone, fork
        task.thread = thread;
        // A new process's first task: until now its PID named the
        // process's copy (leader_sched), which setpriority may have changed.
        if (task.tid == task.process->pid)
            task.sched = task.process->leader_sched;
        task.process->tasks.push_back(task);
        ++task.process->live_tasks;
    }
    sched::detach(thread);
    return {};
}

ErrorOr<Process*> spawn(const SpawnRequest& request) {
    auto program = TRY(fs::resolve_path(fs::root_directory(), request.path, true));
    TRY(check_executable(program));
    auto* process = TRY(allocate_process(nullptr));
    auto name = base_name(request.path);
    size_t length = name.size() < Process::k_name_size - 1 ? name.size() : Process::k_name_size - 1;
    __builtin_memcpy(process->name, name.data(), length);
    process->kernel_waiter = true;
    process->is_init = request.as_init;

    auto task = allocate_task(*process);
    auto space = AddressSpace::create();
    auto files = fs::FdTable::create_with_console();
    if (task.is_error() || space.is_error() || files.is_error()) {
        if (!task.is_error())
            free_task(task.value());
        if (!space.is_error())
            AddressSpace::destroy(space.value());
        if (!files.is_error())
            fs::FdTable::destroy(files.value());
        free_reaped_process(process);
        return task.is_error() ? task.error() : Error::NoMemory;
    }
    process->space = space.value();
    process->files = files.value();
    {
        sched::SchedulerLockGuard guard;
        process->pid = allocate_pid_locked();
        process->pgid = process->sid = process->pid;
        task.value()->tid = process->pid;
        process->tasks.push_back(*task.value());
        process->live_tasks = 1;
        register_process_locked(*process);
    }

    LaunchJob job { process, task.value(), program, request.argv, request.envp, request.path };
    auto thread = sched::spawn(process->name, launch_main, &job);
    if (thread.is_error()) {
        {
            sched::SchedulerLockGuard guard;
            process->tasks.remove(*task.value());
            process->live_tasks = 0;
            process->state = ProcessState::Zombie;
        }
        free_task(task.value());
        (void)wait_and_reap(process);
        return Error::NoMemory;
    }
    sched::detach(thread.value());
    job.loaded.down();
    if (job.result.is_error()) {
        (void)wait_and_reap(process);
        return job.result.error();
    }
    return process;
}

int wait_and_reap(Process* process) {
    {
        sched::SchedulerLockGuard guard;
        while (process->state != ProcessState::Zombie)
            process->kernel_exit_waiters.wait(guard);
        unregister_process_locked(*process);
    }
    int status = process->wait_status;
    free_reaped_process(process);
    return status;
}

void free_reaped_process(Process* process) {
    {
        ProcessResourcesGuard resources;  // a /proc reader may still hold the record
        if (process->files)
            fs::FdTable::destroy(process->files);
        if (process->space && !process->space_borrowed)
            AddressSpace::destroy(process->space);
        process->~Process();
        mm::kfree(process);
    }
    // The dead threads' stacks go back now, so callers that compare the
    // PMM before and after a program see every page returned.
    sched::reap_dead_threads();
}

namespace {

// Ends the calling task; the last one also ends the process.
[[noreturn]] void leave(int exit_code_for_group) {
    sched::Thread* self = sched::current_thread();
    Task* task = self->task;
    Process& process = *task->process;
    // As Linux's mm_release: robust futexes first, then the TID word.
    release_robust_futexes(*task, process.space);
    futex_pi_owner_exited(task->tid);
    clear_child_tid(*task, process);
    bool last;
    {
        sched::SchedulerLockGuard guard;
        process.tasks.remove(*task);
        if (task->tid == process.pid)
            process.leader_sched = task->sched;  // the leader's ID still names it (Linux's zombie leader)
        process.exited_time += sched::take_cpu_time();
        last = --process.live_tasks == 0;
        if (process.exec_task)
            process.exec_waiters.wake_all(guard);
        if (last && !process.group_exiting) {
            process.group_exiting = true;
            process.group_exit_status = exit_code_for_group;
        }
    }
    if (last) {
        int status = process.group_exit_status;
        // Programs the kernel started get their end in the log (the test
        // runner and the boot log rely on it); a shell's children do not,
        // as on Linux: their output would be interleaved with the session.
        if (process.quiet_exit || !process.kernel_waiter) {
        } else if (status & 0x7f)
            kprintln("[Process] '{}' (PID {}) killed by {}", process.name, process.pid, signal_name(status & 0x7f));
        else
            kprintln("[Process] '{}' (PID {}) exited with code {}", process.name, process.pid, (status >> 8) & 0xff);
        finish_process(process, self);
    }
    {
        sched::SchedulerLockGuard guard;
        self->process = nullptr;
        self->task = nullptr;
        self->user_ttbr0 = 0;
    }
    arch::switch_user_translation(0);
    free_task(task);
    sched::exit_thread(0);
}

}  // namespace

void exit_group(int wait_status) {
    Process& process = *current_process();
    {
        sched::SchedulerLockGuard guard;
        if (!process.group_exiting) {
            process.group_exiting = true;
            process.group_exit_status = wait_status;
        }
        Task* self = current_task();
        process.tasks.for_each([&](Task& task) {
            if (&task != self)
                sched::interrupt_thread_locked(guard, task.thread);
        });
        process.continue_waiters.wake_all(guard);
    }
    leave(wait_status);
}

void exit_thread(int exit_code) { leave(exit_code << 8); }

void leave_for_exec() { leave(0); }

void kill_current_for_fault(int signal, uint64_t address, uint64_t pc, const char* reason) {
    Process* process = current_process();
    kprintln("[Process] '{}' (PID {}) killed: {} at {:#x} (pc {:#x}, {})", process->name, process->pid,
             signal_name(signal), address, pc, reason);
    kprintln("[Process] memory map of PID {}:", process->pid);
    process->space->print_map();
    exit_group(signal);
}

// --- process groups and sessions ---

ErrorOr<void> set_process_group(int pid, int pgid) {
    if (pgid < 0)
        return Error::Invalid;
    Process& self = *current_process();
    sched::SchedulerLockGuard guard;
    Process* target = pid == 0 ? &self : find_process_locked(pid);
    if (!target || (target != &self && target->parent != &self))
        return Error::NoSuchProcess;
    if (target->sid != self.sid)
        return Error::NotPermitted;
    if (target->sid == target->pid)
        return Error::NotPermitted;  // a session leader keeps its group
    if (pgid == 0)
        pgid = target->pid;
    if (pgid != target->pid) {
        bool exists = false;
        g_processes.for_each([&](Process& process) {
            if (process.pgid == pgid && process.sid == self.sid && process.state != ProcessState::Zombie)
                exists = true;
        });
        if (!exists)
            return Error::NotPermitted;
    }
    target->pgid = pgid;
    return {};
}

ErrorOr<int> process_group_of(int pid) {
    sched::SchedulerLockGuard guard;
    Process* target = pid == 0 ? current_process() : find_process_locked(pid);
    if (!target)
        return Error::NoSuchProcess;
    return target->pgid;
}

ErrorOr<int> session_of(int pid) {
    sched::SchedulerLockGuard guard;
    Process* target = pid == 0 ? current_process() : find_process_locked(pid);
    if (!target)
        return Error::NoSuchProcess;
    return target->sid;
}

ErrorOr<int> create_session() {
    Process& self = *current_process();
    sched::SchedulerLockGuard guard;
    bool leader = false;
    g_processes.for_each([&](Process& process) {
        if (process.pgid == self.pid)
            leader = true;
    });
    if (leader)
        return Error::NotPermitted;
    self.sid = self.pgid = self.pid;
    return self.sid;
}

ErrorOr<void> check_foreground_group(int pgid) {
    Process* self = current_process();
    sched::SchedulerLockGuard guard;
    bool exists = false;
    bool in_session = false;
    g_processes.for_each([&](Process& process) {
        if (process.pgid != pgid || process.state == ProcessState::Zombie)
            return;
        exists = true;
        in_session |= !self || process.sid == self->sid;
    });
    if (!exists)
        return Error::NoSuchProcess;
    return in_session ? ErrorOr<void> {} : ErrorOr<void> { Error::NotPermitted };
}

void free_finished() {
    free_orphan_zombies();
    sched::reap_dead_threads();
}

ProcessStats process_stats() {
    sched::SchedulerLockGuard guard;
    ProcessStats stats = g_stats;
    stats.task_limit = task_limit();
    return stats;
}

uint64_t pid1_user_entry_ns() { return g_pid1_user_entry_ns; }

}  // namespace akuma::proc
