#include "kernel/events/timerfd.h"

#include <new>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/events/anonymous_file.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/time_helpers.h"
#include "kernel/time/timer_queue.h"

namespace akuma::events {

namespace abi = linux_abi;

// The deadline, interval and count are under the scheduler lock; the
// timer event is queued and cancelled under it too (the timer queue's lock
// comes after it), and its callback takes it.
class TimerFile final : public AnonymousFile {
public:
    static constexpr const char* k_kind = "[timerfd]";
    TimerFile(int clock, uint32_t flags) : AnonymousFile(flags, k_kind), m_clock(clock) {
        m_event.callback = expired;
        m_event.context = this;
    }
    ~TimerFile() override { (void)time::timer_queue_cancel_sync(m_event); }

    fs::ReadContinuation read_continuation() const override { return fs::ReadContinuation::OneCall; }

    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t, bool nonblocking) override {
        if (buffer.size() < sizeof(uint64_t))
            return Error::Invalid;
        uint64_t count;
        {
            sched::SchedulerLockGuard guard;
            for (;;) {
                count_expirations_locked(arch::monotonic_ns());
                if (m_expirations)
                    break;
                if (nonblocking)
                    return Error::TryAgain;
                // Until the deadline (0: none), a settime or a signal.
                if (m_readers.wait_interruptible(guard, m_deadline) == sched::WaitResult::Interrupted)
                    return Error::Interrupted;
            }
            count = m_expirations;
            m_expirations = 0;
        }
        __builtin_memcpy(buffer.data(), &count, sizeof count);
        return sizeof count;
    }

    uint16_t poll_events() override {
        sched::SchedulerLockGuard guard;
        count_expirations_locked(arch::monotonic_ns());
        return m_expirations ? abi::k_pollin : 0;
    }
    fs::PollQueue* poll_queue() override { return &m_poll; }

    TimerSetting set(const TimerSetting& setting, bool absolute) {
        sched::SchedulerLockGuard guard;
        uint64_t now = arch::monotonic_ns();
        TimerSetting old = current_locked(now);
        (void)time::timer_queue_cancel(m_event);
        m_expirations = 0;
        m_interval = setting.value_ns ? setting.interval_ns : 0;
        if (setting.value_ns == 0) {
            m_deadline = 0;
        } else if (!absolute) {
            m_deadline = time::deadline_after(now, setting.value_ns);
        } else {
            bool realtime = m_clock == abi::k_clock_realtime || m_clock == abi::k_clock_realtime_alarm;
            m_deadline = realtime ? sys::monotonic_from_realtime_ns(setting.value_ns) : setting.value_ns;
            if (m_deadline == 0)
                m_deadline = 1;  // long past: expires at once (0 would mean disarmed)
        }
        count_expirations_locked(now);
        arm_locked(guard);
        return old;
    }

    TimerSetting get() {
        sched::SchedulerLockGuard guard;
        return current_locked(arch::monotonic_ns());
    }

private:
    // Moves past deadlines into the count (Linux's hrtimer_forward: one
    // per whole interval gone by).
    void count_expirations_locked(uint64_t now) {
        if (m_deadline == 0 || now < m_deadline)
            return;
        if (m_interval == 0) {
            ++m_expirations;
            m_deadline = 0;
            return;
        }
        uint64_t periods = (now - m_deadline) / m_interval + 1;
        m_expirations += periods;
        m_deadline = time::saturating_add(m_deadline, time::saturating_mul(periods, m_interval));
        if (m_deadline == time::k_never)
            m_deadline = 0;  // no later expiry can be represented
    }

    TimerSetting current_locked(uint64_t now) {
        count_expirations_locked(now);
        // An armed timer never reads as 0 left (that would mean disarmed).
        uint64_t left = m_deadline == 0 ? 0 : m_deadline > now ? m_deadline - now : 1;
        return { left, m_interval };
    }

    // Queues the event for the next deadline, or wakes at once what waits
    // if expirations are already counted.
    void arm_locked(sched::SchedulerLockGuard& guard) {
        if (m_expirations) {
            m_readers.wake_all(guard);
            m_poll.notify(guard, abi::k_pollin);
        }
        if (m_deadline) {
            m_event.deadline_ns = m_deadline;
            time::timer_queue_add(m_event);
        }
    }

    static void expired(void* context) {  // IRQ context (timer tick)
        auto& timer = *static_cast<TimerFile*>(context);
        sched::SchedulerLockGuard guard;
        if (timer.m_event.queued())
            return;  // set again meanwhile: its new deadline is queued
        timer.count_expirations_locked(arch::monotonic_ns());
        timer.arm_locked(guard);
    }

    int m_clock;
    uint64_t m_deadline { 0 };  // monotonic; 0: disarmed
    uint64_t m_interval { 0 };
    uint64_t m_expirations { 0 };
    time::TimerEvent m_event;
    sched::WaitQueue m_readers;
    fs::PollQueue m_poll;
};

ErrorOr<fs::File*> create_timerfd(int clock, uint32_t file_flags) {
    switch (clock) {
    case abi::k_clock_realtime:
    case abi::k_clock_monotonic:
    case abi::k_clock_boottime:
    case abi::k_clock_realtime_alarm:
    case abi::k_clock_boottime_alarm: break;
    default: return Error::Invalid;
    }
    auto* file = new (std::nothrow) TimerFile(clock, file_flags);
    if (!file)
        return Error::NoMemory;
    return file;
}

TimerFile* as_timerfd(fs::File& file) {
    auto* anonymous = file.anonymous();
    return anonymous && anonymous->kind() == TimerFile::k_kind ? static_cast<TimerFile*>(anonymous) : nullptr;
}

TimerSetting timerfd_set(TimerFile& timer, const TimerSetting& setting, bool absolute) {
    return timer.set(setting, absolute);
}

TimerSetting timerfd_get(TimerFile& timer) { return timer.get(); }

}  // namespace akuma::events
