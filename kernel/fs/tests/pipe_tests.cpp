// In-kernel tests of pipes (kernel/fs/pipe.h) and of their open file
// descriptions (vfs.h): data, the page layout and capacity, end of file,
// EPIPE, blocking readers and writers woken by the other end, interrupted
// waits, the poll wait, pages taken only for data, the page budget; and of
// descriptor tables across fork and exec (fd_table.h).
#include "kernel/arch/aarch64/timer.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/pipe.h"
#include "kernel/fs/pipe_file.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
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

// Scratch space for bulk data, off the kernel stack and off .bss: each test
// that uses it holds a BulkBuffer (a Scratch, below, from the heap).
constexpr size_t k_buffer_size = Pipe::k_capacity;
uint8_t* g_buffer = nullptr;

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

// Pages taken from the PMM since `before` (a free-page count).
int64_t pages_taken_since(uint64_t before) {
    return static_cast<int64_t>(before) - static_cast<int64_t>(mm::pmm_stats().free_pages);
}

// A lower pipe page budget for the scope.
struct BudgetOverride {
    size_t previous;
    explicit BudgetOverride(size_t pages) : previous(Pipe::set_page_budget(pages)) {}
    ~BudgetOverride() { Pipe::set_page_budget(previous); }
};

constexpr size_t k_many_pipes = 400;

// Scratch memory from the heap: static buffers would grow the image's .bss,
// and the kernel must still load into 3 MiB (system test suite.mem3M).
template <typename T>
struct Scratch {
    T* data;
    explicit Scratch(size_t count) : data(static_cast<T*>(mm::kmalloc(count * sizeof(T)))) {}
    ~Scratch() { mm::kfree(data); }
};

// Lends g_buffer for one test.
struct BulkBuffer : Scratch<uint8_t> {
    BulkBuffer() : Scratch<uint8_t>(k_buffer_size) { g_buffer = data; }
    ~BulkBuffer() { g_buffer = nullptr; }
};

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

