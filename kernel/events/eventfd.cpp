#include "kernel/events/eventfd.h"

#include <new>

#include "kernel/events/anonymous_file.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::events {

namespace abi = linux_abi;

namespace {

constexpr uint64_t k_max_count = ~uint64_t { 0 } - 1;

// The counter, the waiters and the poll queue are under the scheduler lock,
// so a waiter checks and sleeps without losing a wake-up.
class EventFile final : public AnonymousFile {
public:
    EventFile(uint64_t initial, bool semaphore, uint32_t flags)
        : AnonymousFile(flags, "[eventfd]"), m_count(initial), m_semaphore(semaphore) {}

    fs::ReadContinuation read_continuation() const override { return fs::ReadContinuation::OneCall; }

    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t, bool nonblocking) override {
        if (buffer.size() < sizeof(uint64_t))
            return Error::Invalid;
        uint64_t taken;
        {
            sched::SchedulerLockGuard guard;
            while (m_count == 0) {
                if (nonblocking)
                    return Error::TryAgain;
                if (m_readers.wait_interruptible(guard) == sched::WaitResult::Interrupted)
                    return Error::Interrupted;
            }
            taken = m_semaphore ? 1 : m_count;
            m_count -= taken;
            m_writers.wake_all(guard);
            m_poll.notify(guard, abi::k_pollout);
        }
        __builtin_memcpy(buffer.data(), &taken, sizeof taken);
        return sizeof taken;
    }

    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t&) override {
        if (data.size() < sizeof(uint64_t))
            return Error::Invalid;
        uint64_t added;
        __builtin_memcpy(&added, data.data(), sizeof added);
        if (added > k_max_count)
            return Error::Invalid;
        sched::SchedulerLockGuard guard;
        while (k_max_count - m_count < added) {
            if (is_nonblocking())
                return Error::TryAgain;
            if (m_writers.wait_interruptible(guard) == sched::WaitResult::Interrupted)
                return Error::Interrupted;
        }
        m_count += added;
        // Even a write of 0 wakes, as on Linux (an edge-triggered watcher
        // of a non-zero counter hears of it again).
        m_readers.wake_all(guard);
        m_poll.notify(guard, abi::k_pollin);
        return sizeof added;
    }

    uint16_t poll_events() override {
        sched::SchedulerLockGuard guard;
        uint16_t events = 0;
        if (m_count > 0)
            events |= abi::k_pollin;
        if (m_count < k_max_count)
            events |= abi::k_pollout;
        return events;
    }
    fs::PollQueue* poll_queue() override { return &m_poll; }

private:
    uint64_t m_count;
    bool m_semaphore;
    sched::WaitQueue m_readers;
    sched::WaitQueue m_writers;
    fs::PollQueue m_poll;
};

}  // namespace

ErrorOr<fs::File*> create_eventfd(uint64_t initial, bool semaphore, uint32_t file_flags) {
    auto* file = new (std::nothrow) EventFile(initial, semaphore, file_flags);
    if (!file)
        return Error::NoMemory;
    return file;
}

}  // namespace akuma::events
