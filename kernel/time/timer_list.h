// One-shot timer events in deadline order: the hardware-independent part of
// the timer queue (timer_queue.h adds the lock and the tick). Events are
// owned by the caller and linked in place, so nothing is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/lib/intrusive_list.h"

namespace akuma::time {

struct TimerEvent {
    uint64_t deadline_ns { 0 };  // monotonic_ns() at or after which the callback runs
    void (*callback)(void* context) { nullptr };
    void* context { nullptr };

    ListNode link;  // owned by the list

    bool queued() const { return link.linked; }
};

class TimerList {
public:
    constexpr TimerList() = default;
    TimerList(const TimerList&) = delete;
    TimerList& operator=(const TimerList&) = delete;

    // Inserts after every event with a deadline <= this one (equal deadlines
    // fire in insertion order). An event already queued is moved.
    void insert(TimerEvent& event);

    // Unlinks the event; false if it was not queued (never added, already
    // expired, or cancelled before).
    bool remove(TimerEvent& event);

    // Unlinks and returns the earliest event if its deadline is <= now.
    TimerEvent* pop_expired(uint64_t now_ns);

    std::optional<uint64_t> next_deadline() const;
    bool is_empty() const { return m_events.is_empty(); }
    size_t size() const { return m_events.size(); }

private:
    NodeQueue m_events;  // sorted by deadline
};

}  // namespace akuma::time
