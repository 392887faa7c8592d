#include "kernel/proc/program_runner.h"

#include "kernel/drivers/console_tty.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/kprint.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/net/inet_socket.h"
#include "kernel/net/stack.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::proc {

namespace {

constexpr size_t k_max_words = 64;
constexpr std::string_view k_default_environment[] = { "PATH=/bin:/usr/bin:/sbin:/usr/sbin", "HOME=/", "TERM=vt100" };

// A whole small file of the root file system, read into the kernel heap.
struct FileText {
    char* data { nullptr };
    size_t size { 0 };
    ~FileText() { mm::kfree(data); }
};

ErrorOr<void> read_file(std::string_view path, FileText& text) {
    auto file = TRY(fs::open_path(fs::root_directory(), path, linux_abi::k_o_rdonly, 0, 0));
    auto stat = file->stat();
    if (stat.is_error() || stat.value().size > (1u << 20)) {
        fs::release(file);
        return Error::FileTooBig;
    }
    text.size = stat.value().size;
    text.data = static_cast<char*>(mm::kmalloc(text.size + 1));
    if (!text.data) {
        fs::release(file);
        return Error::NoMemory;
    }
    auto read = fs::read(*file, { reinterpret_cast<uint8_t*>(text.data), text.size });
    fs::release(file);
    TRY(read);
    text.data[text.size] = '\0';
    return {};
}

// Runs one program to completion; returns its wait status, or the spawn error.
ErrorOr<int> run(std::string_view path, std::span<const std::string_view> argv,
                 std::span<const std::string_view> envp, bool as_init = false) {
    Process* process = TRY(spawn({ path, argv, envp, as_init }));
    console::tty_set_foreground(process->pid);
    int status = wait_and_reap(process);
    console::tty_set_foreground(0);
    return status;
}

bool status_matches(int status, std::string_view expected) {
    if (expected.empty())
        return status == 0;
    if (expected.starts_with("SIG")) {
        return (status & 0x7f) != 0 && expected == signal_name(status & 0x7f);
    }
    int code = 0;
    for (char c : expected)
        code = code * 10 + (c - '0');
    return (status & 0x7f) == 0 && ((status >> 8) & 0xff) == code;
}

// Words are separated by blanks; "a quoted word" may contain blanks.
std::string_view next_word(std::string_view& line) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
        line = {};
        return {};
    }
    line.remove_prefix(start);
    if (line[0] == '"') {
        size_t close = line.find('"', 1);
        auto word = line.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
        line.remove_prefix(close == std::string_view::npos ? line.size() : close + 1);
        return word;
    }
    size_t end = line.find_first_of(" \t");
    auto word = line.substr(0, end);
    line.remove_prefix(end == std::string_view::npos ? line.size() : end);
    return word;
}

// The PMM free count once everything the programs left behind is freed.
// A task's kernel thread finishes exiting a little after its process was
// reaped (it may be preempted on its way out), and the idle thread frees
// it: wait, briefly, until the kernel has no more threads than it had
// before the programs ran. The page cache's clean pages (copies of initrd
// programs the runs mapped) are kernel caches, not user memory: they are
// reclaimed first, as memory pressure would.
uint64_t free_pages_settled(uint64_t threads_before) {
    for (int tries = 0; tries < 1000; ++tries) {
        free_finished();
        if (sched::scheduler_stats().threads_alive <= threads_before)
            break;
        sched::sleep_ns(1'000'000);
    }
    // Caches are not leaks: the names first (they hold inodes), then the
    // pages and blocks of files; nor are closed TCP connections waiting
    // out TIME_WAIT.
    net::stack_forget_time_wait();
    net::release_datagram_cache();
    fs::drop_lookup_cache();
    (void)fs::reclaim_page_cache();
    mm::heap_release_cached_memory();
    return mm::pmm_stats().free_pages;
}

}  // namespace

int shell_status(int wait_status) {
    if (wait_status & 0x7f)
        return 128 + (wait_status & 0x7f);
    return (wait_status >> 8) & 0xff;
}

