#include "kernel/time/timer_list.h"

namespace akuma::time {

void TimerList::insert(TimerEvent& event) {
    if (event.queued)
        remove(event);
    // New deadlines are usually the latest, so search from the tail.
    TimerEvent* before = m_tail;
    while (before && before->deadline_ns > event.deadline_ns)
        before = before->prev;
    event.prev = before;
    event.next = before ? before->next : m_head;
    if (event.next)
        event.next->prev = &event;
    else
        m_tail = &event;
    if (before)
        before->next = &event;
    else
        m_head = &event;
    event.queued = true;
    ++m_size;
}

bool TimerList::remove(TimerEvent& event) {
    if (!event.queued)
        return false;
    if (event.prev)
        event.prev->next = event.next;
    else
        m_head = event.next;
    if (event.next)
        event.next->prev = event.prev;
    else
        m_tail = event.prev;
    event.prev = event.next = nullptr;
    event.queued = false;
    --m_size;
    return true;
}

TimerEvent* TimerList::pop_expired(uint64_t now_ns) {
    if (!m_head || m_head->deadline_ns > now_ns)
        return nullptr;
    TimerEvent* event = m_head;
    remove(*event);
    return event;
}

std::optional<uint64_t> TimerList::next_deadline() const {
    if (!m_head)
        return std::nullopt;
    return m_head->deadline_ns;
}

}  // namespace akuma::time
