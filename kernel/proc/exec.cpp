// execve(2): replace the program of the current process.
//
// The new image is loaded into a fresh address space while the old one is
// kept; only when the load has succeeded is the old one dropped. So every
// failure (missing file, bad ELF, arguments too big, out of memory) returns
// to the caller with its image intact. Scripts starting with "#!" run
// through their interpreter, nested up to four levels as on Linux.
#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/mount_table.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/kprint.h"
#include "kernel/lib/own_ptr.h"
#include "kernel/lib/vector.h"
#include "kernel/proc/loader.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/proc/process_inspection.h"
#include "kernel/proc/robust_futex.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::proc {

namespace abi = linux_abi;

namespace {

constexpr int k_max_interpreter_depth = 4;    // Linux: 4 levels of #! (then ELOOP)
constexpr size_t k_interpreter_line_max = 256;  // Linux BINPRM_BUF_SIZE

struct Interpreter {
    std::string_view path;
    std::string_view argument;  // empty: none
};

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// The "#!interpreter [argument]" line of a script, if `contents` (its
// first bytes, at most k_interpreter_line_max) is one.
ErrorOr<std::optional<Interpreter>> parse_interpreter(std::span<const uint8_t> contents) {
    if (contents.size() < 2 || contents[0] != '#' || contents[1] != '!')
        return std::optional<Interpreter> {};
    std::string_view line(reinterpret_cast<const char*>(contents.data()) + 2, contents.size() - 2);
    if (auto newline = line.find('\n'); newline != std::string_view::npos)
        line = line.substr(0, newline);
    size_t start = 0;
    while (start < line.size() && is_blank(line[start]))
        ++start;
    size_t end = start;
    while (end < line.size() && !is_blank(line[end]))
        ++end;
    if (end == start)
        return Error::BadExecutable;
    Interpreter result { line.substr(start, end - start), {} };
    std::string_view rest = line.substr(end);
    while (!rest.empty() && is_blank(rest.front()))
        rest.remove_prefix(1);
    while (!rest.empty() && (is_blank(rest.back()) || rest.back() == '\r'))
        rest.remove_suffix(1);
    result.argument = rest;
    return std::optional<Interpreter> { result };
}

// Ends every other thread of the process (execve keeps only the caller).
void end_other_threads(Process& process, Task& self) {
    sched::SchedulerLockGuard guard;
    process.exec_task = &self;
    process.tasks.for_each([&](Task& task) {
        if (&task != &self)
            sched::interrupt_thread_locked(guard, task.thread);
    });
    while (process.live_tasks > 1)
        process.exec_waiters.wait(guard);
    process.exec_task = nullptr;
}

// Makes `space` the process's and the current thread's.
void activate_space(Process& process, AddressSpace* space) {
    sched::Thread* self = sched::current_thread();
    sched::SchedulerLockGuard guard;
    process.space = space;
    self->user_ttbr0 = space->ttbr0();
    arch::switch_user_translation(self->user_ttbr0);
}

// Loads `file` into a new address space and makes it the process's. On
// failure the old address space is active again and untouched.
ErrorOr<LoadedImage> load_into_new_space(Process& process, const fs::InodeRef& file, std::string_view path,
                                         std::string_view exe_path,
                                         std::span<const std::string_view> argv,
                                         std::span<const std::string_view> envp, const ExecIdentity& identity,
                                         AddressSpace*& old_space) {
    AddressSpace* fresh = TRY(AddressSpace::create());
    old_space = process.space;
    uint64_t old_trampoline = process.sigreturn_trampoline;
    activate_space(process, fresh);
    auto image = load_program(process, file, path, exe_path, argv, envp, identity);
    if (image.is_error()) {
        activate_space(process, old_space);
        process.sigreturn_trampoline = old_trampoline;
        ProcessResourcesGuard resources;  // a /proc reader may have picked it up
        AddressSpace::destroy(fresh);
        return image.error();
    }
    return image.value();
}

}  // namespace

