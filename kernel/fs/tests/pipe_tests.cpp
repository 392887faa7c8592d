// In-kernel tests of pipes (kernel/fs/pipe.h) and of their open file
// descriptions (vfs.h): data, capacity, end of file, EPIPE, blocking
// readers and writers woken by the other end, interrupted waits, the poll
// wait; and of descriptor tables across fork and exec (fd_table.h).
#include "kernel/arch/aarch64/timer.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/vfs.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/tests/ktest.h"

using namespace akuma;
using namespace akuma::fs;

namespace abi = akuma::linux_abi;

namespace {

// Both ends of a pipe, closed at the end of the scope unless already.
struct TestPipe {
    Pipe* pipe = nullptr;
    bool read_open = true;
    bool write_open = true;
    TestPipe() {
        auto created = Pipe::create();
        if (!created.is_error())
            pipe = created.value();
    }
    ~TestPipe() {
        close_read();
        close_write();
    }
    void close_read() {
        if (pipe && read_open) {
            read_open = false;
            pipe->close_end(false);
        }
    }
    void close_write() {
        if (pipe && write_open) {
            write_open = false;
            pipe->close_end(true);
        }
    }
};

ErrorOr<size_t> write_text(Pipe& pipe, std::string_view text, bool nonblocking = true) {
    return pipe.write({ reinterpret_cast<const uint8_t*>(text.data()), text.size() }, nonblocking);
}

// Lets `thread` run until it sleeps in a wait queue (it is about to block
// in the pipe), so the test exercises the wake-up rather than a race.
bool wait_until_blocked(sched::Thread* thread) {
    for (int i = 0; i < 100000; ++i) {
        {
            sched::SchedulerLockGuard guard;
            if (thread->state == sched::ThreadState::Blocked)
                return true;
        }
        sched::yield();
    }
    return false;
}

// Scratch space for bulk data, off the kernel stack.
constinit uint8_t g_buffer[Pipe::k_capacity];

// One blocking read or write by a helper thread, and how it ended.
struct Transfer {
    Pipe* pipe;
    size_t size;
    uint8_t data[8192];
    bool failed;
    Error error;
    size_t count;

    void reset(Pipe* target, size_t bytes) {
        pipe = target;
        size = bytes;
        failed = false;
        error = Error::Invalid;
        count = 0;
    }
    void record(ErrorOr<size_t> result) {
        failed = result.is_error();
        if (failed)
            error = result.error();
        else
            count = result.value();
    }
};
constinit Transfer g_transfer {};

uint64_t blocking_reader(void* argument) {
    auto* transfer = static_cast<Transfer*>(argument);
    transfer->record(transfer->pipe->read({ transfer->data, transfer->size }, false));
    return 0;
}

uint64_t blocking_writer(void* argument) {
    auto* transfer = static_cast<Transfer*>(argument);
    transfer->record(transfer->pipe->write({ transfer->data, transfer->size }, false));
    return 0;
}

}  // namespace

KTEST(pipe_data_in_order, "Pipe: bytes come out in order, partial reads, TryAgain when empty") {
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    uint8_t buffer[16] {};
    KEXPECT(p.pipe->read({ buffer, sizeof(buffer) }, true).error() == Error::TryAgain);
    KEXPECT_EQ(write_text(*p.pipe, "hello ").value(), 6u);
    KEXPECT_EQ(write_text(*p.pipe, "world").value(), 5u);
    KEXPECT_EQ(p.pipe->bytes_available(), 11u);
    KEXPECT_EQ(p.pipe->read({ buffer, 3 }, true).value(), 3u);
    KEXPECT(std::string_view(reinterpret_cast<char*>(buffer), 3) == "hel");
    KEXPECT_EQ(p.pipe->read({ buffer, sizeof(buffer) }, false).value(), 8u);
    KEXPECT(std::string_view(reinterpret_cast<char*>(buffer), 8) == "lo world");
    KEXPECT_EQ(p.pipe->read({ buffer, 0 }, true).value(), 0u);
}