KTEST(pipe_capacity, "Pipe: 16 page slots; small writes share a page; PIPE_BUF writes are all or nothing") {
    BulkBuffer bulk;
    KEXPECT(g_buffer != nullptr);
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    KEXPECT_EQ(p.pipe->capacity(), Pipe::k_capacity);
    for (size_t i = 0; i < k_buffer_size; ++i)
        g_buffer[i] = static_cast<uint8_t>(i * 7 + 1);
    size_t total = 0;
    for (;;) {
        auto written = p.pipe->write({ g_buffer, 1000 }, true);
        if (written.is_error()) {
            KEXPECT(written.error() == Error::TryAgain);
            break;
        }
        KEXPECT_EQ(written.value(), 1000u);
        total += written.value();
    }
    // Four writes of 1000 share a page; a fifth needs a slot of its own.
    KEXPECT_EQ(total, 64000u);
    KEXPECT(!(p.pipe->poll_events(false, true) & abi::k_pollout));
    // The last page still has room for 96 bytes, which go in; 97 would not.
    KEXPECT(p.pipe->write({ g_buffer, 97 }, true).error() == Error::TryAgain);
    KEXPECT_EQ(p.pipe->write({ g_buffer, 96 }, true).value(), 96u);
    KEXPECT_EQ(p.pipe->bytes_available(), 64096u);
    // Reading 5000 bytes empties the first page: room for one block, and
    // a write of a page goes into it whole.
    Scratch<uint8_t> scratch(8192);
    KEXPECT(scratch.data != nullptr);
    std::span<uint8_t> out { scratch.data, 8192 };
    KEXPECT_EQ(p.pipe->read(out.first(5000), true).value(), 5000u);
    KEXPECT(p.pipe->poll_events(false, true) & abi::k_pollout);
    static uint8_t block[Pipe::k_atomic_size];
    for (size_t i = 0; i < sizeof(block); ++i)
        block[i] = static_cast<uint8_t>(i * 5 + 3);
    KEXPECT_EQ(p.pipe->write({ block, sizeof(block) }, true).value(), sizeof(block));
    KEXPECT(p.pipe->write({ block, sizeof(block) }, true).error() == Error::TryAgain);
    // A write above PIPE_BUF takes the pages there are: one, after
    // reading the 3000 bytes left in the second page.
    KEXPECT_EQ(p.pipe->read(out.first(3000), true).value(), 3000u);
    KEXPECT_EQ(p.pipe->write({ g_buffer, 8192 }, true).value(), 4096u);
    // Everything comes out in order.
    for (size_t consumed = 8000; consumed < 64096;) {
        size_t step = 64096 - consumed < out.size() ? 64096 - consumed : out.size();
        KEXPECT_EQ(p.pipe->read(out.first(step), true).value(), step);
        for (size_t i = 0; i < step; ++i)
            KEXPECT_EQ(out[i], g_buffer[(consumed + i) % 1000]);
        consumed += step;
    }
    KEXPECT_EQ(p.pipe->read(out.first(sizeof(block)), true).value(), sizeof(block));
    for (size_t i = 0; i < sizeof(block); ++i)
        KEXPECT_EQ(out[i], block[i]);
    KEXPECT_EQ(p.pipe->bytes_available(), 4096u);
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
    PollWaiter poller;
    PollWaiter::Hook hook;
    hook.waiter = &poller;
    {
        sched::SchedulerLockGuard guard;
        p.pipe->poll_queue().add(guard, hook);
    }
    auto thread = sched::spawn("pipe-reader", blocking_reader, &transfer);
    KEXPECT(!thread.is_error());
    KEXPECT(wait_until_blocked(thread.value()));
    KEXPECT_EQ(write_text(*p.pipe, "wake up").value(), 7u);
    KEXPECT(!sched::join(thread.value()).is_error());
    KEXPECT(!transfer.failed);
    KEXPECT_EQ(transfer.count, 7u);
    KEXPECT(std::string_view(reinterpret_cast<char*>(transfer.data), 7) == "wake up");
    sched::SchedulerLockGuard guard;
    KEXPECT(poller.notified_locked());  // pollers were told
    p.pipe->poll_queue().remove(guard, hook);
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
    BulkBuffer bulk;
    KEXPECT(g_buffer != nullptr);
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    KEXPECT_EQ(p.pipe->write({ g_buffer, k_buffer_size }, true).value(), Pipe::k_capacity);
    Transfer& transfer = g_transfer;
    transfer.reset(p.pipe, sizeof(transfer.data));
    for (size_t i = 0; i < transfer.size; ++i)
        transfer.data[i] = static_cast<uint8_t>(i);
    auto thread = sched::spawn("pipe-writer", blocking_writer, &transfer);
    KEXPECT(!thread.is_error());
    KEXPECT(wait_until_blocked(thread.value()));
    KEXPECT_EQ(p.pipe->read({ g_buffer, k_buffer_size }, false).value(), Pipe::k_capacity);
    KEXPECT(!sched::join(thread.value()).is_error());
    KEXPECT(!transfer.failed);
    KEXPECT_EQ(transfer.count, transfer.size);
    KEXPECT_EQ(p.pipe->read({ g_buffer, k_buffer_size }, true).value(), transfer.size);
    for (size_t i = 0; i < transfer.size; ++i)
        KEXPECT_EQ(g_buffer[i], static_cast<uint8_t>(i));
}

KTEST(pipe_waits_interrupted, "Pipe: a signal ends a blocked read (Interrupted) and a blocked write (partial count)") {
    BulkBuffer bulk;
    KEXPECT(g_buffer != nullptr);
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

    // One free page: a long blocking write fills it, then waits.
    KEXPECT_EQ(p.pipe->write({ g_buffer, Pipe::k_capacity - Pipe::k_page_size }, true).value(),
               Pipe::k_capacity - Pipe::k_page_size);
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
    KEXPECT_EQ(transfer.count, Pipe::k_page_size);
}

KTEST(pipe_open_files, "Pipe: open descriptions: access modes, S_IFIFO, ESPIPE, EOF after the last release") {
    auto ends = open_pipe(abi::k_o_nonblock);
    KEXPECT(!ends.is_error());
    OpenFile& reader = *ends.value().read;
    OpenFile& writer = *ends.value().write;
    KEXPECT(reader.pipe() != nullptr && reader.pipe() == writer.pipe());
    KEXPECT_EQ(reader.flags(), abi::k_o_rdonly | abi::k_o_nonblock);
    KEXPECT_EQ(writer.flags(), abi::k_o_wronly | abi::k_o_nonblock);
    KEXPECT(reader.is_readable() && !reader.is_writable());
    KEXPECT(writer.is_writable() && !writer.is_readable());
    KEXPECT(!reader.is_seekable());
    auto stat_read = reader.stat();
    auto stat_write = writer.stat();
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
    KEXPECT_EQ(reader.poll_events(), abi::k_pollin | abi::k_pollrdnorm);
    // A second reference (a dup) keeps the write end open.
    retain(&writer);
    release(&writer);
    KEXPECT_EQ(read(reader, { buffer, sizeof(buffer) }).value(), 3u);
    KEXPECT(read(reader, { buffer, sizeof(buffer) }).error() == Error::TryAgain);
    release(&writer);
    KEXPECT_EQ(read(reader, { buffer, sizeof(buffer) }).value(), 0u);
    release(&reader);
}

