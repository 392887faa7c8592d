#include "kernel/drivers/pty.h"

#include <new>

#include "kernel/drivers/terminal_file.h"
#include "kernel/fs/char_devices.h"
#include "kernel/fs/ramfs.h"
#include "kernel/fs/vfs.h"
#include "kernel/fs/vfs_lock.h"
#include "kernel/lib/format.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::tty {

namespace abi = linux_abi;

namespace {

constexpr fs::DeviceNumber k_ptmx_number { 5, 2 };
constexpr uint32_t k_slave_major = 136;
constexpr size_t k_max_ptys = 256;
constexpr size_t k_master_buffer = 64 * 1024;
constexpr uint32_t k_tty_gid = 5;
constexpr uint32_t k_tiocgptn = 0x80045430;
constexpr uint32_t k_tiocsptlck = 0x40045431;
constexpr uint32_t k_tiocgptlck = 0x80045439;

// One pair. Its counters and the master's buffer are under the scheduler
// lock; the table of pairs and their devpts nodes under g_table_lock.
struct Pty {
    int index;
    Terminal terminal;
    uint8_t* buffer { nullptr };  // slave output the master has not read
    size_t head { 0 };            // total bytes in / out, modulo nothing
    size_t tail { 0 };
    sched::WaitQueue master_readers;
    sched::WaitQueue master_writers;  // waiting for room in the slave's input
    fs::PollQueue master_poll;
    bool locked { true };
    bool master_open { true };
    bool slave_ever_opened { false };
    int slave_opens { 0 };
    uint32_t references { 1 };  // the master and each slave description

