#include "kernel/fs/pipe.h"

#include <new>

#include "kernel/fs/vfs.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::fs {

namespace abi = linux_abi;

namespace {

// Pipe inode numbers, far above the ramfs's so (st_dev, st_ino) pairs do not
// collide (both report st_dev 1).
constinit uint64_t g_next_ino = uint64_t { 1 } << 32;

// The budget and what every pipe's capacity charges to it (scheduler lock).
constinit size_t g_budget_pages = Pipe::k_linux_budget_pages;
constinit size_t g_charged_pages = 0;

size_t smaller(size_t a, size_t b) { return a < b ? a : b; }

uint8_t* allocate_page() {
    auto page = mm::allocate_pages(0, mm::PageOwner::PipeBuffer);
    return page.is_error() ? nullptr : static_cast<uint8_t*>(mm::phys_to_virt(page.value()));
}

void free_page(uint8_t* page) { mm::free_pages(mm::linear_virt_to_phys(page)); }

// Pages chained through their first word by Pipe::put_page.
void free_page_chain(uint8_t* chain) {
    while (chain) {
        uint8_t* next = *reinterpret_cast<uint8_t**>(chain);
        free_page(chain);
        chain = next;
    }
}

}  // namespace

void pipes_init(uint64_t ram_pages) {
    sched::SchedulerLockGuard guard;
    g_budget_pages = smaller(Pipe::k_linux_budget_pages, ram_pages / 4);
}

size_t Pipe::set_page_budget(size_t pages) {
    sched::SchedulerLockGuard guard;
    size_t previous = g_budget_pages;
    g_budget_pages = pages;
    return previous;
}

size_t Pipe::pages_charged() {
    sched::SchedulerLockGuard guard;
    return g_charged_pages;
}

Pipe::Pipe(Slot* ring, unsigned pages, uint64_t ino, Timestamp created)
    : m_ring(ring), m_ring_size(k_default_pages), m_pages(pages), m_ino(ino), m_created(created) {}

Pipe::~Pipe() {
    for (uint64_t position = m_tail; position != m_head; ++position)
        free_page(slot_at(position).page);
    if (m_spare)
        free_page(m_spare);
    mm::kfree(m_ring);
    sched::SchedulerLockGuard guard;
    g_charged_pages -= m_pages;
}

ErrorOr<Pipe*> Pipe::create() {
    auto* ring = static_cast<Slot*>(mm::kmalloc(k_default_pages * sizeof(Slot)));
    if (!ring)
        return Error::NoMemory;
    uint64_t ino;
    unsigned pages = k_default_pages;
    {
        sched::SchedulerLockGuard guard;
        ino = g_next_ino++;
        // Linux: a pipe that would take the user past the soft limit gets
        // the minimum instead; there is no hard limit by default.
        if (g_charged_pages + pages > g_budget_pages)
            pages = k_min_pages;
        g_charged_pages += pages;
    }
    auto* pipe = new (std::nothrow) Pipe(ring, pages, ino, current_time());
    if (!pipe) {
        mm::kfree(ring);
        sched::SchedulerLockGuard guard;
        g_charged_pages -= pages;
        return Error::NoMemory;
    }
    return pipe;
}

ErrorOr<Pipe*> Pipe::create_named(void (*on_last_close)(Pipe&)) {
    Pipe* pipe = TRY(create());
    pipe->m_readers = pipe->m_writers = 0;
    pipe->m_on_last_close = on_last_close;
    return pipe;
}

void Pipe::open_named_locked(bool read_end, bool write_end) {
    if (read_end) {
        ++m_readers;
        ++m_reader_opens;
    }
    if (write_end) {
        ++m_writers;
        ++m_writer_opens;
    }
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
        if (last && m_on_last_close)
            m_on_last_close(*this);
        // Readers see end of file, writers EPIPE, pollers HUP/ERR.
        m_read_waiters.wake_all(guard);
        m_write_waiters.wake_all(guard);
        m_poll_queue.notify(guard);
    }
    if (last)
        delete this;  // nobody can reach the pipe any more: both ends are gone
}

// An emptied page becomes the spare, or joins `to_free` (chained through its
// first word) to be freed once the lock is dropped.
void Pipe::put_page(uint8_t* page, uint8_t*& to_free) {
    if (!m_spare) {
        m_spare = page;
        return;
    }
    *reinterpret_cast<uint8_t**>(page) = to_free;
    to_free = page;
}

ErrorOr<size_t> Pipe::read(std::span<uint8_t> out, bool nonblocking) {
    if (out.empty())
        return size_t { 0 };  // Linux returns before looking at the pipe
    uint8_t* to_free = nullptr;
    auto result = read_locked(out, nonblocking, true, to_free);
    free_page_chain(to_free);
    return result;
}

ErrorOr<size_t> Pipe::peek(std::span<uint8_t> out, bool nonblocking) {
    if (out.empty())
        return size_t { 0 };
    uint8_t* to_free = nullptr;
    return read_locked(out, nonblocking, false, to_free);  // frees nothing
}

