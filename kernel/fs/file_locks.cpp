#include "kernel/fs/file_locks.h"

#include <new>

#include "kernel/fs/file.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::fs {

namespace {

struct Lock {
    ListNode link;
    const void* node;
    const void* owner;
    int pid;
    LockKind kind;
    bool write;
    uint64_t start;
    uint64_t end;
};

// Under the scheduler lock.
constinit IntrusiveList<Lock, &Lock::link> g_locks;
constinit uint64_t g_lock_count = 0;  // read without the lock only as a hint
// Everyone waiting for some lock: woken whenever a lock goes or shrinks.
constinit sched::WaitQueue g_waiters;

// F_SETLKW waiters of process-owned record locks, with the owner of the
// lock each waits for (cleared at every wake-up: each looks again), for
// Linux's deadlock detection. On the waiters' stacks.
struct Blocked {
    ListNode link;
    const void* owner;
    const void* waits_for;
};
constinit IntrusiveList<Blocked, &Blocked::link> g_blocked;

void wake_waiters_locked(sched::SchedulerLockGuard& guard) {
    g_blocked.for_each([](Blocked& blocked) { blocked.waits_for = nullptr; });
    g_waiters.wake_all(guard);
}

// Linux's posix_locks_deadlock: follows "the owner of the lock in the way
// waits for a lock of ..." up to 10 steps; true if it comes back to us.
bool would_deadlock_locked(const void* requester, const void* holder) {
    for (int step = 0; step < 10 && holder; ++step) {
        const void* next = nullptr;
        g_blocked.for_each([&](Blocked& blocked) {
            if (!next && blocked.owner == holder)
                next = blocked.waits_for;
        });
        if (next == requester)
            return true;
        holder = next;
    }
    return false;
}

bool overlaps(const Lock& lock, uint64_t start, uint64_t end) { return lock.start < end && start < lock.end; }

const Lock* find_conflict_locked(const LockRequest& request) {
    const Lock* found = nullptr;
    g_locks.for_each([&](Lock& lock) {
        if (found || lock.node != request.node || lock.kind != request.kind || lock.owner == request.owner)
            return;
        if (overlaps(lock, request.start, request.end) && (lock.write || request.type == LockType::Write))
            found = &lock;
    });
    return found;
}

// Spare records for one change: a change splits at most one lock in two
// and adds one, so two are enough.
struct Spares {
    Lock* records[2] {};
    Lock* take() {
        for (auto*& record : records) {
            if (record) {
                Lock* taken = record;
                record = nullptr;
                return taken;
            }
        }
        return nullptr;
    }
    ~Spares() {
        for (auto* record : records)
            delete record;
    }
};

// The owner's locks over [start, end) are cut out (splitting one that
// reaches past both ends); removed records go to `freed`.
void cut_locked(const LockRequest& request, Spares& spares, IntrusiveList<Lock, &Lock::link>& freed) {
    g_locks.for_each([&](Lock& lock) {
        if (lock.node != request.node || lock.kind != request.kind || lock.owner != request.owner ||
            !overlaps(lock, request.start, request.end))
            return;
        if (lock.start < request.start && lock.end > request.end) {
            Lock* tail = spares.take();  // always there: see Spares
            *tail = lock;
            tail->link = {};
            tail->start = request.end;
            lock.end = request.start;
            g_locks.push_back(*tail);
            ++g_lock_count;
        } else if (lock.start < request.start) {
            lock.end = request.start;
        } else if (lock.end > request.end) {
            lock.start = request.end;
        } else {
            g_locks.remove(lock);
            --g_lock_count;
            freed.push_back(lock);
        }
    });
}

void free_all(IntrusiveList<Lock, &Lock::link>& freed) {
    while (Lock* lock = freed.pop_front())
        delete lock;
}

}  // namespace

ErrorOr<void> set_lock(const LockRequest& request) {
    if (request.start >= request.end)
        return Error::Invalid;
    Spares spares;
    for (auto*& record : spares.records) {
        record = new (std::nothrow) Lock {};
        if (!record)
            return Error::NoMemory;
    }
    IntrusiveList<Lock, &Lock::link> freed;
    // Process-owned record locks only (OFD locks report pid -1; flock
    // locks are not checked either, as Linux).
    bool detect = request.kind == LockKind::Record && request.pid >= 0;
    Blocked self { {}, request.owner, nullptr };
    {
        sched::SchedulerLockGuard guard;
        struct Unlist {
            Blocked& self;
            ~Unlist() {
                if (self.link.linked)
                    g_blocked.remove(self);
            }
        } unlist { self };
        if (request.type != LockType::Unlock) {
            while (const Lock* conflict = find_conflict_locked(request)) {
                if (!request.wait)
                    return Error::TryAgain;
                if (detect && conflict->pid >= 0) {
                    if (would_deadlock_locked(request.owner, conflict->owner))
                        return Error::DeadlockAvoided;
                    self.waits_for = conflict->owner;
                    if (!self.link.linked)
                        g_blocked.push_back(self);
                }
                if (g_waiters.wait_interruptible(guard) == sched::WaitResult::Interrupted)
                    return Error::Interrupted;
            }
        }
        cut_locked(request, spares, freed);
        if (request.type != LockType::Unlock) {
            Lock* lock = spares.take();
            *lock = Lock { {}, request.node, request.owner, request.pid, request.kind,
                           request.type == LockType::Write, request.start, request.end };
            g_locks.push_back(*lock);
            ++g_lock_count;
        }
        // A lock went, shrank or turned from write to read: waiters look again.
        wake_waiters_locked(guard);
    }
    free_all(freed);
    return {};
}

ErrorOr<bool> test_lock(const LockRequest& request, LockConflict& conflict) {
    if (request.start >= request.end)
        return Error::Invalid;
    sched::SchedulerLockGuard guard;
    const Lock* found = find_conflict_locked(request);
    if (!found)
        return false;
    conflict = { found->write ? LockType::Write : LockType::Read, found->start, found->end, found->pid };
    return true;
}

namespace {

template <typename Match>
void release_matching(Match&& match) {
    if (__atomic_load_n(&g_lock_count, __ATOMIC_RELAXED) == 0)
        return;  // the common case: nobody holds any lock
    IntrusiveList<Lock, &Lock::link> freed;
    {
        sched::SchedulerLockGuard guard;
        bool any = false;
        g_locks.for_each([&](Lock& lock) {
            if (match(lock)) {
                g_locks.remove(lock);
                --g_lock_count;
                freed.push_back(lock);
                any = true;
            }
        });
        if (any)
            wake_waiters_locked(guard);
    }
    free_all(freed);
}

}  // namespace

void release_owner_locks(const void* owner, const void* node) {
    release_matching([&](const Lock& lock) {
        return lock.owner == owner && lock.node == node && lock.kind == LockKind::Record;
    });
}

void release_description_locks(const File& file) {
    release_matching([&](const Lock& lock) { return lock.owner == &file; });
}

}  // namespace akuma::fs
