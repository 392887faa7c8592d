#include "kernel/proc/process.h"

#include <new>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/kprint.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/loader.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"

namespace akuma::proc {

namespace {

constinit IntrusiveList<Process, &Process::all_link> g_processes {};
constinit int g_next_pid = 1;
constinit ProcessStats g_stats {};

// Handed from spawn() to the new process's first thread.
struct LaunchJob {
    Process* process;
    fs::InodeRef program;
    std::span<const std::string_view> argv;
    std::span<const std::string_view> envp;
    std::string_view path;
    sched::Semaphore loaded { 0 };
    ErrorOr<void> result { Error::IoError };
};

std::string_view base_name(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

void free_process(Process* process) {
    if (process->files)
        fs::FdTable::destroy(process->files);
    if (process->space)
        AddressSpace::destroy(process->space);
    process->~Process();
    mm::kfree(process);
}

// Releases what a process holds while its thread still runs in the kernel.
void release_resources(Process* process, sched::Thread* thread) {
    if (process->files) {
        fs::FdTable::destroy(process->files);
        process->files = nullptr;
    }
    process->cwd.reset();
    thread->user_ttbr0 = 0;
    arch::switch_user_translation(0);
    if (process->space) {
        AddressSpace::destroy(process->space);
        process->space = nullptr;
    }
}

uint64_t process_main(void* argument) {
    auto* job = static_cast<LaunchJob*>(argument);
    Process* process = job->process;
    sched::Thread* self = sched::current_thread();
    self->process = process;
    self->user_ttbr0 = process->space->ttbr0();
    arch::switch_user_translation(self->user_ttbr0);

    auto image = load_program(*process, job->program, job->path, job->argv, job->envp);
    if (image.is_error() || sched::enable_fp_state(self).is_error()) {
        job->result = image.is_error() ? image.error() : Error::NoMemory;
        self->process = nullptr;
        self->user_ttbr0 = 0;
        arch::switch_user_translation(0);
        job->loaded.up();
        return 0;
    }
    process->state = ProcessState::Running;
    job->result = {};
    auto entry = image.value();
    job->loaded.up();  // the job belongs to spawn() again from here on
    enter_user_mode(entry.entry, entry.stack_pointer, self->stack.top);
}

}  // namespace

ErrorOr<Process*> spawn(const SpawnRequest& request) {
    auto program = TRY(fs::resolve_path(fs::root_directory(), request.path, true));
    TRY(check_executable(program));

    auto* memory = mm::kzalloc(sizeof(Process));
    if (!memory)
        return Error::NoMemory;
    auto* process = new (memory) Process {};
    process->parent_pid = request.parent_pid;
    process->start_ns = arch::monotonic_ns();
    process->umask = 022;
    process->cwd = fs::root_directory();
    auto name = base_name(request.path);
    size_t length = name.size() < Process::k_name_size - 1 ? name.size() : Process::k_name_size - 1;
    __builtin_memcpy(process->name, name.data(), length);

    auto space = AddressSpace::create();
    auto files = fs::FdTable::create_with_console();
    if (space.is_error() || files.is_error()) {
        if (!space.is_error())
            AddressSpace::destroy(space.value());
        if (!files.is_error())
            fs::FdTable::destroy(files.value());
        free_process(process);
        return Error::NoMemory;
    }
    process->space = space.value();
    process->files = files.value();
    {
        sched::SchedulerLockGuard guard;
        process->pid = g_next_pid++;
        g_processes.push_back(*process);
        ++g_stats.live;
    }

    LaunchJob job { process, program, request.argv, request.envp, request.path };
    auto thread = sched::spawn(process->name, process_main, &job);
    if (thread.is_error()) {
        process->state = ProcessState::Zombie;
        (void)wait_and_reap(process);
        return Error::NoMemory;
    }
    process->thread = thread.value();
    job.loaded.down();
    if (job.result.is_error()) {
        process->state = ProcessState::Zombie;
        (void)wait_and_reap(process);
        return job.result.error();
    }
    return process;
}

int wait_and_reap(Process* process) {
    {
        sched::SchedulerLockGuard guard;
        while (process->state != ProcessState::Zombie)
            process->exit_waiters.wait(guard);
        g_processes.remove(*process);
        --g_stats.live;
    }
    if (process->thread)
        (void)sched::join(process->thread);
    int status = process->wait_status;
    free_process(process);
    return status;
}

Process* current_process() {
    auto* thread = sched::current_thread();
    return thread ? thread->process : nullptr;
}

void exit_current(int wait_status) {
    sched::Thread* self = sched::current_thread();
    Process* process = self->process;
    if (wait_status & 0x7f)
        kprintln("[Process] '{}' (PID {}) killed by {}", process->name, process->pid, signal_name(wait_status & 0x7f));
    else
        kprintln("[Process] '{}' (PID {}) exited with code {}", process->name, process->pid, (wait_status >> 8) & 0xff);
    release_resources(process, self);
    {
        sched::SchedulerLockGuard guard;
        self->process = nullptr;
        process->wait_status = wait_status;
        process->state = ProcessState::Zombie;
        process->exit_waiters.wake_all(guard);
    }
    sched::exit_thread(0);
}

void kill_current_for_fault(int signal, uint64_t address, uint64_t pc, const char* reason) {
    Process* process = current_process();
    kprintln("[Process] '{}' (PID {}) killed: {} at {:#x} (pc {:#x}, {})", process->name, process->pid,
             signal_name(signal), address, pc, reason);
    kprintln("[Process] memory map of PID {}:", process->pid);
    process->space->print_map();
    exit_current(signal);
}

ErrorOr<void> send_signal(int pid, int signal) {
    sched::SchedulerLockGuard guard;  // the target cannot be reaped meanwhile
    Process* target = nullptr;
    g_processes.for_each([&](Process& process) {
        if (process.pid == pid && process.state != ProcessState::Zombie)
            target = &process;
    });
    if (!target)
        return Error::NoSuchProcess;
    if (signal == 0)
        return {};
    return deliver_signal(*target, signal);
}

void send_signal_from_irq(int pid, int signal) { (void)send_signal(pid, signal); }

ProcessStats process_stats() {
    sched::SchedulerLockGuard guard;
    return g_stats;
}

}  // namespace akuma::proc
