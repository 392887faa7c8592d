#include "kernel/events/inotify.h"

#include <new>
#include <utility>

#include "kernel/events/anonymous_file.h"
#include "kernel/fs/poll_queue.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process_credentials.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::events {

namespace abi = linux_abi;
namespace inotify = fs::inotify;

namespace {

constexpr const char* k_kind = "inotify";

class InotifyFile;

struct Watch {
    ListNode registry_link;  // all watches (g_watches)
    ListNode owner_link;     // the instance's
    fs::InodeRef inode;
    InotifyFile* owner;
    int32_t wd;
    uint32_t mask;  // events, IN_ONESHOT, IN_EXCL_UNLINK
};

// What one user (real user ID, as Linux's ucounts) holds.
struct UserCount {
    ListNode link;
    uint32_t uid;
    uint32_t instances;
    uint32_t watches;
};

constinit sched::Mutex g_lock;
constinit IntrusiveList<Watch, &Watch::registry_link> g_watches;
constinit IntrusiveList<UserCount, &UserCount::link> g_users;
constinit uint32_t g_watch_total { 0 };  // atomic: read without the lock
constinit uint32_t g_cookie { 0 };
// Linux's defaults (max_user_watches: its floor, for a small machine).
constinit InotifyLimits g_limits { 16384, 128, 8192 };

UserCount* user_count(uint32_t uid) {
    UserCount* found = nullptr;
    g_users.for_each([&](UserCount& count) {
        if (count.uid == uid)
            found = &count;
    });
    return found;
}

// Drops a user's entry once it counts nothing.
void forget_idle_user(uint32_t uid) {
    UserCount* count = user_count(uid);
    if (count && count->instances == 0 && count->watches == 0) {
        g_users.remove(*count);
        delete count;
    }
}

// g_lock, and the watches that ended meanwhile: freed (their inode
// references dropped) once the lock is let go, since dropping an inode's
// last reference calls into its file system.
class RegistryGuard {
public:
    RegistryGuard() { g_lock.lock(); }
    ~RegistryGuard();
    void bury(Watch& watch) { m_dead.push_back(watch); }

private:
    IntrusiveList<Watch, &Watch::registry_link> m_dead;
};

class InotifyFile final : public AnonymousFile {
public:
    InotifyFile(uint32_t flags, uint32_t uid) : AnonymousFile(flags, k_kind), m_uid(uid) {}
    ~InotifyFile() override;

    fs::ReadContinuation read_continuation() const override { return fs::ReadContinuation::OneCall; }
    bool signals_readiness() const override { return true; }  // O_ASYNC: SIGIO on events

    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t, bool nonblocking) override {
        for (;;) {
            {
                sched::MutexGuard guard(g_lock);
                if (!m_queue.is_empty()) {
                    auto taken = m_queue.take(buffer);
                    publish_locked();
                    return taken;
                }
            }
            if (nonblocking)
                return Error::TryAgain;
            sched::SchedulerLockGuard guard;
            if (__atomic_load_n(&m_ready, __ATOMIC_ACQUIRE))
                continue;
            if (m_readers.wait_interruptible(guard) == sched::WaitResult::Interrupted)
                return Error::Interrupted;
        }
    }

    uint16_t poll_events() override { return __atomic_load_n(&m_ready, __ATOMIC_ACQUIRE) ? abi::k_pollin : 0; }
    fs::PollQueue* poll_queue() override { return &m_poll; }

    ErrorOr<void> ioctl(uint32_t request, uint64_t argument) override {
        if (request != abi::k_fionread)
            return Error::NotATty;
        size_t bytes;
        {
            sched::MutexGuard guard(g_lock);
            bytes = m_queue.bytes();
        }
        return mm::write_user(mm::UserPtr<int32_t>(argument), static_cast<int32_t>(bytes));
    }