namespace {

// A poller hooked onto one file's queue, as poll(2) hooks onto each file.
struct HookedPoller {
    explicit HookedPoller(File& file) : queue(file.poll_queue()) {
        hook.waiter = &waiter;
        sched::SchedulerLockGuard guard;
        queue->add(guard, hook);
    }
    ~HookedPoller() {
        sched::SchedulerLockGuard guard;
        queue->remove(guard, hook);
    }
    sched::WaitResult wait(uint64_t deadline_ns) {
        sched::SchedulerLockGuard guard;
        return waiter.wait_locked(guard, deadline_ns);
    }
    void reset() {
        sched::SchedulerLockGuard guard;
        waiter.reset_locked();
    }
    PollQueue* queue;
    PollWaiter waiter;
    PollWaiter::Hook hook;
};

}  // namespace

KTEST(pipe_poll_waits, "Pipe: poll waits end on a change (even one before the wait), on the deadline") {
    auto ends = open_pipe(0);
    KEXPECT(!ends.is_error());
    KEXPECT(ends.value().read->poll_queue() != nullptr);
    {
        HookedPoller poller(*ends.value().read);
        // A write is a change; one before the wait ends it at once.
        KEXPECT_EQ(write(*ends.value().write, { reinterpret_cast<const uint8_t*>("p"), 1 }).value(), 1u);
        KEXPECT(poller.wait(0) == sched::WaitResult::Woken);
        // Without changes of this pipe the deadline ends it: nothing else
        // in the kernel notifies its queue.
        poller.reset();
        KEXPECT(poller.wait(arch::monotonic_ns() + 1'000'000) == sched::WaitResult::TimedOut);
    }
    release(ends.value().read);
    release(ends.value().write);
}

KTEST(pipe_poll_per_file, "Pipe: a change of one pipe wakes only the pollers of that pipe") {
    auto first = open_pipe(0);
    auto second = open_pipe(0);
    KEXPECT(!first.is_error() && !second.is_error());
    {
        HookedPoller first_poller(*first.value().read);
        HookedPoller second_poller(*second.value().read);
        KEXPECT_EQ(write(*second.value().write, { reinterpret_cast<const uint8_t*>("2"), 1 }).value(), 1u);
        KEXPECT(second_poller.wait(0) == sched::WaitResult::Woken);
        KEXPECT(first_poller.wait(arch::monotonic_ns() + 1'000'000) == sched::WaitResult::TimedOut);
        // Closing the other pipe's write end is not this pipe's change either.
        release(second.value().write);
        KEXPECT(first_poller.wait(arch::monotonic_ns() + 1'000'000) == sched::WaitResult::TimedOut);
        release(first.value().write);
        KEXPECT(first_poller.wait(0) == sched::WaitResult::Woken);  // HUP for its reader
    }
    release(first.value().read);
    release(second.value().read);
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
    KEXPECT(!(ends.value().read->pipe()->poll_events(true, false) & abi::k_pollhup));
    // The child's exec drops its close-on-exec write end: now it is.
    child.close_on_exec_all();
    KEXPECT_EQ(child.open_count(), 4);
    KEXPECT(child.get(write_fd).is_error());
    KEXPECT(ends.value().read->pipe()->poll_events(true, false) & abi::k_pollhup);
    // dup2 onto an open descriptor replaces it.
    KEXPECT_EQ(child.duplicate_to(read_fd, 1, false).value(), 1);
    auto at_one = child.get(1);
    KEXPECT(!at_one.is_error() && at_one.value() == ends.value().read);
    release(at_one.value());
    FdTable::destroy(cloned.value());
    FdTable::destroy(table.value());
}

KTEST(pipe_empty_costs_no_pages, "Pipe: an empty pipe holds no buffer: 400 pipes take less than a page each") {
    Scratch<Pipe*> pipes(k_many_pipes);
    KEXPECT(pipes.data != nullptr);
    uint64_t before = mm::pmm_stats().free_pages;
    size_t created = 0;
    for (; created < k_many_pipes; ++created) {
        auto pipe = Pipe::create();
        if (pipe.is_error())
            break;
        pipes.data[created] = pipe.value();
    }
    int64_t taken = pages_taken_since(before);
    for (size_t i = 0; i < created; ++i) {
        pipes.data[i]->close_end(false);
        pipes.data[i]->close_end(true);
    }
    KEXPECT_EQ(created, k_many_pipes);
    KEXPECT(taken < static_cast<int64_t>(k_many_pipes));
}

