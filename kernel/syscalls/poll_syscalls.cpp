// ppoll and pselect6 (glibc's poll and select): the readiness of
// descriptors (File::poll_events), waiting on the poll queues of the files
// watched (poll_queue.h) until one of them changes, the timeout passes or a
// signal arrives.
#include <new>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/time_helpers.h"
#include "kernel/syscalls/wait_helpers.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

bool signal_pending() { return sched::current_thread()->signal_pending; }

// The files one poll/select call watches, each hooked onto its own poll
// queue (poll_queue.h) for the duration of the call, so a change wakes this
// thread only if it concerns one of them. Slot i is the i-th watched
// descriptor; if the descriptor comes to name another file meanwhile (closed
// and reopened), the slot moves to the new file.
class PollRegistrations {
public:
    explicit PollRegistrations(size_t slots) : m_slots(new (std::nothrow) Slot[slots ? slots : 1]), m_count(slots) {}
    ~PollRegistrations() {
        if (!m_slots)
            return;
        {
            sched::SchedulerLockGuard guard;
            for (size_t i = 0; i < m_count; ++i)
                unhook_locked(guard, m_slots[i]);
        }
        for (size_t i = 0; i < m_count; ++i) {
            if (m_slots[i].file)
                fs::release(m_slots[i].file);
        }
        delete[] m_slots;
    }
    bool valid() const { return m_slots != nullptr; }

    // The events of the file descriptor `fd` names now (nullopt if none is
    // open, or O_PATH: Linux's fdget() refuses those), hooked first so no
    // change after the reading goes unnoticed.
    std::optional<uint16_t> events(size_t slot, int fd) {
        auto file = FileRef::from_fd(fd);
        if (file.is_error() || file.value()->is_path())
            return std::nullopt;
        fs::File& current_file = *file.value();
        Slot& entry = m_slots[slot];
        if (entry.file != &current_file) {
            fs::File* previous = entry.file;
            fs::retain(&current_file);
            {
                sched::SchedulerLockGuard guard;
                unhook_locked(guard, entry);
                entry.file = &current_file;
                entry.hook.waiter = &m_waiter;
                entry.hook.queue = current_file.poll_queue();
                if (entry.hook.queue)
                    entry.hook.queue->add(guard, entry.hook);
            }
            if (previous)
                fs::release(previous);
        }
        return current_file.poll_events();
    }

    // Before a scan: forget earlier notifications.
    void start_scan() {
        sched::SchedulerLockGuard guard;
        m_waiter.reset_locked();
    }
    sched::WaitResult wait(uint64_t deadline_ns) {
        sched::SchedulerLockGuard guard;
        return m_waiter.wait_locked(guard, deadline_ns);
    }

private:
    struct Slot {
        fs::PollWaiter::Hook hook;
        fs::File* file { nullptr };
    };
    static void unhook_locked(sched::SchedulerLockGuard& guard, Slot& slot) {
        if (slot.hook.queue)
            slot.hook.queue->remove(guard, slot.hook);
        slot.hook.queue = nullptr;
    }

    fs::PollWaiter m_waiter;
    Slot* m_slots;
    size_t m_count;
};

// Calls `scan` (which returns how many are ready) until it finds something,
// the timeout passes (0) or a signal is pending (Interrupted), sleeping
// until one of the watched files changes in between. Like Linux's do_poll,
// a ready descriptor wins over a pending signal, and a signal over a
// timeout.
template <typename Scan>
ErrorOr<int64_t> wait_until_ready(PollRegistrations& registrations, const Timeout& timeout, Scan&& scan) {
    bool timed_out = timeout.zero;
    for (;;) {
        registrations.start_scan();
        int64_t ready = scan();
        if (ready > 0)
            return ready;
        if (signal_pending())
            return Error::Interrupted;
        if (timed_out)
            return int64_t { 0 };
        if (registrations.wait(timeout.deadline_ns) == sched::WaitResult::TimedOut)
            timed_out = true;
    }
}

int16_t poll_one(PollRegistrations& registrations, size_t slot, const abi::PollFd& poll_fd) {
    if (poll_fd.fd < 0)
        return 0;
    auto events = registrations.events(slot, poll_fd.fd);
    if (!events)
        return abi::k_pollnval;
    uint16_t wanted = static_cast<uint16_t>(poll_fd.events) | abi::k_pollerr | abi::k_pollhup;
    return static_cast<int16_t>(*events & wanted);
}