// The pages the read empties beyond the spare join `to_free`. Without
// `consume`, the bytes are only copied.
ErrorOr<size_t> Pipe::read_locked(std::span<uint8_t> out, bool nonblocking, bool consume, uint8_t*& to_free) {
    sched::SchedulerLockGuard guard;
    for (;;) {
        if (m_head != m_tail && !consume) {
            size_t count = 0;
            for (uint64_t position = m_tail; count < out.size() && position != m_head; ++position) {
                const Slot& slot = slot_at(position);
                size_t step = smaller(slot.length, out.size() - count);
                __builtin_memcpy(out.data() + count, slot.page + slot.offset, step);
                count += step;
            }
            return count;
        }
        if (m_head != m_tail) {
            bool was_full = full();
            size_t count = 0;
            while (count < out.size() && m_head != m_tail) {
                Slot& slot = slot_at(m_tail);
                size_t step = smaller(slot.length, out.size() - count);
                __builtin_memcpy(out.data() + count, slot.page + slot.offset, step);
                slot.offset = static_cast<uint16_t>(slot.offset + step);
                slot.length = static_cast<uint16_t>(slot.length - step);
                count += step;
                if (slot.length == 0) {
                    put_page(slot.page, to_free);
                    slot.page = nullptr;
                    ++m_tail;
                }
            }
            m_bytes -= count;
            m_write_waiters.wake_all(guard);
            // Pollers hear of room only when there was none (Linux's
            // pipe_read): an edge-triggered writer gets an edge per time
            // the pipe stops being full.
            if (was_full)
                m_poll_queue.notify(guard, abi::k_pollout | abi::k_pollwrnorm);
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
    WriteCursor cursor { data.size(), data.size() };
    return write(data, nonblocking, cursor);
}

ErrorOr<size_t> Pipe::write(std::span<const uint8_t> data, bool nonblocking, WriteCursor& cursor) {
    if (cursor.total == 0)
        return size_t { 0 };  // even without readers, as on Linux
    size_t done = 0;
    uint8_t* page = nullptr;  // allocated without the lock, for the next slot
    Error error = Error::TryAgain;
    Step step;
    for (;;) {
        {
            sched::SchedulerLockGuard guard;
            size_t before = done;
            step = write_locked(guard, data, nonblocking, cursor, done, page, error);
            if (done != before)
                wake_readers(guard);
        }
        if (step != Step::NeedPage)
            break;
        page = allocate_page();
        if (!page) {
            error = Error::NoMemory;
            break;
        }
    }
    if (page)
        free_page(page);  // the pipe found a spare meanwhile, or stopped
    if (step == Step::Done)
        return done;
    if (error == Error::BrokenPipe) {
        // SIGPIPE to the writer, sent without the scheduler lock (signal
        // delivery takes it). Kernel threads have no process.
        if (auto* process = proc::current_process())
            (void)proc::deliver_signal(*process, abi::k_sigpipe);
    }
    // A partial count wins over the error, as on Linux.
    return done ? ErrorOr<size_t>(done) : ErrorOr<size_t>(error);
}

// The rest of the piece at the cursor goes into the last slot if this write
// opened it (in an earlier chunk) and nobody has topped it up since.
// (Its fill is then exactly the piece's bytes before the cursor, never 0.)
bool Pipe::continues_open_slot(const WriteCursor& cursor, size_t piece_start) const {
    if (cursor.open_slot != m_head - 1 || m_head == m_tail)
        return false;
    const Slot& slot = m_ring[cursor.open_slot & (m_ring_size - 1)];
    return slot.offset + slot.length == cursor.position - piece_start;
}

// The write loop under the scheduler lock: `done` bytes of `data` went in.
// NeedPage: a fresh slot needs a page and neither the spare nor `page` is
// there (the caller allocates one and calls again). Stopped: `error` says why
// it stopped short.
Pipe::Step Pipe::write_locked(sched::SchedulerLockGuard& guard, std::span<const uint8_t> data, bool nonblocking,
                              WriteCursor& cursor, size_t& done, uint8_t*& page, Error& error) {
    while (cursor.position < cursor.total) {
        if (m_readers == 0) {
            error = Error::BrokenPipe;
            return Step::Stopped;
        }
        if (!cursor.started) {
            // Linux decides once, before any wait: length % 4096 bytes top
            // up the last page if they fit behind its data.
            cursor.started = true;
            size_t remainder = cursor.total % k_page_size;
            if (remainder && m_head != m_tail) {
                Slot& last = slot_at(m_head - 1);
                if (last.offset + last.length + remainder <= k_page_size)
                    cursor.top_up = remainder;
            }
        }
        // The piece holding the next byte: the top-up, or a page's worth
        // counted from its end. Pieces go in whole or not at all; as in
        // Linux, a fresh page is waited for before its piece is copied.
        size_t position = cursor.position;
        bool top_up = position < cursor.top_up;
        size_t piece_start = top_up ? 0 : position - (position - cursor.top_up) % k_page_size;
        size_t piece_end = top_up ? cursor.top_up : smaller(piece_start + k_page_size, cursor.total);
        bool continuing = !top_up && continues_open_slot(cursor, piece_start);
        if (!top_up && !continuing && full()) {
            if (nonblocking) {
                error = Error::TryAgain;
                return Step::Stopped;
            }
            wake_readers(guard);  // what this write put in so far, before sleeping on it
            if (m_write_waiters.wait_interruptible(guard) == sched::WaitResult::Interrupted) {
                error = Error::Interrupted;
                return Step::Stopped;
            }
            continue;
        }
        if (piece_end > cursor.readable) {
            error = Error::Fault;
            return Step::Stopped;
        }
        if (done == data.size())
            return Step::Done;  // the rest comes with the next chunk
        Slot* slot;
        if (top_up || continuing) {
            slot = &slot_at(m_head - 1);
        } else {
            uint8_t* fresh;
            if (m_spare) {
                fresh = m_spare;
                m_spare = nullptr;
            } else if (page) {
                fresh = page;
                page = nullptr;
            } else {
                return Step::NeedPage;
            }
            cursor.open_slot = m_head;
            slot = &slot_at(m_head++);
            *slot = { fresh, 0, 0 };
        }
        size_t count = smaller(piece_end - position, data.size() - done);
        __builtin_memcpy(slot->page + slot->offset + slot->length, data.data() + done, count);
        slot->length = static_cast<uint16_t>(slot->length + count);
        m_bytes += count;
        done += count;
        cursor.position += count;
    }
    return Step::Done;
}

// Readers and pollers learn about new bytes once per stretch of copying
// (before the writer sleeps, or when it lets go of the lock), as Linux's
// pipe_write wakes them, not once per piece.
void Pipe::wake_readers(sched::SchedulerLockGuard& guard) {
    m_read_waiters.wake_all(guard);
    m_poll_queue.notify(guard, abi::k_pollin | abi::k_pollrdnorm);
}

size_t Pipe::capacity() {
    sched::SchedulerLockGuard guard;
    return m_pages * k_page_size;
}

ErrorOr<size_t> Pipe::set_capacity(uint64_t requested) {
    // Linux's round_pipe_size.
    if (requested > (uint64_t { 1 } << 31))
        return Error::Invalid;
    unsigned pages = 1;
    while (pages * k_page_size < requested)
        pages *= 2;
    // The rules Linux applies to users without CAP_SYS_RESOURCE: growing
    // past pipe-max-size (no pipe is that big) or the budget is refused;
    // shrinking is not.
    if (pages * k_page_size > k_max_size)
        return Error::NotPermitted;
    auto* ring = static_cast<Slot*>(mm::kmalloc(pages * sizeof(Slot)));
    if (!ring)
        return Error::NoMemory;
    Slot* unused = ring;  // the new ring if refused, else the old one
    auto result = resize_locked(ring, pages, unused);
    mm::kfree(unused);
    return result;
}

// Moves the slots in use to `ring` of `pages` slots; `unused` becomes the
// ring to free once the lock is dropped.
ErrorOr<size_t> Pipe::resize_locked(Slot* ring, unsigned pages, Slot*& unused) {
    sched::SchedulerLockGuard guard;
    if (pages > m_pages && g_charged_pages - m_pages + pages > g_budget_pages)
        return Error::NotPermitted;
    if (m_head - m_tail > pages)
        return Error::Busy;
    // Positions stay: the slots in use map to distinct places in the new
    // ring, and a writer's open slot keeps its number.
    for (uint64_t position = m_tail; position != m_head; ++position)
        ring[position & (pages - 1)] = slot_at(position);
    unused = m_ring;
    m_ring = ring;
    m_ring_size = pages;
    g_charged_pages = g_charged_pages - m_pages + pages;
    m_pages = pages;
    m_write_waiters.wake_all(guard);  // there may be room now
    m_poll_queue.notify(guard, abi::k_pollout | abi::k_pollwrnorm);
    return pages * k_page_size;
}

uint16_t Pipe::poll_events(bool readable, bool writable) {
    sched::SchedulerLockGuard guard;
    uint16_t events = 0;
    if (readable) {
        if (m_head != m_tail)
            events |= abi::k_pollin | abi::k_pollrdnorm;
        if (m_writers == 0)
            events |= abi::k_pollhup;
    }
    if (writable) {
        // Linux reports POLLOUT while a slot is free (a PIPE_BUF write
        // would not block).
        if (!full())
            events |= abi::k_pollout | abi::k_pollwrnorm;
        if (m_readers == 0)
            events |= abi::k_pollerr;
    }
    return events;
}

size_t Pipe::bytes_available() {
    sched::SchedulerLockGuard guard;
    return m_bytes;
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