KTEST(pipe_pages_follow_data, "Pipe: pages are taken as data arrives and given back as it is read") {
    BulkBuffer bulk;
    KEXPECT(g_buffer != nullptr);
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    uint64_t before = mm::pmm_stats().free_pages;
    KEXPECT_EQ(write_text(*p.pipe, "x").value(), 1u);
    KEXPECT_EQ(pages_taken_since(before), 1);
    KEXPECT_EQ(p.pipe->write({ g_buffer, k_buffer_size }, true).value(), Pipe::k_capacity - Pipe::k_page_size);
    KEXPECT_EQ(pages_taken_since(before), 16);
    // Reading returns every drained page but one, kept for the next write.
    KEXPECT_EQ(p.pipe->read({ g_buffer, k_buffer_size }, true).value(), Pipe::k_capacity - Pipe::k_page_size + 1);
    KEXPECT_EQ(pages_taken_since(before), 1);
    KEXPECT_EQ(write_text(*p.pipe, "again").value(), 5u);
    KEXPECT_EQ(pages_taken_since(before), 1);
    p.close_write();
    p.close_read();
    KEXPECT(pages_taken_since(before) <= 0);
}

KTEST(pipe_write_pieces_whole, "Pipe: a write's pieces (top-up, then pages) go in whole or not at all") {
    BulkBuffer bulk;
    KEXPECT(g_buffer != nullptr);
    // 9000 bytes of which 5000 can be read: the first page goes in, the
    // second would reach past the readable bytes.
    {
        TestPipe p;
        Pipe::WriteCursor cursor { 9000, 5000 };
        KEXPECT_EQ(p.pipe->write({ g_buffer, 5000 }, true, cursor).value(), Pipe::k_page_size);
        KEXPECT_EQ(p.pipe->bytes_available(), Pipe::k_page_size);
    }
    {
        TestPipe p;
        Pipe::WriteCursor cursor { 200, 100 };
        KEXPECT(p.pipe->write({ g_buffer, 100 }, true, cursor).error() == Error::Fault);
        KEXPECT_EQ(p.pipe->bytes_available(), 0u);
        Pipe::WriteCursor nothing_readable { 200, 0 };
        KEXPECT(p.pipe->write({}, true, nothing_readable).error() == Error::Fault);
        // EPIPE comes first, as in Linux's pipe_write.
        p.close_read();
        Pipe::WriteCursor no_reader { 200, 0 };
        KEXPECT(p.pipe->write({}, true, no_reader).error() == Error::BrokenPipe);
    }
    // Behind one byte, 12388 % 4096 = 100 bytes top up the first page, then
    // whole pages follow, up to the one that reaches past 9000.
    {
        TestPipe p;
        KEXPECT_EQ(write_text(*p.pipe, "x").value(), 1u);
        Pipe::WriteCursor cursor { 12388, 9000 };
        KEXPECT_EQ(p.pipe->write({ g_buffer, 9000 }, true, cursor).value(), 100u + 2 * Pipe::k_page_size);
    }
    {
        TestPipe p;
        KEXPECT_EQ(write_text(*p.pipe, "x").value(), 1u);
        Pipe::WriteCursor top_up_only { 4196, 150 };
        KEXPECT_EQ(p.pipe->write({ g_buffer, 150 }, true, top_up_only).value(), 100u);
    }
}

KTEST(pipe_write_chunks_keep_layout, "Pipe: a write handed over in chunks is laid out as one write") {
    BulkBuffer bulk;
    KEXPECT(g_buffer != nullptr);
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    KEXPECT_EQ(write_text(*p.pipe, "x").value(), 1u);
    for (size_t i = 0; i < k_buffer_size; ++i)
        g_buffer[i] = static_cast<uint8_t>(i * 11 + 5);
    // 70000 % 4096 = 368 bytes top up the first page; the chunks' pages
    // then continue each other: 15 whole pages, though 16384-byte chunks
    // do not end on them.
    constexpr size_t k_total = 70000;
    constexpr size_t k_chunk = 16384;
    Pipe::WriteCursor cursor { k_total, k_total };
    size_t done = 0;
    for (;;) {
        size_t step = k_total - done < k_chunk ? k_total - done : k_chunk;
        auto written = p.pipe->write({ g_buffer, step }, true, cursor);
        KEXPECT(!written.is_error());
        done += written.value();
        if (written.value() < step)
            break;
    }
    KEXPECT_EQ(done, 368u + 15 * Pipe::k_page_size);
    KEXPECT_EQ(cursor.position, done);
    Scratch<uint8_t> scratch(Pipe::k_capacity);
    KEXPECT(scratch.data != nullptr);
    std::span<uint8_t> out { scratch.data, Pipe::k_capacity };
    KEXPECT_EQ(p.pipe->read(out.first(out.size()), true).value(), done + 1);
    for (size_t i = 0; i < done; ++i)
        KEXPECT_EQ(out[i + 1], g_buffer[i % k_chunk]);
}