ErrorOr<void> execve(arch::TrapFrame& frame, fs::InodeRef file, std::string_view path,
                     std::span<const std::string_view> argv, std::span<const std::string_view> envp) {
    Process& process = *current_process();
    Task& task = *current_task();

    // Follow "#!" lines to the executable that really runs. argv becomes:
    // interpreter [argument] script-path original-argv[1..]
    Vector<std::string_view, mm::HeapAllocator> script_argv[2];
    // Copies of the scripts' first bytes, taken under the file system's
    // lock (a script may be rewritten meanwhile): the new argv points into
    // their "#!" lines.
    struct ScriptHeads {
        uint8_t bytes[k_max_interpreter_depth + 1][k_interpreter_line_max];
    };
    auto heads = TRY((OwnPtr<ScriptHeads, mm::HeapAllocator>::try_make()));
    std::span<const std::string_view> arguments = argv;
    std::string_view program_path = path;
    TRY(check_executable(file));
    for (int depth = 0;; ++depth) {
        size_t head_size = TRY(fs::read_for_exec(file, heads->bytes[depth]));
        auto interpreter = TRY(parse_interpreter({ heads->bytes[depth], head_size }));
        if (!interpreter)
            break;
        if (depth == k_max_interpreter_depth)
            return Error::SymlinkLoop;  // ELOOP, as Linux
        auto& rebuilt = script_argv[depth % 2];  // the other one still backs `arguments`
        rebuilt.clear();
        TRY(rebuilt.try_append(interpreter->path));
        if (!interpreter->argument.empty())
            TRY(rebuilt.try_append(interpreter->argument));
        TRY(rebuilt.try_append(program_path));
        for (size_t i = 1; i < arguments.size(); ++i)
            TRY(rebuilt.try_append(arguments[i]));
        arguments = { rebuilt.data(), rebuilt.size() };
        program_path = interpreter->path;
        file = TRY(fs::resolve_path(process.cwd, program_path, true));
        TRY(check_executable(file));
    }

    if (process.live_tasks > 1)
        end_other_threads(process, task);

    // Who the new program runs as: the file's set-ID bits (of the file that
    // really runs: a script's are ignored, as on Linux) and the mount.
    Credentials next = current_credentials();
    auto file_stat = fs::stat(file);
    bool on_nosuid_mount = fs::mount_flags(file) & fs::k_mount_no_suid;
    bool secure = apply_exec(next, { file_stat.mode, file_stat.uid, file_stat.gid, on_nosuid_mount },
                             process.no_new_privs);
    ExecIdentity identity { next.uid, next.euid, next.gid, next.egid, secure };

    AddressSpace* old_space = nullptr;
    auto image = TRY(load_into_new_space(process, file, path, program_path, arguments, envp, identity, old_space));

    // Past this point the new program runs. As Linux's exec_mm_release,
    // the robust futexes this thread holds are released in the old image
    // first (other processes may share them), back in it for the walk.
    if (task.robust_list) {
        AddressSpace* fresh = process.space;
        activate_space(process, old_space);
        release_robust_futexes(task, old_space);
        activate_space(process, fresh);
    }
    // Drop the old image.
    bool borrowed = process.space_borrowed;
    process.space_borrowed = false;
    if (!borrowed) {
        ProcessResourcesGuard resources;  // a /proc reader may still be looking at it
        AddressSpace::destroy(old_space);
    }
    if (process.files)
        process.files->close_on_exec_all();
    delete_all_posix_timers(process);  // as Linux's exit_itimers (ITIMER_REAL stays)
    // The other threads are gone: nobody changed the credentials meanwhile.
    bool identity_changed = changes_dumpability(credentials_of(process), next);
    __atomic_store_n(&process.dumpable, !identity_changed, __ATOMIC_RELAXED);
    set_credentials(process, std::move(next));
    auto name = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
    size_t length = name.size() < Process::k_name_size - 1 ? name.size() : Process::k_name_size - 1;
    __builtin_memset(process.name, 0, sizeof(process.name));
    __builtin_memcpy(process.name, name.data(), length);
    {
        sched::SchedulerLockGuard guard;
        // Handlers do not survive (their code is gone); ignored signals and
        // the mask do, as POSIX says.
        for (auto& action : process.actions) {
            if (action.handler != abi::k_sig_ign)
                action = {};
            else
                action.flags = action.mask = action.restorer = 0;
        }
        task.altstack = { 0, 0, abi::k_ss_disable };
        task.clear_child_tid = 0;
        task.robust_list = 0;
        task.thread->tagged_user_addresses = false;
        if (secure || identity_changed)
            __atomic_store_n(&task.parent_death_signal, 0, __ATOMIC_RELAXED);  // as Linux's begin_new_exec
        task.tid = process.pid;  // an exec'ing thread takes over the thread-group ID
        task.syscall_interrupted = false;
    }
    if (process.vfork_done) {  // the parent gets its memory back
        process.vfork_done->up();
        process.vfork_done = nullptr;
    }
    // Start with every register zero, like a fresh process.
    static const sched::FpState k_zero_fp {};
    fp_state_restore(&k_zero_fp);
    arch::write_tpidr_el0(0);
    frame = {};
    frame.elr = image.entry;
    frame.sp = image.stack_pointer;
    frame.spsr = 0;  // EL0t, interrupts unmasked
    return {};
}

}  // namespace akuma::proc
