// The event queue of one inotify instance (inotify(7)), without locks or
// files: what read(2) of an inotify descriptor returns and in which layout.
// Host-tested (tests/host/inotify_queue_test.cpp).
//
// Rules, as Linux 6.1's inotify:
// - An event equal to the last one queued (same watch, mask and name) and
//   not yet read is merged into it (Linux's inotify_merge); IN_IGNORED is
//   never merged.
// - With `limit` events queued, a new event is dropped and one IN_Q_OVERFLOW
//   event (watch -1) is queued instead, unless the last queued event is
//   already that; it counts as an event. So is running out of memory.
// - read(2) takes whole events from the front, as many as fit; a buffer
//   too small for the first is Invalid (EINVAL). Each record is struct
//   inotify_event (16 bytes) and, for an event with a name, the name padded
//   with NULs to a multiple of 16 bytes (`len` counts the padding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/lib/error_or.h"

namespace akuma::fs {

// <linux/inotify.h>
namespace inotify {
constexpr uint32_t k_access = 0x1;
constexpr uint32_t k_modify = 0x2;
constexpr uint32_t k_attrib = 0x4;
constexpr uint32_t k_close_write = 0x8;
constexpr uint32_t k_close_nowrite = 0x10;
constexpr uint32_t k_open = 0x20;
constexpr uint32_t k_moved_from = 0x40;
constexpr uint32_t k_moved_to = 0x80;
constexpr uint32_t k_create = 0x100;
constexpr uint32_t k_delete = 0x200;
constexpr uint32_t k_delete_self = 0x400;
constexpr uint32_t k_move_self = 0x800;
constexpr uint32_t k_all_events = 0xfff;
constexpr uint32_t k_unmount = 0x2000;
constexpr uint32_t k_queue_overflow = 0x4000;
constexpr uint32_t k_ignored = 0x8000;
constexpr uint32_t k_only_directory = 0x01000000;
constexpr uint32_t k_dont_follow = 0x02000000;
constexpr uint32_t k_exclude_unlinked = 0x04000000;
constexpr uint32_t k_mask_create = 0x10000000;
constexpr uint32_t k_mask_add = 0x20000000;
constexpr uint32_t k_is_directory = 0x40000000;
constexpr uint32_t k_one_shot = 0x80000000;
// Every bit inotify_add_watch knows (a mask with none of them is EINVAL).
constexpr uint32_t k_all_bits = k_all_events | k_unmount | k_queue_overflow | k_ignored | k_only_directory |
                                k_dont_follow | k_exclude_unlinked | k_mask_create | k_mask_add | k_is_directory |
                                k_one_shot;
constexpr size_t k_event_header = 16;  // sizeof(struct inotify_event)
}  // namespace inotify

class InotifyQueue {
public:
    InotifyQueue() = default;
    ~InotifyQueue();
    InotifyQueue(const InotifyQueue&) = delete;
    InotifyQueue& operator=(const InotifyQueue&) = delete;

    // Queues an event (see the rules above). `name` at most 255 bytes.
    void add(int32_t wd, uint32_t mask, uint32_t cookie, std::string_view name, size_t limit);

    bool is_empty() const { return m_head == nullptr; }
    size_t events() const { return m_count; }
    // Bytes of all queued records (FIONREAD).
    size_t bytes() const { return m_bytes; }
    // Moves whole records from the front into `buffer`; returns the bytes
    // used. Invalid if the first does not fit; 0 if the queue is empty.
    ErrorOr<size_t> take(std::span<uint8_t> buffer);
    void clear();

    // The size of one record whose name is `name_length` bytes.
    static constexpr size_t record_size(size_t name_length) {
        return inotify::k_event_header + (name_length ? (name_length + 1 + 15) / 16 * 16 : 0);
    }

private:
    struct Event {
        Event* next;
        int32_t wd;
        uint32_t mask;
        uint32_t cookie;
        uint16_t name_length;
        // The name's bytes follow the event in its allocation.
        char* name() { return reinterpret_cast<char*>(this + 1); }
    };
    void push(Event* event);
    bool tail_is_overflow() const { return m_tail == &m_overflow; }

    Event* m_head { nullptr };
    Event* m_tail { nullptr };
    size_t m_count { 0 };
    size_t m_bytes { 0 };
    // The overflow event needs no memory: it is this one, linked at most once.
    Event m_overflow { nullptr, -1, inotify::k_queue_overflow, 0, 0 };
};

}  // namespace akuma::fs
