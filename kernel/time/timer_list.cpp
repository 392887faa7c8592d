#include "kernel/time/timer_list.h"

namespace akuma::time {

namespace {
TimerEvent* event_of(ListNode* node) { return list_owner<TimerEvent, &TimerEvent::link>(node); }
}  // namespace

void TimerList::insert(TimerEvent& event) {
    if (event.queued())
        remove(event);
    // New deadlines are usually the latest, so search from the tail.
    ListNode* before = m_events.back();
    while (before && event_of(before)->deadline_ns > event.deadline_ns)
        before = before->prev;
    m_events.insert_after(before, event.link);
}

bool TimerList::remove(TimerEvent& event) {
    if (!event.queued())
        return false;
    m_events.remove(event.link);
    return true;
}

TimerEvent* TimerList::pop_expired(uint64_t now_ns) {
    TimerEvent* first = event_of(m_events.front());
    if (!first || first->deadline_ns > now_ns)
        return nullptr;
    m_events.remove(first->link);
    return first;
}

std::optional<uint64_t> TimerList::next_deadline() const {
    TimerEvent* first = event_of(m_events.front());
    if (!first)
        return std::nullopt;
    return first->deadline_ns;
}

}  // namespace akuma::time
