#include "kernel/fs/inotify_queue.h"

#include "kernel/mm/kmalloc.h"

namespace akuma::fs {

InotifyQueue::~InotifyQueue() { clear(); }

void InotifyQueue::push(Event* event) {
    event->next = nullptr;
    if (m_tail)
        m_tail->next = event;
    else
        m_head = event;
    m_tail = event;
    ++m_count;
    m_bytes += record_size(event->name_length);
}

void InotifyQueue::add(int32_t wd, uint32_t mask, uint32_t cookie, std::string_view name, size_t limit) {
    if (m_count >= limit) {
        if (!tail_is_overflow())
            push(&m_overflow);
        return;
    }
    if (m_tail && !tail_is_overflow() && !(m_tail->mask & inotify::k_ignored) && m_tail->wd == wd &&
        m_tail->mask == mask && std::string_view(m_tail->name(), m_tail->name_length) == name)
        return;
    auto* event = static_cast<Event*>(mm::kmalloc(sizeof(Event) + name.size()));
    if (!event) {
        // As Linux: a lost event is an overflow for the reader.
        if (!tail_is_overflow())
            push(&m_overflow);
        return;
    }
    event->wd = wd;
    event->mask = mask;
    event->cookie = cookie;
    event->name_length = static_cast<uint16_t>(name.size());
    __builtin_memcpy(event->name(), name.data(), name.size());
    push(event);
}

ErrorOr<size_t> InotifyQueue::take(std::span<uint8_t> buffer) {
    size_t used = 0;
    while (m_head) {
        Event* event = m_head;
        size_t size = record_size(event->name_length);
        if (size > buffer.size() - used) {
            if (used == 0)
                return Error::Invalid;
            break;
        }
        uint8_t* out = buffer.data() + used;
        uint32_t length = static_cast<uint32_t>(size - inotify::k_event_header);
        __builtin_memcpy(out, &event->wd, 4);
        __builtin_memcpy(out + 4, &event->mask, 4);
        __builtin_memcpy(out + 8, &event->cookie, 4);
        __builtin_memcpy(out + 12, &length, 4);
        if (length) {
            __builtin_memset(out + inotify::k_event_header, 0, length);
            __builtin_memcpy(out + inotify::k_event_header, event->name(), event->name_length);
        }
        used += size;
        m_head = event->next;
        if (!m_head)
            m_tail = nullptr;
        --m_count;
        m_bytes -= size;
        if (event != &m_overflow)
            mm::kfree(event);
    }
    return used;
}

void InotifyQueue::clear() {
    while (Event* event = m_head) {
        m_head = event->next;
        if (event != &m_overflow)
            mm::kfree(event);
    }
    m_tail = nullptr;
    m_count = 0;
    m_bytes = 0;
}

}  // namespace akuma::fs
