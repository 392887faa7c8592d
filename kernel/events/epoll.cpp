#include "kernel/events/epoll.h"

#include <new>

#include "kernel/events/anonymous_file.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/mm/user_access.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::events {

namespace abi = linux_abi;

namespace {

// Bits that are flags, not events (Linux's EP_PRIVATE_BITS): what is left
// of a fired EPOLLONESHOT item's mask.
constexpr uint32_t k_private_bits = k_epoll_wakeup | k_epoll_oneshot | k_epoll_edge_triggered | k_epoll_exclusive;
// What EPOLLEXCLUSIVE may come with (Linux's EPOLLEXCLUSIVE_OK_BITS).
constexpr uint32_t k_exclusive_ok_bits = abi::k_pollin | abi::k_pollout | abi::k_pollerr | abi::k_pollhup |
                                         k_epoll_wakeup | k_epoll_edge_triggered | k_epoll_exclusive;
constexpr int k_max_nesting = 4;  // Linux's EP_MAX_NESTS

}  // namespace

// One watched (description, descriptor) pair.
struct EpollItem final : fs::PollHook, fs::FileWatch {
    EpollFile* owner { nullptr };
    fs::File* file { nullptr };  // no reference: the item goes when the file does
    int fd { -1 };
    uint32_t events { 0 };       // asked for, with EPOLLERR | EPOLLHUP and the flags (scheduler lock)
    uint64_t data { 0 };
    fs::PollQueue* queue { nullptr };
    ListNode ready_link;         // in the owner's ready list (scheduler lock)
    ListNode item_link;          // in the owner's interest list (watch lock)

    bool notify(sched::SchedulerLockGuard& guard, uint16_t key) override;
    void file_released(fs::File& released) override;
};

class EpollFile final : public AnonymousFile {
public:
    static constexpr const char* k_kind = "[eventpoll]";
    EpollFile() : AnonymousFile(abi::k_o_rdwr, k_kind) {}
    ~EpollFile() override;

    uint16_t poll_events() override;
    fs::PollQueue* poll_queue() override { return &m_poll; }

    EpollItem* find(const fs::File& file, int fd) const {
        EpollItem* found = nullptr;
        m_items.for_each([&](EpollItem& item) {
            if (!found && item.file == &file && item.fd == fd)
                found = &item;
        });
        return found;
    }
    // Whether `target` is this epoll or is reached from it through watched
    // epolls, or the nesting goes deeper than Linux allows.
    bool reaches(const EpollFile& target, int depth) const;
    // Takes the item out of every list and frees it (watch lock held).
    void remove(EpollItem& item);
    // Puts the item on the ready list if it is not there and wakes whoever
    // waits for this epoll (scheduler lock held).
    void make_ready_locked(sched::SchedulerLockGuard& guard, EpollItem& item);
    // Looks at the item's file now: ready for what it watches?
    void check_now(EpollItem& item);
    // Reports ready events to user memory (watch lock held): the count, or
    // Fault if not even the first could be written.
    ErrorOr<size_t> harvest(uint64_t user_events, int max_events);

    IntrusiveList<EpollItem, &EpollItem::item_link> m_items;   // watch lock
    IntrusiveList<EpollItem, &EpollItem::ready_link> m_ready;  // scheduler lock
    sched::WaitQueue m_waiters;
    fs::PollQueue m_poll;  // poll/select/epoll watching this epoll
};

bool EpollItem::notify(sched::SchedulerLockGuard& guard, uint16_t key) {
    uint32_t watched = events & ~k_private_bits;
    if (watched == 0)
        return false;  // a fired one-shot item
    if (key != fs::k_poll_any_event && !(key & watched))
        return false;  // not what it waits for (a pipe's reader made room)
    owner->make_ready_locked(guard, *this);
    return true;
}

void EpollItem::file_released(fs::File&) { owner->remove(*this); }

