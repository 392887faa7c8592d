#include "kernel/fs/procfs/process_files.h"

#include "kernel/arch/aarch64/timer.h"
#include "kernel/drivers/terminal.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/procfs/proc_format.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/process_inspection.h"
#include "kernel/sched/scheduler.h"

namespace akuma::procfs {

namespace {

using proc::Process;

// /dev/console is character device 5:1; stat's tty_nr encodes major:minor
// as Linux's new_encode_dev (minor low byte, major << 8, rest of the minor
// from bit 20).
constexpr uint64_t k_page = mm::k_page_size;
constexpr uint64_t k_sig_ign = 1;  // SIG_IGN; SIG_DFL is 0

// What a generator copied under the scheduler lock, plus the resources the
// process resources lock keeps alive.
struct Snapshot {
    ProcessFigures figures {};
    char comm[Process::k_name_size] {};
    Process* process = nullptr;  // alive while the resources lock is held
    proc::AddressSpace* space = nullptr;
    fs::FdTable* files = nullptr;
};

char state_letter_locked(Process& process) {
    if (process.state == proc::ProcessState::Zombie)
        return 'Z';
    if (process.stopped)
        return 'T';
    char letter = 'S';
    process.tasks.for_each([&](proc::Task& task) {
        if (task.thread && (task.thread->state == sched::ThreadState::Running ||
                            task.thread->state == sched::ThreadState::Runnable))
            letter = 'R';
    });
    return letter;
}

// The leader's task, or any task if the leader thread has left.
proc::Task* main_task_locked(Process& process) {
    proc::Task* found = nullptr;
    process.tasks.for_each([&](proc::Task& task) {
        if (!found || task.tid == process.pid)
            found = &task;
    });
    return found;
}

uint64_t ticks_of(uint64_t counts) { return ns_to_clock_ticks(arch::counts_to_ns(counts)); }

// Caller holds the process resources lock.
ErrorOr<Snapshot> take_snapshot_locked(int pid) {
    Snapshot snap;
    ProcessFigures& f = snap.figures;
    sched::SchedulerLockGuard guard;
    Process* process = proc::find_process_locked(pid);
    if (!process)
        return Error::NotFound;
    snap.process = process;
    snap.space = process->space;
    snap.files = process->files;
    __builtin_memcpy(snap.comm, process->name, sizeof(snap.comm));
    snap.comm[sizeof(snap.comm) - 1] = '\0';
    f.pid = process->pid;
    f.state = state_letter_locked(*process);
    f.ppid = process->parent ? process->parent->pid : 0;
    f.pgrp = process->pgid;
    f.session = process->sid;
    sched::CpuTime own = proc::process_cpu_time_locked(*process);
    f.utime = ticks_of(own.user);
    f.stime = ticks_of(own.system);
    f.cutime = ticks_of(process->reaped_children_time.user);
    f.cstime = ticks_of(process->reaped_children_time.system);
    f.num_threads = process->state == proc::ProcessState::Zombie ? 1 : process->live_tasks;
    f.start_time = ns_to_clock_ticks(process->start_ns);
    f.exit_signal = process->exit_signal;
    f.exit_code = process->state == proc::ProcessState::Zombie ? process->wait_status : 0;
    f.umask = process->umask;
    f.credentials = proc::credentials_of(*process);
    f.no_new_privs = __atomic_load_n(&process->no_new_privs, __ATOMIC_RELAXED);
    f.fd_slots = snap.files ? fs::FdTable::k_max_fds : 0;
    f.pending_shared = process->pending.mask();
    for (unsigned i = 0; i < proc::k_signal_count; ++i) {
        uint64_t handler = process->actions[i].handler;
        if (handler == k_sig_ign)
            f.ignored |= 1ull << i;
        else if (handler != 0)
            f.caught |= 1ull << i;
    }
    const proc::SchedAttributes& leader = proc::leader_sched_attributes_locked(*process);
    f.nice = leader.nice;
    f.policy = leader.policy;
    f.rt_priority = leader.rt_priority;
    if (proc::Task* task = main_task_locked(*process)) {
        f.pending_thread = task->pending.mask();
        f.blocked = task->signal_mask;
        if (task->thread) {
            // Switches in = voluntary + involuntary; only preemptions are
            // not counted per thread, so all of them are shown as voluntary.
            f.voluntary_switches = task->thread->switches_in;
        }
    }
    const proc::ProgramInfo& program = process->program;
    f.arg_start = program.arg_start;
    f.arg_end = program.arg_end;
    f.env_start = program.env_start;
    f.env_end = program.env_end;
    f.start_stack = program.start_stack;
    return snap;
}

// The snapshot and, taken after it (the terminals have their own walk
// under the scheduler lock), the session's controlling terminal.
ErrorOr<Snapshot> take_snapshot(int pid) {
    Snapshot snap = TRY(take_snapshot_locked(pid));
    auto terminal = tty::stat_terminal_of(snap.figures.session);
    snap.figures.tty_nr = terminal.tty_nr;
    snap.figures.tpgid = terminal.foreground_pgid;
    return snap;
}

// The memory figures, from the VMAs (under the space's own mutex).
void add_memory_figures(Snapshot& snap) {
    ProcessFigures& f = snap.figures;
    f.comm = snap.comm;
    if (!snap.space)
        return;
    f.has_memory = true;
    f.rss_pages = snap.space->resident_pages();
    f.peak_rss_pages = snap.space->peak_resident_pages();
    f.start_brk = snap.space->break_start();
    uint64_t data = 0, stack = 0, exe = 0;
    snap.space->for_each_vma_named([&](const mm::Vma& vma, std::string_view file_name) {
        f.vsize += vma.size();
        if (vma.locked)
            f.locked += vma.size();
        bool writable = vma.prot & mm::k_prot_write;
        if (vma.kind == mm::VmaKind::Stack) {
            stack += vma.size();
        } else if (vma.kind == mm::VmaKind::Image && (vma.prot & mm::k_prot_exec)) {
            exe += vma.size();
            if (!f.start_code || vma.start < f.start_code)
                f.start_code = vma.start;
            if (vma.end > f.end_code)
                f.end_code = vma.end;
        } else if (writable && !vma.shared) {
            // Linux's VmData: private writable mappings that are not the stack.
            data += vma.size();
            if (vma.kind == mm::VmaKind::Image) {
                if (!f.start_data || vma.start < f.start_data)
                    f.start_data = vma.start;
                if (vma.end > f.end_data)
                    f.end_data = vma.end;
            }
        }
    });
    f.data_kb = data / 1024;
    f.stack_kb = stack / 1024;
    f.exe_kb = exe / 1024;
}

// Copies [start, end) of the target's memory into `out`, a page at a time;
// stops early at a page that is not there.
ErrorOr<void> copy_user_range(TextBuffer& out, proc::AddressSpace* space, uint64_t start, uint64_t end) {
    if (!space || end <= start)
        return {};
    if (end - start > out.cap())
        end = start + out.cap();
    auto* page = static_cast<uint8_t*>(mm::kmalloc(k_page));
    if (!page)
        return Error::NoMemory;
    for (uint64_t address = start; address < end;) {
        uint64_t chunk = end - address < k_page ? end - address : k_page;
        size_t got = space->read_present(address, { page, chunk });
        out.append_bytes({ page, got });
        if (got < chunk)
            break;
        address += chunk;
    }
    mm::kfree(page);
    return out.status();
}

}  // namespace

ErrorOr<void> write_process_stat(TextBuffer& out, int pid) {
    proc::ProcessResourcesGuard resources;
    Snapshot snap = TRY(take_snapshot(pid));
    add_memory_figures(snap);
    format_process_stat(out, snap.figures);
    return out.status();
}

ErrorOr<void> write_process_statm(TextBuffer& out, int pid) {
    proc::ProcessResourcesGuard resources;
    Snapshot snap = TRY(take_snapshot(pid));
    add_memory_figures(snap);
    const ProcessFigures& f = snap.figures;
    // text: the program's code; data: VmData + VmStk, as Linux.
    format_process_statm(out, f, f.exe_kb * 1024 / k_page, (f.data_kb + f.stack_kb) * 1024 / k_page);
    return out.status();
}

ErrorOr<void> write_process_status(TextBuffer& out, int pid) {
    proc::ProcessResourcesGuard resources;
    Snapshot snap = TRY(take_snapshot(pid));
    add_memory_figures(snap);
    format_process_status(out, snap.figures);
    return out.status();
}

ErrorOr<void> write_process_comm(TextBuffer& out, int pid) {
    proc::ProcessResourcesGuard resources;
    Snapshot snap = TRY(take_snapshot(pid));
    out.format("{}\n", snap.comm);
    return out.status();
}

// Linux's cmdline has a special case for programs that rewrote their
// arguments past arg_end (setproctitle); Akuma shows [arg_start, arg_end)
// as it is.
ErrorOr<void> write_process_cmdline(TextBuffer& out, int pid) {
    proc::ProcessResourcesGuard resources;
    Snapshot snap = TRY(take_snapshot(pid));
    return copy_user_range(out, snap.space, snap.figures.arg_start, snap.figures.arg_end);
}

ErrorOr<void> write_process_environ(TextBuffer& out, int pid) {
    proc::ProcessResourcesGuard resources;
    Snapshot snap = TRY(take_snapshot(pid));
    return copy_user_range(out, snap.space, snap.figures.env_start, snap.figures.env_end);
}

ErrorOr<void> write_process_maps(TextBuffer& out, int pid) {
    proc::ProcessResourcesGuard resources;
    Snapshot snap = TRY(take_snapshot(pid));
    if (!snap.space)
        return {};
    // Read under the resources lock: execve replaces it only under that lock.
    std::string_view exe = snap.process->program.exe_path.view();
    std::string_view interpreter = snap.process->program.interpreter_path.view();
    const void* interpreter_file = snap.process->program.interpreter_file;
    uint64_t trampoline_page = snap.process->sigreturn_trampoline & ~(k_page - 1);
    snap.space->for_each_vma_named([&](const mm::Vma& vma, std::string_view file_name) {
        MapsLine line {};
        line.start = vma.start;
        line.end = vma.end;
        line.prot = vma.prot;
        line.shared = vma.shared;
        bool file_backed = (vma.kind == mm::VmaKind::File || vma.kind == mm::VmaKind::Image) && vma.file;
        if (file_backed) {
            line.offset = vma.file_offset;
            line.dev_minor = 1;  // the ramfs's st_dev (stat(2) reports 0:1)
            line.inode = static_cast<const fs::Inode*>(vma.file)->ino();  // pinned while mapped
        }
        if (vma.kind == mm::VmaKind::Image)
            line.name = interpreter_file && vma.file == interpreter_file ? interpreter : exe;
        else if (vma.kind == mm::VmaKind::Heap)
            line.name = "[heap]";
        else if (vma.kind == mm::VmaKind::Stack)
            line.name = "[stack]";
        else if (trampoline_page && vma.start == trampoline_page && vma.size() == k_page)
            line.name = "[sigpage]";  // the sigreturn trampoline: Linux's name on 32-bit ARM
        else if (file_backed)
            line.name = file_name;  // the path it was mapped by (as /proc/PID/fd names it)
        format_maps_line(out, line);
    });
    return out.status();
}

ErrorOr<void> list_process_ids(Vector<int, mm::HeapAllocator>& pids) {
    pids.clear();
    // Never allocate under the scheduler lock: size it first, and try again
    // if processes came meanwhile.
    for (;;) {
        size_t count;
        {
            sched::SchedulerLockGuard guard;
            count = proc::all_processes_locked().size();
        }
        TRY(pids.try_reserve(count + 8));
        bool fits = true;
        {
            sched::SchedulerLockGuard guard;
            if (proc::all_processes_locked().size() > pids.capacity()) {
                fits = false;
            } else {
                proc::all_processes_locked().for_each([&](Process& process) {
                    (void)pids.try_append(process.pid);  // within the capacity: cannot fail
                });
            }
        }
        if (fits)
            break;
    }
    // PIDs are registered in increasing order, so this insertion sort is
    // linear in practice.
    for (size_t i = 1; i < pids.size(); ++i) {
        int pid = pids[i];
        size_t j = i;
        for (; j > 0 && pids[j - 1] > pid; --j)
            pids[j] = pids[j - 1];
        pids[j] = pid;
    }
    return {};
}

bool process_exists(int pid) {
    sched::SchedulerLockGuard guard;
    return proc::find_process_locked(pid) != nullptr;
}

ErrorOr<size_t> process_exe_path(int pid, std::span<char> buffer) {
    proc::ProcessResourcesGuard resources;
    Snapshot snap = TRY(take_snapshot(pid));
    if (!snap.space)
        return Error::NotFound;
    std::string_view path = snap.process->program.exe_path.view();
    size_t length = path.size() < buffer.size() ? path.size() : buffer.size();
    __builtin_memcpy(buffer.data(), path.data(), length);
    return length;
}

ErrorOr<fs::InodeRef> process_cwd(int pid) {
    proc::ProcessResourcesGuard resources;
    Snapshot snap = TRY(take_snapshot(pid));
    // Reset only under the resources lock (finish_process). chdir(2)
    // assigns it without that lock: see the report on this branch.
    fs::InodeRef cwd = snap.process->cwd;
    if (!cwd)
        return Error::NotFound;
    return cwd;
}

ErrorOr<void> process_open_fds(int pid, Vector<int, mm::HeapAllocator>& fds) {
    fds.clear();
    proc::ProcessResourcesGuard resources;
    Snapshot snap = TRY(take_snapshot(pid));
    if (!snap.files)
        return Error::NotFound;
    // Counted first, then filled: no allocation under the table's lock.
    size_t count = 0;
    snap.files->for_each_open([&](int) { ++count; });
    TRY(fds.try_reserve(count + 16));
    snap.files->for_each_open([&](int fd) {
        if (fds.size() < count + 16)
            (void)fds.try_append(fd);  // reserved: cannot fail
    });
    return {};
}

ErrorOr<fs::File*> process_open_file(int pid, int fd) {
    proc::ProcessResourcesGuard resources;
    Snapshot snap = TRY(take_snapshot(pid));
    if (!snap.files)
        return Error::NotFound;
    auto file = snap.files->get(fd);
    if (file.is_error())
        return Error::NotFound;
    return file.value();
}

}  // namespace akuma::procfs
