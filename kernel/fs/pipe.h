// Pipes: a 64 KiB byte ring (Linux's default capacity) between the open
// file descriptions of its read end and its write end (vfs.h, FileKind::Pipe).
//
// Semantics (Linux pipe(7)):
// - read returns what is buffered (up to the request) and blocks only while
//   the pipe is empty and a write end is open; with no write end left it
//   returns 0 (end of file).
// - write blocks while the pipe is full. A write of at most k_atomic_size
//   bytes (PIPE_BUF) goes in at once or not at all; longer writes may be
//   split and interleaved with other writers.
// - Writing with no read end open fails with BrokenPipe (EPIPE) after
//   sending SIGPIPE to the writing process (a partial count if bytes already
//   went in, as Linux does).
// - Nonblocking: TryAgain instead of blocking (or the partial count).
// - Blocking waits are interruptible: a signal for the thread ends them with
//   Interrupted, or with the partial count if bytes already moved.
//
// Locking: the ring and the end counts are protected by the scheduler lock,
// so a reader or writer checks its condition and sleeps without losing a
// wake-up. Copies happen under it too (at most one bounce chunk per call,
// from and to kernel memory); the buffer is allocated at creation because
// kmalloc cannot be called under that lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/fs/ramfs.h"
#include "kernel/lib/error_or.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::fs {

class Pipe {
public:
    static constexpr size_t k_capacity = 65536;    // Linux: 16 pages
    static constexpr size_t k_atomic_size = 4096;  // PIPE_BUF

    // A pipe with one read end and one write end open. NoMemory.
    static ErrorOr<Pipe*> create();

    // An end's open file description went away; the pipe frees itself with
    // its last end. Wakes whoever waits for the other end.
    void close_end(bool write_end);

    ErrorOr<size_t> read(std::span<uint8_t> out, bool nonblocking);
    ErrorOr<size_t> write(std::span<const uint8_t> data, bool nonblocking);

    // poll(2) events (unfiltered) for a description with these access modes.
    uint16_t poll_events(bool readable, bool writable);
    // FIONREAD: bytes buffered.
    size_t bytes_available();
    InodeStat stat() const;

private:
    Pipe(uint8_t* buffer, uint64_t ino, Timestamp created);
    ~Pipe();
    Error write_locked(std::span<const uint8_t> data, bool nonblocking, size_t& done);
    void copy_in(std::span<const uint8_t> data);
    void copy_out(std::span<uint8_t> out);

    uint8_t* m_buffer;
    size_t m_head { 0 };  // next byte to read (index into m_buffer)
    size_t m_used { 0 };  // bytes buffered
    unsigned m_readers { 1 };
    unsigned m_writers { 1 };
    sched::WaitQueue m_read_waiters;
    sched::WaitQueue m_write_waiters;
    uint64_t m_ino;
    Timestamp m_created;
};

}  // namespace akuma::fs