void EpollFile::make_ready_locked(sched::SchedulerLockGuard& guard, EpollItem& item) {
    if (!item.ready_link.linked)
        m_ready.push_back(item);
    m_waiters.wake_all(guard);
    m_poll.notify(guard, abi::k_pollin | abi::k_pollrdnorm);
}

void EpollFile::remove(EpollItem& item) {
    {
        sched::SchedulerLockGuard guard;
        if (item.queue)
            item.queue->remove(guard, item);
        if (item.ready_link.linked)
            m_ready.remove(item);
    }
    m_items.remove(item);
    item.file->remove_watch(item);
    delete &item;
}

EpollFile::~EpollFile() {
    sched::MutexGuard guard(fs::file_watch_lock());
    while (EpollItem* item = m_items.front())
        remove(*item);
}

bool EpollFile::reaches(const EpollFile& target, int depth) const {
    if (depth > k_max_nesting)
        return true;
    bool found = false;
    m_items.for_each([&](EpollItem& item) {
        EpollFile* nested = as_epoll(*item.file);
        if (!found && nested && (nested == &target || nested->reaches(target, depth + 1)))
            found = true;
    });
    return found;
}

void EpollFile::check_now(EpollItem& item) {
    uint16_t ready = item.file->poll_events();
    sched::SchedulerLockGuard guard;
    if (ready & item.events & ~k_private_bits)
        make_ready_locked(guard, item);
}

uint16_t EpollFile::poll_events() {
    // Readable when an item on the ready list has its events now (Linux's
    // ep_eventpoll_poll). An epoll watching this one already holds the lock.
    bool lock_here = !fs::file_watch_lock().is_held_by_current_thread();
    if (lock_here)
        fs::file_watch_lock().lock();
    bool ready = false;
    m_items.for_each([&](EpollItem& item) {
        if (ready)
            return;
        bool queued;
        uint32_t watched;
        {
            sched::SchedulerLockGuard guard;
            queued = item.ready_link.linked;
            watched = item.events & ~k_private_bits;
        }
        if (queued && (item.file->poll_events() & watched))
            ready = true;
    });
    if (lock_here)
        fs::file_watch_lock().unlock();
    return ready ? abi::k_pollin | abi::k_pollrdnorm : 0;
}

ErrorOr<size_t> EpollFile::harvest(uint64_t user_events, int max_events) {
    // The ready list moves to a private list; each item leaves it before
    // its file is asked, so a notification meanwhile queues it again.
    IntrusiveList<EpollItem, &EpollItem::ready_link> taken;
    {
        sched::SchedulerLockGuard guard;
        while (EpollItem* item = m_ready.pop_front())
            taken.push_back(*item);
    }
    size_t count = 0;
    bool fault = false;
    for (;;) {
        EpollItem* item;
        {
            sched::SchedulerLockGuard guard;
            if (count == static_cast<size_t>(max_events) || fault)
                break;
            item = taken.pop_front();
        }
        if (!item)
            break;
        uint32_t ready = item->file->poll_events();
        uint32_t watched;
        {
            sched::SchedulerLockGuard guard;
            watched = item->events & ~k_private_bits;
        }
        if (!(ready & watched))
            continue;  // not ready after all: off the list until notified
        // No scheduler lock over the copy: a fault may sleep.
        EpollEvent event { ready & watched, item->data };
        bool copied = !mm::copy_to_user(mm::UserPtr<void>(user_events + count * sizeof(EpollEvent)), &event,
                                        sizeof event)
                           .is_error();
        sched::SchedulerLockGuard guard;
        if (!copied) {
            if (!item->ready_link.linked)
                taken.push_back(*item);  // still ready: back with the others
            fault = true;
            continue;
        }
        ++count;
        if (item->events & k_epoll_oneshot)
            item->events &= k_private_bits;
        else if (!(item->events & k_epoll_edge_triggered) && !item->ready_link.linked)
            m_ready.push_back(*item);  // level-triggered: looked at again next time
    }
    {
        // What was not looked at stays ready, ahead of the rest (as Linux
        // splices it back to the head).
        sched::SchedulerLockGuard guard;
        IntrusiveList<EpollItem, &EpollItem::ready_link> rest;
        while (EpollItem* item = m_ready.pop_front())
            rest.push_back(*item);
        while (EpollItem* item = taken.pop_front())
            m_ready.push_back(*item);
        while (EpollItem* item = rest.pop_front())
            m_ready.push_back(*item);
        if (!m_ready.is_empty()) {
            // Other waiters may take what this call left (as Linux's ep_done_scan).
            m_waiters.wake_all(guard);
            m_poll.notify(guard, abi::k_pollin | abi::k_pollrdnorm);
        }
    }
    if (fault && count == 0)
        return Error::Fault;
    return count;
}