    // ---- Under g_lock ----
    void queue_locked(int32_t wd, uint32_t mask, uint32_t cookie, std::string_view name) {
        m_queue.add(wd, mask, cookie, name, g_limits.max_queued_events);
        publish_locked();
        sched::SchedulerLockGuard guard;
        m_readers.wake_all(guard);
        m_poll.notify(guard, abi::k_pollin);
    }
    Watch* find_locked(int32_t wd) {
        Watch* found = nullptr;
        m_watches.for_each([&](Watch& watch) {
            if (watch.wd == wd)
                found = &watch;
        });
        return found;
    }
    Watch* find_locked(const fs::Inode& inode) {
        Watch* found = nullptr;
        m_watches.for_each([&](Watch& watch) {
            if (watch.inode.get() == &inode)
                found = &watch;
        });
        return found;
    }
    // Linux's idr_alloc_cyclic from 1: the wd after the last one given,
    // skipping those in use.
    int32_t next_wd_locked() {
        for (;;) {
            m_last_wd = m_last_wd == 0x7fffffff ? 1 : m_last_wd + 1;
            if (!find_locked(m_last_wd))
                return m_last_wd;
        }
    }
    void attach_locked(Watch& watch) { m_watches.push_back(watch); }
    void detach_locked(Watch& watch) { m_watches.remove(watch); }
    uint32_t uid() const { return m_uid; }

private:
    void publish_locked() { __atomic_store_n(&m_ready, !m_queue.is_empty(), __ATOMIC_RELEASE); }

    uint32_t m_uid;
    fs::InotifyQueue m_queue;
    IntrusiveList<Watch, &Watch::owner_link> m_watches;
    int32_t m_last_wd { 0 };
    bool m_ready { false };  // the queue has events (read under the scheduler lock)
    sched::WaitQueue m_readers;
    fs::PollQueue m_poll;
};

// Ends a watch: out of the registry, its instance and its user's count,
// IN_IGNORED queued unless the instance is going away itself.
void end_watch_locked(RegistryGuard& guard, Watch& watch, bool tell) {
    g_watches.remove(watch);
    watch.owner->detach_locked(watch);
    watch.inode->remove_watch_reference();
    __atomic_sub_fetch(&g_watch_total, 1, __ATOMIC_RELAXED);
    if (UserCount* count = user_count(watch.owner->uid())) {
        --count->watches;
        forget_idle_user(watch.owner->uid());
    }
    if (tell)
        watch.owner->queue_locked(watch.wd, inotify::k_ignored, 0, {});
    guard.bury(watch);
}

RegistryGuard::~RegistryGuard() {
    g_lock.unlock();
    while (Watch* watch = m_dead.pop_front())
        delete watch;  // drops the inode reference
}

InotifyFile::~InotifyFile() {
    RegistryGuard guard;
    while (Watch* watch = m_watches.front())
        end_watch_locked(guard, *watch, false);
    if (UserCount* count = user_count(m_uid)) {
        --count->instances;
        forget_idle_user(m_uid);
    }
}

InotifyFile* as_inotify(fs::File& file) {
    AnonymousFile* anonymous = file.anonymous();
    return anonymous && anonymous->kind() == k_kind ? static_cast<InotifyFile*>(anonymous) : nullptr;
}

}  // namespace

InotifyLimits inotify_limits() {
    sched::MutexGuard guard(g_lock);
    return g_limits;
}

void set_inotify_limits(const InotifyLimits& limits) {
    sched::MutexGuard guard(g_lock);
    g_limits = limits;
}

bool is_inotify(fs::File& file) { return as_inotify(file) != nullptr; }

ErrorOr<fs::File*> create_inotify(uint32_t file_flags) {
    uint32_t uid = proc::current_credentials().uid;
    sched::MutexGuard guard(g_lock);
    UserCount* count = user_count(uid);
    if (!count) {
        count = new (std::nothrow) UserCount { {}, uid, 0, 0 };
        if (!count)
            return Error::NoMemory;
        g_users.push_back(*count);
    }
    if (count->instances >= g_limits.max_user_instances) {
        forget_idle_user(uid);
        return Error::TooManyOpenFiles;
    }
    auto* file = new (std::nothrow) InotifyFile(file_flags, uid);
    if (!file) {
        forget_idle_user(uid);
        return Error::NoMemory;
    }
    ++count->instances;
    return static_cast<fs::File*>(file);
}