KTEST(pipe_set_capacity, "Pipe: F_SETPIPE_SZ rounds to pages, keeps data across the ring change, EBUSY") {
    BulkBuffer bulk;
    KEXPECT(g_buffer != nullptr);
    TestPipe p;
    KEXPECT(p.pipe != nullptr);
    KEXPECT_EQ(p.pipe->set_capacity(0).value(), Pipe::k_page_size);
    KEXPECT_EQ(p.pipe->set_capacity(5000).value(), 2 * Pipe::k_page_size);
    KEXPECT_EQ(p.pipe->set_capacity(12288).value(), 4 * Pipe::k_page_size);
    KEXPECT_EQ(p.pipe->capacity(), 4 * Pipe::k_page_size);
    KEXPECT(p.pipe->set_capacity((uint64_t { 1 } << 31) + 1).error() == Error::Invalid);
    KEXPECT(p.pipe->set_capacity(2 * Pipe::k_max_size).error() == Error::NotPermitted);
    // Slots in use wrap around the 4-slot ring: 3 pages, then 2 read, 2 more.
    for (size_t i = 0; i < k_buffer_size; ++i)
        g_buffer[i] = static_cast<uint8_t>(i * 3 + 7);
    KEXPECT_EQ(p.pipe->write({ g_buffer, 3 * Pipe::k_page_size }, true).value(), 3 * Pipe::k_page_size);
    Scratch<uint8_t> scratch(4 * Pipe::k_page_size);
    KEXPECT(scratch.data != nullptr);
    std::span<uint8_t> out { scratch.data, 4 * Pipe::k_page_size };
    KEXPECT_EQ(p.pipe->read(out.first(2 * Pipe::k_page_size), true).value(), 2 * Pipe::k_page_size);
    KEXPECT_EQ(p.pipe->write({ g_buffer + 3 * Pipe::k_page_size, 2 * Pipe::k_page_size }, true).value(),
               2 * Pipe::k_page_size);
    KEXPECT(p.pipe->set_capacity(2 * Pipe::k_page_size).error() == Error::Busy);  // 3 pages hold data
    KEXPECT_EQ(p.pipe->set_capacity(32 * Pipe::k_page_size).value(), 32 * Pipe::k_page_size);
    KEXPECT_EQ(p.pipe->write({ g_buffer + 5 * Pipe::k_page_size, 1000 }, true).value(), 1000u);
    KEXPECT_EQ(p.pipe->set_capacity(4 * Pipe::k_page_size).value(), 4 * Pipe::k_page_size);
    KEXPECT_EQ(p.pipe->read(out.first(out.size()), true).value(), 3 * Pipe::k_page_size + 1000);
    for (size_t i = 0; i < 3 * Pipe::k_page_size + 1000; ++i)
        KEXPECT_EQ(out[i], g_buffer[2 * Pipe::k_page_size + i]);
}

KTEST(pipe_page_budget, "Pipe: past the page budget a pipe gets 2 pages and may not grow; charges go back") {
    size_t charged = Pipe::pages_charged();
    BudgetOverride budget(charged + 20);
    {
        TestPipe big;
        TestPipe small;
        KEXPECT(big.pipe && small.pipe);
        KEXPECT_EQ(big.pipe->capacity(), Pipe::k_capacity);
        KEXPECT_EQ(small.pipe->capacity(), Pipe::k_min_pages * Pipe::k_page_size);
        KEXPECT_EQ(Pipe::pages_charged(), charged + Pipe::k_default_pages + Pipe::k_min_pages);
        KEXPECT(small.pipe->set_capacity(Pipe::k_capacity).error() == Error::NotPermitted);
        // Shrinking is always allowed, and makes room under the budget.
        KEXPECT_EQ(big.pipe->set_capacity(Pipe::k_page_size).value(), Pipe::k_page_size);
        KEXPECT_EQ(small.pipe->set_capacity(Pipe::k_capacity).value(), Pipe::k_capacity);
        KEXPECT_EQ(Pipe::pages_charged(), charged + 1 + Pipe::k_default_pages);
    }
    KEXPECT_EQ(Pipe::pages_charged(), charged);
}