EpollFile* as_epoll(fs::File& file) {
    auto* anonymous = file.anonymous();
    return anonymous && anonymous->kind() == EpollFile::k_kind ? static_cast<EpollFile*>(anonymous) : nullptr;
}

ErrorOr<fs::File*> create_epoll() {
    auto* file = new (std::nothrow) EpollFile();
    if (!file)
        return Error::NoMemory;
    return file;
}

ErrorOr<void> epoll_control(EpollFile& epoll, EpollOp op, fs::File& target, int fd, const EpollEvent& event) {
    if (&target == &epoll)
        return Error::Invalid;
    if (!target.poll_queue())
        return Error::NotPermitted;  // no poll method: Linux's EPERM
    uint32_t events = event.events;
    if (op != EpollOp::Remove && (events & k_epoll_exclusive)) {
        if (op == EpollOp::Modify || as_epoll(target) || (events & ~k_exclusive_ok_bits))
            return Error::Invalid;
    }
    events |= abi::k_pollerr | abi::k_pollhup;
    sched::MutexGuard guard(fs::file_watch_lock());
    EpollItem* item = epoll.find(target, fd);
    switch (op) {
    case EpollOp::Add: {
        if (item)
            return Error::Exists;
        if (EpollFile* nested = as_epoll(target); nested && (nested == &epoll || nested->reaches(epoll, 1)))
            return Error::SymlinkLoop;
        item = new (std::nothrow) EpollItem();
        if (!item)
            return Error::NoMemory;
        item->owner = &epoll;
        item->file = &target;
        item->fd = fd;
        item->data = event.data;
        item->queue = target.poll_queue();
        item->exclusive = (events & k_epoll_exclusive) != 0;
        {
            sched::SchedulerLockGuard lock;
            item->events = events;
            item->queue->add(lock, *item);
        }
        epoll.m_items.push_back(*item);
        target.add_watch(*item);
        epoll.check_now(*item);
        return {};
    }
    case EpollOp::Modify: {
        if (!item)
            return Error::NotFound;
        if (item->exclusive)
            return Error::Invalid;
        {
            sched::SchedulerLockGuard lock;
            item->events = events;
            item->data = event.data;
        }
        epoll.check_now(*item);
        return {};
    }
    case EpollOp::Remove:
        if (!item)
            return Error::NotFound;
        epoll.remove(*item);
        return {};
    }
    return Error::Invalid;
}

ErrorOr<size_t> epoll_wait(EpollFile& epoll, uint64_t user_events, int max_events, bool no_wait,
                           uint64_t deadline_ns) {
    bool timed_out = no_wait;
    for (;;) {
        {
            sched::MutexGuard guard(fs::file_watch_lock());
            size_t count = TRY(epoll.harvest(user_events, max_events));
            if (count > 0)
                return count;
        }
        if (sched::current_thread()->signal_pending)
            return Error::Interrupted;
        if (timed_out)
            return size_t { 0 };
        sched::SchedulerLockGuard guard;
        if (!epoll.m_ready.is_empty())
            continue;
        auto result = epoll.m_waiters.wait_interruptible(guard, deadline_ns);
        if (result == sched::WaitResult::TimedOut)
            timed_out = true;
    }
}

}  // namespace akuma::events