unsigned run_program_list(std::string_view list_path) {
    FileText text;
    if (auto result = read_file(list_path, text); result.is_error()) {
        kprintln("[Test] cannot read the program list {}: {}", list_path, error_name(result.error()));
        return 1;
    }
    unsigned failed = 0;
    unsigned run_count = 0;
    uint64_t threads_before = sched::scheduler_stats().threads_alive;
    uint64_t free_before = free_pages_settled(threads_before);
    std::string_view rest { text.data, text.size };
    while (!rest.empty()) {
        size_t newline = rest.find('\n');
        std::string_view line = rest.substr(0, newline);
        rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
        if (auto hash = line.find('#'); hash != std::string_view::npos)
            line = line.substr(0, hash);
        std::string_view label = next_word(line);
        if (label.empty())
            continue;
        std::string_view expected;
        std::string_view environment[k_max_words];
        std::string_view argv[k_max_words];
        size_t env_count = 0, arg_count = 0;
        for (auto value : k_default_environment)
            environment[env_count++] = value;
        for (auto word = next_word(line); !word.empty(); word = next_word(line)) {
            if (arg_count == 0 && word.starts_with("expect="))
                expected = word.substr(7);
            else if (arg_count == 0 && word.find('=') != std::string_view::npos && env_count < k_max_words)
                environment[env_count++] = word;
            else if (arg_count < k_max_words)
                argv[arg_count++] = word;
        }
        ++run_count;
        if (arg_count == 0) {
            kprintln("[Test] {} FAILED (no program given)", label);
            ++failed;
            continue;
        }
        auto status = run(argv[0], { argv, arg_count }, { environment, env_count });
        // expect=E<NAME>: the program must be refused with that error.
        bool passed = status.is_error() ? expected == error_name(status.error())
                                        : status_matches(status.value(), expected);
        if (status.is_error())
            kprintln("[Test] {}: cannot start {}: {}", label, argv[0], error_name(status.error()));
        kprintln("[Test] {} {}", label, passed ? "PASSED" : "FAILED");
        failed += passed ? 0 : 1;
    }
    if (uint64_t entered = pid1_user_entry_ns())
        kprintln("[Boot] PID 1 entered user mode at {} ns of virtual time", entered);
    uint64_t free_after = free_pages_settled(threads_before);
    bool returned = free_after == free_before;
    kprintln("[Test] {} programs run; PMM free pages before {}, after {}: user memory {}", run_count, free_before,
             free_after, returned ? "fully returned - PASSED" : "NOT returned - FAILED");
    return failed + (returned ? 0 : 1);
}

int run_console_program(std::string_view command) {
    std::string_view argv[k_max_words];
    size_t count = 0;
    for (auto word = next_word(command); !word.empty() && count < k_max_words; word = next_word(command))
        argv[count++] = word;
    if (count == 0)
        return 127;
    auto status = run(argv[0], { argv, count }, k_default_environment, true);
    if (status.is_error()) {
        kprintln("[Init] cannot run {}: {}", argv[0], error_name(status.error()));
        return status.error() == Error::NotFound ? 127 : 126;
    }
    return shell_status(status.value());
}

int run_exec_spec(std::string_view spec_path) {
    FileText text;
    if (auto result = read_file(spec_path, text); result.is_error()) {
        kprintln("[Exec] cannot read {}: {}", spec_path, error_name(result.error()));
        return 127;
    }
    Vector<std::string_view, mm::HeapAllocator> argv, envp;
    bool in_environment = false;
    for (size_t start = 0; start < text.size;) {
        size_t end = start;
        while (end < text.size && text.data[end])
            ++end;
        std::string_view word { text.data + start, end - start };
        start = end + 1;
        if (word.empty() && !in_environment) {
            in_environment = true;
            continue;
        }
        if ((in_environment ? envp : argv).try_append(std::move(word)).is_error())
            return 126;
    }
    if (argv.is_empty())
        return 127;
    auto status = run(argv[0], argv.span(), envp.span());
    if (status.is_error()) {
        kprintln("[Exec] cannot run {}: {}", argv[0], error_name(status.error()));
        return status.error() == Error::NotFound ? 127 : 126;
    }
    return shell_status(status.value());
}

}  // namespace akuma::proc