ErrorOr<int> add_inotify_watch(fs::File& instance_file, const fs::InodeRef& inode, uint32_t mask) {
    InotifyFile* instance = as_inotify(instance_file);
    if (!instance)
        return Error::Invalid;
    uint32_t kept = mask & (inotify::k_all_events | inotify::k_one_shot | inotify::k_exclude_unlinked);
    RegistryGuard guard;
    if (Watch* existing = instance->find_locked(*inode)) {
        if (mask & inotify::k_mask_create)
            return Error::Exists;
        existing->mask = (mask & inotify::k_mask_add) ? existing->mask | kept : kept;
        return existing->wd;
    }
    UserCount* count = user_count(instance->uid());
    if (!count || count->watches >= g_limits.max_user_watches)
        return Error::NoSpace;
    auto* watch = new (std::nothrow) Watch { {}, {}, inode, instance, instance->next_wd_locked(), kept };
    if (!watch)
        return Error::NoMemory;
    ++count->watches;
    inode->add_watch_reference();
    __atomic_add_fetch(&g_watch_total, 1, __ATOMIC_RELAXED);
    g_watches.push_back(*watch);
    instance->attach_locked(*watch);
    return watch->wd;
}

ErrorOr<void> remove_inotify_watch(fs::File& instance_file, int wd) {
    InotifyFile* instance = as_inotify(instance_file);
    if (!instance)
        return Error::Invalid;
    RegistryGuard guard;
    Watch* watch = instance->find_locked(wd);
    if (!watch)
        return Error::Invalid;
    end_watch_locked(guard, *watch, true);
    return {};
}

bool any_inotify_watches() { return __atomic_load_n(&g_watch_total, __ATOMIC_RELAXED) != 0; }

void deliver_inotify_event(const fs::Inode& inode, uint32_t event, uint32_t cookie, std::string_view name,
                           const fs::Inode* child) {
    if (!inode.watch_count())
        return;
    RegistryGuard guard;
    g_watches.for_each([&](Watch& watch) {
        if (watch.inode.get() != &inode || !(watch.mask & event & inotify::k_all_events))
            return;
        // IN_EXCL_UNLINK: a directory watch hears nothing of children
        // that lost their name.
        if (!name.empty() && (watch.mask & inotify::k_exclude_unlinked) && child && child->nlink() == 0)
            return;
        watch.owner->queue_locked(watch.wd, event, cookie, name);
        if (watch.mask & inotify::k_one_shot)
            end_watch_locked(guard, watch, true);
    });
}

void end_inotify_watches(const fs::Inode& inode) {
    if (!inode.watch_count())
        return;
    RegistryGuard guard;
    // IN_DELETE_SELF, then IN_IGNORED (an instance has one watch per inode).
    g_watches.for_each([&](Watch& watch) {
        if (watch.inode.get() != &inode)
            return;
        if (watch.mask & inotify::k_delete_self)
            watch.owner->queue_locked(watch.wd, inotify::k_delete_self, 0, {});
        end_watch_locked(guard, watch, true);
    });
}

void end_inotify_watches_of(const fs::FileSystem& fs) {
    if (!any_inotify_watches())
        return;
    RegistryGuard guard;
    g_watches.for_each([&](Watch& watch) {
        if (&watch.inode->file_system() != &fs)
            return;
        uint32_t event = inotify::k_unmount | (watch.inode->is_directory() ? inotify::k_is_directory : 0);
        watch.owner->queue_locked(watch.wd, event, 0, {});
        end_watch_locked(guard, watch, true);
    });
}

uint32_t next_inotify_cookie() { return __atomic_add_fetch(&g_cookie, 1, __ATOMIC_RELAXED); }

}  // namespace akuma::events