KTEST(pipe_capacity, "Pipe: holds exactly 64 KiB; PIPE_BUF writes are all or nothing") {
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    static uint8_t block[Pipe::k_atomic_size];
    for (size_t i = 0; i < sizeof(block); ++i)
        block[i] = static_cast<uint8_t>(i * 7 + 1);
    size_t total = 0;
    for (;;) {
        auto written = p.pipe->write({ g_buffer, 1000 }, true);
        if (written.is_error()) {
            KEXPECT(written.error() == Error::TryAgain);
            break;
        }
        total += written.value();
        KEXPECT(total <= Pipe::k_capacity);
    }
    // 65 writes of 1000 fit; the 66th (536 bytes free) is atomic, so refused.
    KEXPECT_EQ(total, 65000u);
    KEXPECT(!(p.pipe->poll_events(false, true) & abi::k_pollout));
    KEXPECT_EQ(p.pipe->write({ g_buffer, 536 }, true).value(), 536u);
    KEXPECT_EQ(p.pipe->bytes_available(), Pipe::k_capacity);
    KEXPECT(p.pipe->write({ g_buffer, 1 }, true).error() == Error::TryAgain);
    // Reading 5000 bytes frees room for one atomic block but not two.
    KEXPECT_EQ(p.pipe->read({ g_buffer, 5000 }, true).value(), 5000u);
    KEXPECT(p.pipe->poll_events(false, true) & abi::k_pollout);
    KEXPECT_EQ(p.pipe->write({ block, sizeof(block) }, true).value(), sizeof(block));
    KEXPECT(p.pipe->write({ block, sizeof(block) }, true).error() == Error::TryAgain);
    // A write above PIPE_BUF takes what fits (904 bytes).
    KEXPECT_EQ(p.pipe->write({ g_buffer, 8192 }, true).value(), 904u);
    // The block went in across the end of the ring: it comes out intact,
    // after the 60536 bytes before it.
    KEXPECT_EQ(p.pipe->read({ g_buffer, Pipe::k_capacity - 5000 }, true).value(), Pipe::k_capacity - 5000);
    KEXPECT_EQ(p.pipe->read({ g_buffer, sizeof(block) }, true).value(), sizeof(block));
    for (size_t i = 0; i < sizeof(block); ++i)
        KEXPECT_EQ(g_buffer[i], block[i]);
    KEXPECT_EQ(p.pipe->bytes_available(), 904u);
}

KTEST(pipe_end_of_file_and_broken, "Pipe: EOF once writers close; BrokenPipe without readers; poll HUP/ERR") {
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    KEXPECT_EQ(p.pipe->poll_events(true, false), 0);
    KEXPECT_EQ(p.pipe->poll_events(false, true), abi::k_pollout | abi::k_pollwrnorm);
    KEXPECT_EQ(write_text(*p.pipe, "last").value(), 4u);
    KEXPECT_EQ(p.pipe->poll_events(true, false), abi::k_pollin | abi::k_pollrdnorm);
    p.close_write();
    KEXPECT_EQ(p.pipe->poll_events(true, false), abi::k_pollin | abi::k_pollrdnorm | abi::k_pollhup);
    uint8_t buffer[8];
    KEXPECT_EQ(p.pipe->read({ buffer, sizeof(buffer) }, false).value(), 4u);  // data first
    KEXPECT_EQ(p.pipe->read({ buffer, sizeof(buffer) }, false).value(), 0u);  // then EOF, without blocking
    KEXPECT_EQ(p.pipe->poll_events(true, false), abi::k_pollhup);

    TestPipe q;
    KEXPECT(q.pipe != nullptr);
    q.close_read();
    KEXPECT_EQ(q.pipe->poll_events(false, true), abi::k_pollout | abi::k_pollwrnorm | abi::k_pollerr);
    KEXPECT(write_text(*q.pipe, "x", false).error() == Error::BrokenPipe);
    KEXPECT_EQ(write_text(*q.pipe, "").value(), 0u);  // empty writes succeed, as on Linux
}

KTEST(pipe_reader_woken_by_writer, "Pipe: a blocked reader is woken by a writer thread") {
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    Transfer& transfer = g_transfer;
    transfer.reset(p.pipe, 100);
    uint64_t generation = poll_generation();
    auto thread = sched::spawn("pipe-reader", blocking_reader, &transfer);
    KEXPECT(!thread.is_error());
    KEXPECT(wait_until_blocked(thread.value()));
    KEXPECT_EQ(write_text(*p.pipe, "wake up").value(), 7u);
    KEXPECT(!sched::join(thread.value()).is_error());
    KEXPECT(!transfer.failed);
    KEXPECT_EQ(transfer.count, 7u);
    KEXPECT(std::string_view(reinterpret_cast<char*>(transfer.data), 7) == "wake up");
    KEXPECT(poll_generation() != generation);  // pollers were told
}