ErrorOr<int64_t> ppoll(const SyscallArgs& args) {
    auto timeout_pointer = args.ptr<const abi::Timespec>(2);
    Timeout timeout = TRY(read_timeout(timeout_pointer));
    TRY(apply_signal_mask(args.ptr<const abi::Sigset>(3), args.a[4]));
    uint64_t count = args.a[1];
    if (count > static_cast<uint64_t>(current().files->limit()))  // RLIMIT_NOFILE, as Linux
        return Error::Invalid;
    size_t bytes = count * sizeof(abi::PollFd);
    auto* fds = static_cast<abi::PollFd*>(mm::kmalloc(count ? bytes : 1));
    if (!fds)
        return Error::NoMemory;
    if (mm::copy_from_user(fds, args.ptr<const void>(0), bytes).is_error()) {
        mm::kfree(fds);
        return Error::Fault;
    }
    PollRegistrations registrations(count);
    if (!registrations.valid()) {
        mm::kfree(fds);
        return Error::NoMemory;
    }
    auto result = wait_until_ready(registrations, timeout, [&] {
        int64_t ready = 0;
        for (uint64_t i = 0; i < count; ++i) {
            fds[i].revents = poll_one(registrations, i, fds[i]);
            ready += fds[i].revents ? 1 : 0;
        }
        return ready;
    });
    // revents go back even when interrupted, as on Linux.
    bool fault = mm::copy_to_user(args.ptr<void>(0), fds, bytes).is_error();
    mm::kfree(fds);
    write_time_left(timeout_pointer, timeout);
    if (fault)
        return Error::Fault;
    return result;
}

// select's fd_set: FD_SETSIZE (1024) bits in 64-bit words.
constexpr size_t k_set_words = fs::FdTable::k_max_fds / 64;
struct FdSet {
    uint64_t words[k_set_words];
    bool has(int fd) const { return words[fd / 64] & (uint64_t { 1 } << (fd % 64)); }
    void add(int fd) { words[fd / 64] |= uint64_t { 1 } << (fd % 64); }
};

// pselect6's sixth argument.
struct SigsetArgument {
    uint64_t set;   // const sigset_t*
    uint64_t size;
};

constexpr uint16_t k_select_in = abi::k_pollin | abi::k_pollrdnorm | abi::k_pollrdband | abi::k_pollhup | abi::k_pollerr;
constexpr uint16_t k_select_out = abi::k_pollout | abi::k_pollwrnorm | abi::k_pollwrband | abi::k_pollerr;
constexpr uint16_t k_select_except = abi::k_pollpri;

ErrorOr<int64_t> pselect6(const SyscallArgs& args) {
    auto timeout_pointer = args.ptr<const abi::Timespec>(4);
    Timeout timeout = TRY(read_timeout(timeout_pointer));
    if (args.a[5] != 0) {
        auto sigset = TRY(mm::read_user(args.ptr<const SigsetArgument>(5)));
        TRY(apply_signal_mask(mm::UserPtr<const abi::Sigset>(sigset.set), sigset.size));
    }
    int nfds = static_cast<int>(args.a[0]);
    if (nfds < 0)
        return Error::Invalid;
    // Linux reads no further than its descriptor table goes.
    int count = nfds < fs::FdTable::k_max_fds ? nfds : fs::FdTable::k_max_fds;
    size_t bytes = (static_cast<size_t>(count) + 63) / 64 * sizeof(uint64_t);
    FdSet wanted[3] {};  // read, write, except
    for (int set = 0; set < 3; ++set) {
        if (args.a[1 + set] != 0)
            TRY(mm::copy_from_user(wanted[set].words, args.ptr<const void>(1 + set), bytes));
    }
    // A descriptor in any set that is not open: EBADF.
    auto watched = [&](int fd) { return wanted[0].has(fd) || wanted[1].has(fd) || wanted[2].has(fd); };
    for (int fd = 0; fd < count; ++fd) {
        if (watched(fd))
            fs::release(TRY(current().files->get(fd)));
    }
    FdSet ready[3] {};
    PollRegistrations registrations(static_cast<size_t>(count));
    if (!registrations.valid())
        return Error::NoMemory;
    auto result = wait_until_ready(registrations, timeout, [&] {
        int64_t total = 0;
        for (auto& set : ready)
            set = {};
        for (int fd = 0; fd < count; ++fd) {
            if (!watched(fd))
                continue;
            // closed meanwhile: never ready
            uint16_t events = registrations.events(static_cast<size_t>(fd), fd).value_or(0);
            constexpr uint16_t k_kinds[3] = { k_select_in, k_select_out, k_select_except };
            for (int set = 0; set < 3; ++set) {
                if (wanted[set].has(fd) && (events & k_kinds[set])) {
                    ready[set].add(fd);
                    ++total;
                }
            }
        }
        return total;
    });
    write_time_left(timeout_pointer, timeout);
    if (result.is_error())
        return result.error();  // the sets are left alone
    for (int set = 0; set < 3; ++set) {
        if (args.a[1 + set] != 0)
            TRY(mm::copy_to_user(args.ptr<void>(1 + set), ready[set].words, bytes));
    }
    return result;
}

}  // namespace

int64_t sys_ppoll(const SyscallArgs& args) { return to_result(ppoll(args)); }
int64_t sys_pselect6(const SyscallArgs& args) { return to_result(pselect6(args)); }

}  // namespace akuma::sys