    size_t buffered() const { return head - tail; }
};

constinit sched::Mutex g_table_lock;
constinit Pty* g_ptys[k_max_ptys] {};
constinit fs::Ramfs* g_devpts = nullptr;  // made at its mount, kept

// The devpts root, if it is mounted; its nodes change through the VFS (so
// its lookup cache sees them), with the VFS lock not held.
fs::InodeRef devpts_root() {
    fs::VfsLockGuard guard;
    return g_devpts ? g_devpts->root() : fs::InodeRef {};
}

void pty_output(void* context, std::span<const char> bytes) {  // scheduler lock held
    auto& pty = *static_cast<Pty*>(context);
    for (char c : bytes) {
        if (pty.buffered() == k_master_buffer)
            break;  // echo into a full buffer is dropped; writers wait for room (output_room)
        pty.buffer[pty.head++ % k_master_buffer] = static_cast<uint8_t>(c);
    }
}

size_t pty_output_room(void* context) {
    auto& pty = *static_cast<Pty*>(context);
    return k_master_buffer - pty.buffered();
}

// A new reference to a pair found in the table, unless its last one is
// already being dropped (g_table_lock held: the pair is still in memory).
bool try_reference(Pty* pty) {
    uint32_t seen = __atomic_load_n(&pty->references, __ATOMIC_ACQUIRE);
    while (seen != 0) {
        if (__atomic_compare_exchange_n(&pty->references, &seen, seen + 1, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return true;
    }
    return false;
}

void release_pty(Pty* pty) {
    if (__atomic_sub_fetch(&pty->references, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    pty->terminal.detach();
    {
        sched::MutexGuard guard(g_table_lock);
        if (g_ptys[pty->index] == pty)
            g_ptys[pty->index] = nullptr;
    }
    mm::kfree(pty->buffer);
    delete pty;
}

// Wakes the master's readers and pollers after slave output or echo
// (scheduler lock held).
void master_readable_locked(void* context, sched::SchedulerLockGuard& guard) {
    auto& pty = *static_cast<Pty*>(context);
    if (!pty.buffered())
        return;
    pty.master_readers.wake_all(guard);
    pty.master_poll.notify(guard, abi::k_pollin | abi::k_pollrdnorm);
}

class SlaveFile final : public TerminalFile {
public:
    SlaveFile(Pty& pty, uint32_t flags, fs::InodeRef node)
        : TerminalFile(pty.terminal, flags, std::move(node)), m_pty(pty) {}
    ~SlaveFile() override {
        {
            sched::SchedulerLockGuard guard;
            if (--m_pty.slave_opens == 0) {
                m_pty.master_readers.wake_all(guard);
                m_pty.master_poll.notify(guard);
            }
        }
        release_pty(&m_pty);
    }
    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t offset, bool nonblocking) override {
        auto read = TerminalFile::read_at(buffer, offset, nonblocking);
        sched::SchedulerLockGuard guard;
        m_pty.master_writers.wake_all(guard);  // room in the input
        m_pty.master_poll.notify(guard, abi::k_pollout | abi::k_pollwrnorm);
        return read;
    }
private:
    Pty& m_pty;
};

class MasterFile final : public fs::File {
public:
    bool signals_readiness() const override { return true; }  // O_ASYNC: SIGIO
    MasterFile(Pty& pty, uint32_t flags, fs::InodeRef node) : File(flags, std::move(node)), m_pty(pty) {}
    ~MasterFile() override {
        {
            sched::SchedulerLockGuard guard;
            m_pty.master_open = false;
        }
        m_pty.terminal.hang_up();
        remove_node();
        release_pty(&m_pty);
    }

    bool is_seekable() const override { return false; }
    fs::ReadContinuation read_continuation() const override { return fs::ReadContinuation::TakeBuffered; }

    ErrorOr<size_t> read_at(std::span<uint8_t> out, uint64_t, bool nonblocking) override {
        sched::SchedulerLockGuard guard;
        for (;;) {
            if (size_t available = m_pty.buffered()) {
                size_t count = available < out.size() ? available : out.size();
                for (size_t i = 0; i < count; ++i)
                    out[i] = m_pty.buffer[m_pty.tail++ % k_master_buffer];
                m_pty.terminal.output_drained_locked(guard);
                return count;
            }
            if (m_pty.slave_ever_opened && m_pty.slave_opens == 0)
                return Error::IoError;  // Linux: the other side is closed
            if (nonblocking)
                return Error::TryAgain;
            if (m_pty.master_readers.wait_interruptible(guard) == sched::WaitResult::Interrupted)
                return Error::Interrupted;
        }
    }

    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t&) override {
        size_t done = 0;
        while (done < data.size()) {
            {
                sched::SchedulerLockGuard guard;
                size_t room = m_pty.terminal.input_room_locked();
                if (room == 0) {
                    if (is_nonblocking())
                        return fs::partial(done, Error::TryAgain);
                    if (m_pty.master_writers.wait_interruptible(guard) == sched::WaitResult::Interrupted)
                        return fs::partial(done, Error::Interrupted);
                    continue;
                }
                size_t step = data.size() - done < room ? data.size() - done : room;
                m_pty.terminal.receive_locked(guard, { reinterpret_cast<const char*>(data.data()) + done, step });
                done += step;
            }
            m_pty.terminal.send_pending_signals();
        }
        return done;
    }

    uint16_t poll_events() override {
        sched::SchedulerLockGuard guard;
        uint16_t events = 0;
        if (m_pty.buffered())
            events |= abi::k_pollin | abi::k_pollrdnorm;
        if (m_pty.terminal.input_room_locked())
            events |= abi::k_pollout | abi::k_pollwrnorm;
        if (m_pty.slave_ever_opened && m_pty.slave_opens == 0)
            events |= abi::k_pollhup;
        return events;
    }
    fs::PollQueue* poll_queue() override { return &m_pty.master_poll; }

    ErrorOr<void> ioctl(uint32_t request, uint64_t argument) override {
        switch (request) {
        case k_tiocgptn: return mm::write_user(mm::UserPtr<uint32_t>(argument), static_cast<uint32_t>(m_pty.index));
        case k_tiocsptlck: {
            int lock = TRY(mm::read_user(mm::UserPtr<const int32_t>(argument)));
            sched::SchedulerLockGuard guard;
            m_pty.locked = lock != 0;
            return {};
        }
        case k_tiocgptlck: {
            bool locked;
            {
                sched::SchedulerLockGuard guard;
                locked = m_pty.locked;
            }
            return mm::write_user(mm::UserPtr<int32_t>(argument), locked ? 1 : 0);
        }
        case abi::k_fionread: {
            size_t buffered;
            {
                sched::SchedulerLockGuard guard;
                buffered = m_pty.buffered();
            }
            return mm::write_user(mm::UserPtr<int32_t>(argument), static_cast<int32_t>(buffered));
        }
        case abi::k_tcgets:
        case abi::k_tcsets:
        case abi::k_tcsetsw:
        case abi::k_tcsetsf:
        case abi::k_tiocgwinsz:
        case abi::k_tiocswinsz:
        case abi::k_tcflsh:
        case abi::k_tcsbrk: return terminal_ioctl(m_pty.terminal, request, argument);
        default: return Error::NotATty;
        }
    }

    ErrorOr<fs::File*> open_peer(uint32_t flags) override;

private:
    void remove_node() {
        fs::InodeRef root = devpts_root();
        if (!root)
            return;
        char name[16];
        BufferSink sink(name, sizeof name);
        format_to(sink, "{}", m_pty.index);
        (void)fs::remove(root, sink.view(), false);
    }

    Pty& m_pty;
};

// A description of the slave side, made for an open of its node (or by
// TIOCGPTPEER / /dev/tty).
ErrorOr<fs::File*> open_slave_of(Pty& pty, const fs::InodeRef& node, uint32_t flags) {
    {
        sched::SchedulerLockGuard guard;
        if (pty.locked || !pty.master_open)
            return Error::IoError;
        ++pty.slave_opens;
        pty.slave_ever_opened = true;
        __atomic_add_fetch(&pty.references, 1, __ATOMIC_RELAXED);
    }
    auto* file = new (std::nothrow) SlaveFile(pty, flags, node);
    if (!file) {
        {
            sched::SchedulerLockGuard guard;
            --pty.slave_opens;
        }
        release_pty(&pty);
        return Error::NoMemory;
    }
    if (!(flags & abi::k_o_noctty))
        pty.terminal.adopt_on_open();
    return static_cast<fs::File*>(file);
}

// As Linux's TIOCGPTPEER: the slave through its devpts node, so fstat,
// /proc/PID/fd and ttyname see /dev/pts/N as if it had been opened by name.
ErrorOr<fs::File*> MasterFile::open_peer(uint32_t flags) {
    fs::InodeRef root = devpts_root();
    char name[16];
    BufferSink sink(name, sizeof name);
    format_to(sink, "{}", m_pty.index);
    auto node = root ? fs::resolve_path(root, sink.view(), false) : ErrorOr<fs::InodeRef>(Error::NotFound);
    fs::File* file = TRY(open_slave_of(m_pty, node.is_error() ? fs::InodeRef {} : node.value(), flags));
    if (!node.is_error()) {
        if (auto named = file->set_opened_as(root, sink.view()); named.is_error()) {
            fs::release(file);
            return named.error();
        }
    }
    return file;
}


// /dev/pts/N
ErrorOr<fs::File*> open_slave_node(const fs::InodeRef& node, uint32_t flags) {
    uint32_t index = node->rdev().minor;
    Pty* pty = nullptr;
    {
        sched::MutexGuard guard(g_table_lock);
        if (index < k_max_ptys)
            pty = g_ptys[index];
        if (pty && !try_reference(pty))  // held across the open
            pty = nullptr;
    }
    if (!pty)
        return Error::IoError;  // a node of a pair that is gone
    auto file = open_slave_of(*pty, node, flags);
    release_pty(pty);
    return file;
}

// /dev/ptmx: a new pair, its slave node in devpts, and the master.
ErrorOr<fs::File*> open_master(const fs::InodeRef& node, uint32_t flags) {
    auto* pty = new (std::nothrow) Pty();
    if (!pty)
        return Error::NoMemory;
    pty->buffer = static_cast<uint8_t*>(mm::kmalloc(k_master_buffer));
    if (!pty->buffer) {
        delete pty;
        return Error::NoMemory;
    }
    {
        sched::MutexGuard guard(g_table_lock);
        size_t index = 0;
        while (index < k_max_ptys && g_ptys[index])
            ++index;
        if (index == k_max_ptys) {
            mm::kfree(pty->buffer);
            delete pty;
            return Error::NoSpace;  // Linux: ENOSPC past max
        }
        pty->index = static_cast<int>(index);
        g_ptys[index] = pty;
    }
    pty->terminal.attach(
        { pty_output, pty_output_room, master_readable_locked, pty, k_slave_major, static_cast<uint32_t>(pty->index) });
    if (fs::InodeRef root = devpts_root()) {
        char name[16];
        BufferSink sink(name, sizeof name);
        format_to(sink, "{}", pty->index);
        auto made = fs::make_kernel_node(root, sink.view(), abi::k_s_ifchr | 0620,
                                         { k_slave_major, static_cast<uint32_t>(pty->index) });
        // As Linux's devpts with gid=5,mode=620 (Debian's mount): the
        // opener's, in group tty.
        if (!made.is_error())
            fs::set_owner_by_kernel(made.value(), proc::current_credentials().fsuid, k_tty_gid);
    }
    auto* master = new (std::nothrow) MasterFile(*pty, flags, node);
    if (!master) {
        pty->master_open = false;
        release_pty(pty);
        return Error::NoMemory;
    }
    return static_cast<fs::File*>(master);
}

}  // namespace

ErrorOr<void> register_pty_devices() {
    TRY(fs::register_char_device({ k_ptmx_number, "ptmx", 0666, open_master }));
    TRY(fs::register_char_device({ { k_slave_major, 0 }, nullptr, 0620, open_slave_node, k_max_ptys }));
    return {};
}

ErrorOr<fs::FileSystem*> make_devpts() {
    fs::VfsLockGuard guard;  // callers of make_file_system do not hold it
    if (g_devpts)
        return Error::Busy;
    auto fs = TRY(fs::Ramfs::create(0));
    fs->set_clock(fs::current_time);  // the nodes' times are their creation's
    fs->set_type_name("devpts");
    fs->set_destroy_hook([](fs::Ramfs&) { g_devpts = nullptr; });  // unmounted
    fs->set_mode(fs->root(), 0755);
    g_devpts = fs.release();
    return static_cast<fs::FileSystem*>(g_devpts);
}

ErrorOr<fs::File*> open_controlling_pty(const fs::InodeRef& node, uint32_t flags) {
    proc::Process* process = proc::current_process();
    if (!process)
        return Error::NotFound;
    int sid;
    {
        sched::SchedulerLockGuard guard;
        sid = process->sid;
    }
    Pty* found = nullptr;
    {
        sched::MutexGuard guard(g_table_lock);
        for (Pty* pty : g_ptys) {
            if (pty && pty->terminal.ownership().session == sid && try_reference(pty)) {
                found = pty;
                break;
            }
        }
    }
    if (!found)
        return Error::NotFound;
    auto file = open_slave_of(*found, node, flags | abi::k_o_noctty);
    release_pty(found);
    return file;
}

}  // namespace akuma::tty
