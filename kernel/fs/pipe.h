// Pipes: a ring of page slots, 16 by default (64 KiB, Linux's capacity),
// between the open file descriptions of its read end and its write end
// (pipe_file.h).
//
// Memory: a slot holds a page only while it holds data. A write takes pages
// as it fills slots; a read gives back the pages it empties, keeping one
// spare for the next write (Linux's tmp_page). An empty pipe costs its
// object and its slot array. Every pipe's capacity in pages is charged to
// one system-wide budget, Linux's pipe-user-pages-soft rule applied to all
// pipes (Akuma has no users yet): a pipe created past the budget gets
// k_min_pages, and F_SETPIPE_SZ may not grow a pipe past it (EPERM).
// Charging capacities, not pages held, bounds what pipes can ever pin.
//
// Semantics (Linux pipe(7) and fs/pipe.c):
// - read returns what is buffered (up to the request) and blocks only while
//   the pipe is empty and a write end is open; with no write end left it
//   returns 0 (end of file).
// - write blocks while every slot is taken. Linux's page layout: a write
//   first tops up the last page with its length % 4096 bytes if they fit
//   there, then fills fresh pages (so 1000-byte writes fill 64000 bytes).
//   A write of at most k_atomic_size bytes (PIPE_BUF) goes in at once or
//   not at all; longer writes may be split and interleaved with others.
// - Each piece of a write (the top-up, then each page) is copied whole: a
//   buffer that runs into unmapped memory ends the write before the piece
//   that reaches it, EFAULT if nothing went in (WriteCursor::readable).
//   Unlike Linux 6.1, the failed piece leaves no empty slot behind.
// - Writing with no read end open fails with BrokenPipe (EPIPE) after
//   sending SIGPIPE to the writing process (a partial count if bytes already
//   went in, as Linux does).
// - Nonblocking: TryAgain instead of blocking (or the partial count).
// - Blocking waits are interruptible: a signal for the thread ends them with
//   Interrupted, or with the partial count if bytes already moved.
// - A page that cannot be allocated ends the write with NoMemory (or the
//   partial count), as Linux's alloc_page failure does.
//
// Locking: the slots, the counts and the budget are protected by the
// scheduler lock, so a reader or writer checks its condition and sleeps
// without losing a wake-up. Copies happen under it too (at most one bounce
// chunk per call, from and to kernel memory). Pages are allocated and freed
// outside it (the PMM may poison or check a whole page): a write that needs
// a page and has no spare drops the lock to get one and looks again; a read
// frees the pages it emptied after dropping the lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/fs/inode.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::fs {

class Pipe {
public:
    static constexpr size_t k_page_size = 4096;
    static constexpr unsigned k_default_pages = 16;  // Linux: PIPE_DEF_BUFFERS
    static constexpr unsigned k_min_pages = 2;       // past the budget (Linux: PIPE_MIN_DEF_BUFFERS)
    static constexpr size_t k_capacity = k_default_pages * k_page_size;
    static constexpr size_t k_atomic_size = 4096;        // PIPE_BUF
    static constexpr size_t k_max_size = 1 << 20;        // /proc/sys/fs/pipe-max-size
    static constexpr size_t k_linux_budget_pages = 16384;  // /proc/sys/fs/pipe-user-pages-soft

    // One write(2) as the pipe sees it. The file layer hands a write over in
    // bounce chunks; the cursor carries Linux's page layout and its fault
    // rule from one chunk to the next.
    struct WriteCursor {
        size_t total;          // bytes in the whole write
        size_t readable;       // how many of them, from the start, can be copied
        size_t position { 0 }; // bytes of it already in the pipe
        size_t top_up { 0 };   // bytes that topped up the page before it
        bool started { false };
        uint64_t open_slot { ~uint64_t { 0 } };  // the slot of its unfinished page
    };

    // A pipe with one read end and one write end open. NoMemory.
    static ErrorOr<Pipe*> create();

    // An end's open file description went away; the pipe frees itself with
    // its last end. Wakes whoever waits for the other end.
    void close_end(bool write_end);