KTEST(pipe_reader_woken_by_close, "Pipe: closing the write end wakes a blocked reader with EOF") {
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    Transfer& transfer = g_transfer;
    transfer.reset(p.pipe, 100);
    auto thread = sched::spawn("pipe-reader", blocking_reader, &transfer);
    KEXPECT(!thread.is_error());
    KEXPECT(wait_until_blocked(thread.value()));
    p.close_write();
    KEXPECT(!sched::join(thread.value()).is_error());
    KEXPECT(!transfer.failed);
    KEXPECT_EQ(transfer.count, 0u);
}

KTEST(pipe_writer_woken_by_reader, "Pipe: a writer blocked on a full pipe finishes as a reader drains it") {
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    KEXPECT_EQ(p.pipe->write({ g_buffer, sizeof(g_buffer) }, true).value(), Pipe::k_capacity);
    Transfer& transfer = g_transfer;
    transfer.reset(p.pipe, sizeof(transfer.data));
    for (size_t i = 0; i < transfer.size; ++i)
        transfer.data[i] = static_cast<uint8_t>(i);
    auto thread = sched::spawn("pipe-writer", blocking_writer, &transfer);
    KEXPECT(!thread.is_error());
    KEXPECT(wait_until_blocked(thread.value()));
    KEXPECT_EQ(p.pipe->read({ g_buffer, sizeof(g_buffer) }, false).value(), Pipe::k_capacity);
    KEXPECT(!sched::join(thread.value()).is_error());
    KEXPECT(!transfer.failed);
    KEXPECT_EQ(transfer.count, transfer.size);
    KEXPECT_EQ(p.pipe->read({ g_buffer, sizeof(g_buffer) }, true).value(), transfer.size);
    for (size_t i = 0; i < transfer.size; ++i)
        KEXPECT_EQ(g_buffer[i], static_cast<uint8_t>(i));
}

KTEST(pipe_waits_interrupted, "Pipe: a signal ends a blocked read (Interrupted) and a blocked write (partial count)") {
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    Transfer& transfer = g_transfer;
    transfer.reset(p.pipe, 100);
    auto reader = sched::spawn("pipe-reader", blocking_reader, &transfer);
    KEXPECT(!reader.is_error());
    KEXPECT(wait_until_blocked(reader.value()));
    {
        sched::SchedulerLockGuard guard;
        sched::interrupt_thread_locked(guard, reader.value());
    }
    KEXPECT(!sched::join(reader.value()).is_error());
    KEXPECT(transfer.failed && transfer.error == Error::Interrupted);

    // 100 bytes of room: a long blocking write puts them in, then waits.
    KEXPECT_EQ(p.pipe->write({ g_buffer, Pipe::k_capacity - 100 }, true).value(), Pipe::k_capacity - 100);
    transfer.reset(p.pipe, sizeof(transfer.data));
    auto writer = sched::spawn("pipe-writer", blocking_writer, &transfer);
    KEXPECT(!writer.is_error());
    KEXPECT(wait_until_blocked(writer.value()));
    {
        sched::SchedulerLockGuard guard;
        sched::interrupt_thread_locked(guard, writer.value());
    }
    KEXPECT(!sched::join(writer.value()).is_error());
    KEXPECT(!transfer.failed);
    KEXPECT_EQ(transfer.count, 100u);
}

