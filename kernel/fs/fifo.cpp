#include "kernel/fs/fifo.h"

#include <new>

#include "kernel/fs/pipe.h"
#include "kernel/fs/pipe_file.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::fs {

namespace abi = linux_abi;

namespace {

// The pipes of the FIFOs open now, keyed by node: read and changed under
// the scheduler lock (pipe ends are counted under it). Creating one is
// serialized by g_create_lock, so two first opens share one pipe.
constinit IntrusiveList<Pipe, &Pipe::named_link> g_fifos;
constinit sched::Mutex g_create_lock;

Pipe* find_locked(const void* key) {
    Pipe* found = nullptr;
    g_fifos.for_each([&](Pipe& pipe) {
        if (pipe.named_key == key)
            found = &pipe;
    });
    return found;
}

// The last end closed (scheduler lock held): the next open makes a new pipe.
void forget(Pipe& pipe) { g_fifos.remove(pipe); }

struct Opened {
    Pipe* pipe;
    uint64_t reader_opens;
    uint64_t writer_opens;
};

// Adds this open's ends to the node's pipe, making the pipe first if none.
ErrorOr<Opened> attach(const void* key, bool read, bool write, bool nonblocking) {
    sched::MutexGuard creating(g_create_lock);
    auto join = [&](Pipe& pipe, sched::SchedulerLockGuard& guard) -> ErrorOr<Opened> {
        if (write && !read && nonblocking && pipe.readers_locked() == 0)
            return Error::NoDeviceOrAddress;
        pipe.open_named_locked(read, write);
        pipe.open_waiters().wake_all(guard);
        return Opened { &pipe, pipe.reader_opens_locked(), pipe.writer_opens_locked() };
    };
    {
        sched::SchedulerLockGuard guard;
        if (Pipe* pipe = find_locked(key))
            return join(*pipe, guard);
    }
    if (write && !read && nonblocking)
        return Error::NoDeviceOrAddress;  // no pipe: no reader
    Pipe* made = TRY(Pipe::create_named(forget));
    made->named_key = key;
    sched::SchedulerLockGuard guard;
    g_fifos.push_back(*made);
    return join(*made, guard);
}

}  // namespace

ErrorOr<File*> open_fifo(InodeRef node, uint32_t flags) {
    uint32_t access = flags & abi::k_o_accmode;
    bool read = access != abi::k_o_wronly;
    bool write = access != abi::k_o_rdonly;
    bool nonblocking = flags & abi::k_o_nonblock;
    Opened opened = TRY(attach(node.get(), read, write, nonblocking));
    Pipe& pipe = *opened.pipe;
    uint32_t kept = flags & ~(abi::k_o_creat | abi::k_o_excl | abi::k_o_trunc | abi::k_o_noctty);
    auto* file = new (std::nothrow) PipeFile(pipe, kept, std::move(node));
    if (!file) {
        if (read)
            pipe.close_end(false);
        if (write)
            pipe.close_end(true);
        return Error::NoMemory;
    }
    if (nonblocking || (read && write))
        return static_cast<File*>(file);
    // Wait for the other side: until one of it is open, or has opened and
    // gone meanwhile (Linux's counters), or a signal comes.
    bool met = [&] {
        sched::SchedulerLockGuard guard;
        for (;;) {
            bool partner = read ? pipe.writers_locked() > 0 || pipe.writer_opens_locked() != opened.writer_opens
                                : pipe.readers_locked() > 0 || pipe.reader_opens_locked() != opened.reader_opens;
            if (partner)
                return true;
            if (pipe.open_waiters().wait_interruptible(guard) == sched::WaitResult::Interrupted)
                return false;
        }
    }();
    if (met)
        return static_cast<File*>(file);
    release(file);  // its ends close (the last one frees the pipe)
    return Error::Interrupted;
}

}  // namespace akuma::fs