    // Named pipes (FIFOs, fifo.h): no end is open at first; each open(2)
    // adds its own (open_named_locked, under the scheduler lock), and
    // `on_last_close` runs under the scheduler lock before the pipe frees
    // itself (the FIFO table forgets it there).
    static ErrorOr<Pipe*> create_named(void (*on_last_close)(Pipe&));
    void open_named_locked(bool read_end, bool write_end);
    unsigned readers_locked() const { return m_readers; }
    unsigned writers_locked() const { return m_writers; }
    // How many ends of each kind were ever opened: a blocked open(2) waits
    // for the other kind's count to move (Linux's r_counter/w_counter).
    uint64_t reader_opens_locked() const { return m_reader_opens; }
    uint64_t writer_opens_locked() const { return m_writer_opens; }
    sched::WaitQueue& open_waiters() { return m_open_waiters; }
    ListNode named_link;              // in the FIFO table
    const void* named_key { nullptr };  // the FIFO's node

    ErrorOr<size_t> read(std::span<uint8_t> out, bool nonblocking);
    // tee(2): copies what read() would give, waiting the same way, but
    // leaves it in the pipe.
    ErrorOr<size_t> peek(std::span<uint8_t> out, bool nonblocking);
    // `data` is the whole write.
    ErrorOr<size_t> write(std::span<const uint8_t> data, bool nonblocking);
    // `data` continues the write of `cursor` (at cursor.position); may be
    // empty when nothing of the rest is readable.
    ErrorOr<size_t> write(std::span<const uint8_t> data, bool nonblocking, WriteCursor& cursor);

    // F_GETPIPE_SZ: the capacity in bytes.
    size_t capacity();
    // F_SETPIPE_SZ: `requested` bytes, rounded up to a power-of-two number of
    // pages; returns the new capacity. Invalid above 2^31, NotPermitted to
    // grow past k_max_size or the budget, Busy if fewer pages than hold data.
    ErrorOr<size_t> set_capacity(uint64_t requested);

    // poll(2) events (unfiltered) for a description with these access modes.
    uint16_t poll_events(bool readable, bool writable);
    // FIONREAD: bytes buffered.
    size_t bytes_available();
    InodeStat stat() const;
    // Notified whenever the events may have changed (data, space, an end closed).
    PollQueue& poll_queue() { return m_poll_queue; }

    // The budget in pages (set at boot by pipes_init; tests lower it) and
    // the pages charged to it.
    static size_t set_page_budget(size_t pages);  // returns the previous one
    static size_t pages_charged();

private:
    struct Slot {
        uint8_t* page;
        uint16_t offset;  // first unread byte
        uint16_t length;  // unread bytes
    };
    enum class Step { Done, NeedPage, Stopped };

    Pipe(Slot* ring, unsigned pages, uint64_t ino, Timestamp created);
    ~Pipe();
    Slot& slot_at(uint64_t position) { return m_ring[position & (m_ring_size - 1)]; }
    bool full() const { return m_head - m_tail >= m_pages; }
    bool continues_open_slot(const WriteCursor& cursor, size_t piece_start) const;
    ErrorOr<size_t> read_locked(std::span<uint8_t> out, bool nonblocking, bool consume, uint8_t*& to_free);
    ErrorOr<size_t> resize_locked(Slot* ring, unsigned pages, Slot*& unused);
    void wake_readers(sched::SchedulerLockGuard& guard);
    Step write_locked(sched::SchedulerLockGuard& guard, std::span<const uint8_t> data, bool nonblocking,
                      WriteCursor& cursor, size_t& done, uint8_t*& page, Error& error);
    void put_page(uint8_t* page, uint8_t*& to_free);

    Slot* m_ring;              // m_ring_size slots (a power of two)
    unsigned m_ring_size;
    unsigned m_pages;          // capacity in pages (<= m_ring_size), charged to the budget
    uint64_t m_head { 0 };     // next slot to fill (positions only grow)
    uint64_t m_tail { 0 };     // oldest slot holding data
    size_t m_bytes { 0 };      // bytes buffered
    uint8_t* m_spare { nullptr };
    unsigned m_readers { 1 };
    unsigned m_writers { 1 };
    uint64_t m_reader_opens { 0 };
    uint64_t m_writer_opens { 0 };
    void (*m_on_last_close)(Pipe&) { nullptr };
    sched::WaitQueue m_open_waiters;
    sched::WaitQueue m_read_waiters;
    sched::WaitQueue m_write_waiters;
    PollQueue m_poll_queue;
    uint64_t m_ino;
    Timestamp m_created;
};

// The pipe budget from the RAM there is: a quarter of its pages, at most
// Linux's default. Called once at boot, after the PMM (kernel/main.cpp).
void pipes_init(uint64_t ram_pages);

}  // namespace akuma::fs