KTEST(pipe_open_files, "Pipe: open descriptions: access modes, S_IFIFO, ESPIPE, EOF after the last release") {
    auto ends = open_pipe(abi::k_o_nonblock);
    KEXPECT(!ends.is_error());
    OpenFile& reader = *ends.value().read;
    OpenFile& writer = *ends.value().write;
    KEXPECT(reader.kind == FileKind::Pipe && writer.kind == FileKind::Pipe);
    KEXPECT_EQ(reader.flags, abi::k_o_rdonly | abi::k_o_nonblock);
    KEXPECT_EQ(writer.flags, abi::k_o_wronly | abi::k_o_nonblock);
    KEXPECT(is_readable(reader) && !is_writable(reader));
    KEXPECT(is_writable(writer) && !is_readable(writer));
    auto stat_read = stat(reader);
    auto stat_write = stat(writer);
    KEXPECT(!stat_read.is_error() && !stat_write.is_error());
    KEXPECT_EQ(stat_read.value().mode & abi::k_s_ifmt, abi::k_s_ififo);
    KEXPECT_EQ(stat_read.value().ino, stat_write.value().ino);
    KEXPECT(seek(reader, 0, abi::k_seek_cur).error() == Error::IllegalSeek);
    uint8_t buffer[8] {};
    KEXPECT(pread(reader, { buffer, 1 }, 0).error() == Error::IllegalSeek);
    KEXPECT(read(reader, { buffer, sizeof(buffer) }).error() == Error::TryAgain);
    KEXPECT(read(writer, { buffer, sizeof(buffer) }).error() == Error::BadFd);
    KEXPECT(write(reader, { buffer, 1 }).error() == Error::BadFd);
    KEXPECT_EQ(write(writer, { reinterpret_cast<const uint8_t*>("abc"), 3 }).value(), 3u);
    KEXPECT_EQ(poll_events(reader), abi::k_pollin | abi::k_pollrdnorm);
    // A second reference (a dup) keeps the write end open.
    retain(&writer);
    release(&writer);
    KEXPECT_EQ(read(reader, { buffer, sizeof(buffer) }).value(), 3u);
    KEXPECT(read(reader, { buffer, sizeof(buffer) }).error() == Error::TryAgain);
    release(&writer);
    KEXPECT_EQ(read(reader, { buffer, sizeof(buffer) }).value(), 0u);
    release(&reader);
}

KTEST(pipe_poll_waits, "Pipe: poll waits end on a change (even one before the wait), on the deadline") {
    uint64_t generation = poll_generation();
    auto ends = open_pipe(0);
    KEXPECT(!ends.is_error());
    // A write is a change; one before the wait ends it at once.
    KEXPECT_EQ(write(*ends.value().write, { reinterpret_cast<const uint8_t*>("p"), 1 }).value(), 1u);
    KEXPECT(wait_for_poll_change(generation, 0) == sched::WaitResult::Woken);
    // Without changes the deadline ends it (retried in case something else
    // in the kernel changed meanwhile).
    bool timed_out = false;
    for (int attempt = 0; attempt < 10 && !timed_out; ++attempt)
        timed_out = wait_for_poll_change(poll_generation(), arch::monotonic_ns() + 1'000'000) ==
                    sched::WaitResult::TimedOut;
    KEXPECT(timed_out);
    release(ends.value().read);
    release(ends.value().write);
}

KTEST(fd_table_clone_and_exec, "FdTable: clone shares descriptions; close-on-exec closes only marked ones") {
    auto table = FdTable::create_with_console();
    KEXPECT(!table.is_error());
    auto ends = open_pipe(0);
    KEXPECT(!ends.is_error());
    FdTable& parent = *table.value();
    int read_fd = parent.install(ends.value().read, false).value();
    int write_fd = parent.install(ends.value().write, true).value();
    KEXPECT_EQ(read_fd, 3);
    KEXPECT_EQ(write_fd, 4);
    auto cloned = parent.clone();
    KEXPECT(!cloned.is_error());
    FdTable& child = *cloned.value();
    KEXPECT_EQ(child.open_count(), 5);
    KEXPECT(child.close_on_exec(write_fd).value());
    KEXPECT(!child.close_on_exec(read_fd).value());
    // Both tables hold the write end: closing it in one is not EOF.
    KEXPECT(!parent.close(write_fd).is_error());
    KEXPECT(!(ends.value().read->pipe->poll_events(true, false) & abi::k_pollhup));
    // The child's exec drops its close-on-exec write end: now it is.
    child.close_on_exec_all();
    KEXPECT_EQ(child.open_count(), 4);
    KEXPECT(child.get(write_fd).is_error());
    KEXPECT(ends.value().read->pipe->poll_events(true, false) & abi::k_pollhup);
    // dup2 onto an open descriptor replaces it.
    KEXPECT_EQ(child.duplicate_to(read_fd, 1, false).value(), 1);
    auto at_one = child.get(1);
    KEXPECT(!at_one.is_error() && at_one.value() == ends.value().read);
    release(at_one.value());
    FdTable::destroy(cloned.value());
    FdTable::destroy(table.value());
}
