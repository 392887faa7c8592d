#include "kernel/fs/pipe.h"

#include <new>

#include "kernel/fs/vfs.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::fs {

namespace abi = linux_abi;

namespace {

// Pipe inode numbers, far above the ramfs's so (st_dev, st_ino) pairs do not
// collide (both report st_dev 1).
constinit uint64_t g_next_ino = uint64_t { 1 } << 32;

size_t smaller(size_t a, size_t b) { return a < b ? a : b; }

}  // namespace

Pipe::Pipe(uint8_t* buffer, uint64_t ino, Timestamp created) : m_buffer(buffer), m_ino(ino), m_created(created) {}

Pipe::~Pipe() { mm::kfree(m_buffer); }

ErrorOr<Pipe*> Pipe::create() {
    auto* buffer = static_cast<uint8_t*>(mm::kmalloc(k_capacity));
    if (!buffer)
        return Error::NoMemory;
    uint64_t ino;
    {
        sched::SchedulerLockGuard guard;
        ino = g_next_ino++;
    }
    auto* pipe = new (std::nothrow) Pipe(buffer, ino, current_time());
    if (!pipe) {
        mm::kfree(buffer);
        return Error::NoMemory;
    }
    return pipe;
}

void Pipe::close_end(bool write_end) {
    bool last;
    {
        sched::SchedulerLockGuard guard;
        if (write_end)
            --m_writers;
        else
            --m_readers;
        last = m_readers == 0 && m_writers == 0;
        // Readers see end of file, writers EPIPE, pollers HUP/ERR.
        m_read_waiters.wake_all(guard);
        m_write_waiters.wake_all(guard);
        wake_pollers(guard);
    }
    if (last)
        delete this;  // nobody can reach the pipe any more: both ends are gone
}

void Pipe::copy_in(std::span<const uint8_t> data) {
    size_t tail = (m_head + m_used) % k_capacity;
    size_t first = smaller(data.size(), k_capacity - tail);
    __builtin_memcpy(m_buffer + tail, data.data(), first);
    __builtin_memcpy(m_buffer, data.data() + first, data.size() - first);
    m_used += data.size();
}

void Pipe::copy_out(std::span<uint8_t> out) {
    size_t first = smaller(out.size(), k_capacity - m_head);
    __builtin_memcpy(out.data(), m_buffer + m_head, first);
    __builtin_memcpy(out.data() + first, m_buffer, out.size() - first);
    m_head = (m_head + out.size()) % k_capacity;
    m_used -= out.size();
}

ErrorOr<size_t> Pipe::read(std::span<uint8_t> out, bool nonblocking) {
    if (out.empty())
        return size_t { 0 };  // Linux returns before looking at the pipe
    sched::SchedulerLockGuard guard;
    for (;;) {
        if (m_used > 0) {
            size_t count = smaller(out.size(), m_used);
            copy_out(out.first(count));
            m_write_waiters.wake_all(guard);
            wake_pollers(guard);
            return count;
        }
        if (m_writers == 0)
            return size_t { 0 };
        if (nonblocking)
            return Error::TryAgain;
        if (m_read_waiters.wait_interruptible(guard) == sched::WaitResult::Interrupted)
            return Error::Interrupted;
    }
}

ErrorOr<size_t> Pipe::write(std::span<const uint8_t> data, bool nonblocking) {
    if (data.empty())
        return size_t { 0 };  // even without readers, as on Linux
    size_t done = 0;
    Error error = write_locked(data, nonblocking, done);
    if (error == Error::BrokenPipe) {
        // SIGPIPE to the writer, sent without the scheduler lock (signal
        // delivery takes it). Kernel threads have no process.
        if (auto* process = proc::current_process())
            (void)proc::deliver_signal(*process, abi::k_sigpipe);
    }
    // A partial count wins over the error, as on Linux.
    return done ? ErrorOr<size_t>(done) : ErrorOr<size_t>(error);
}

// The write loop under the scheduler lock: `done` bytes went in; the error
// says why it stopped short (meaningless when everything went in).
Error Pipe::write_locked(std::span<const uint8_t> data, bool nonblocking, size_t& done) {
    const bool atomic = data.size() <= k_atomic_size;
    sched::SchedulerLockGuard guard;
    while (done < data.size()) {
        if (m_readers == 0)
            return Error::BrokenPipe;
        size_t space = k_capacity - m_used;
        size_t remaining = data.size() - done;
        if (space > 0 && (!atomic || space >= remaining)) {
            size_t count = smaller(space, remaining);
            copy_in(data.subspan(done, count));
            done += count;
            m_read_waiters.wake_all(guard);
            wake_pollers(guard);
            continue;
        }
        if (nonblocking)
            return Error::TryAgain;
        if (m_write_waiters.wait_interruptible(guard) == sched::WaitResult::Interrupted)
            return Error::Interrupted;
    }
    return Error::TryAgain;  // not looked at: all went in
}

uint16_t Pipe::poll_events(bool readable, bool writable) {
    sched::SchedulerLockGuard guard;
    uint16_t events = 0;
    if (readable) {
        if (m_used > 0)
            events |= abi::k_pollin | abi::k_pollrdnorm;
        if (m_writers == 0)
            events |= abi::k_pollhup;
    }
    if (writable) {
        // Writable means a PIPE_BUF write would not block: Linux reports it
        // while one of its 16 page slots is free.
        if (k_capacity - m_used >= k_atomic_size)
            events |= abi::k_pollout | abi::k_pollwrnorm;
        if (m_readers == 0)
            events |= abi::k_pollerr;
    }
    return events;
}

size_t Pipe::bytes_available() {
    sched::SchedulerLockGuard guard;
    return m_used;
}

InodeStat Pipe::stat() const {
    InodeStat result {};
    result.ino = m_ino;
    result.mode = abi::k_s_ififo | 0600;  // pipefs: S_IFIFO | S_IRUSR | S_IWUSR
    result.nlink = 1;
    result.blksize = k_block_size;
    result.atime = result.mtime = result.ctime = m_created;
    return result;
}

}  // namespace akuma::fs
