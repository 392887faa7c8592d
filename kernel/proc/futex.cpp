#include "kernel/proc/futex.h"

#include <new>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::proc {

namespace {

// One record per waiting thread, on its kernel stack. The list is short
// (one entry per blocked thread) and guarded by the scheduler lock.
struct Waiter {
    const AddressSpace* space;  // nullptr: `address` is physical (shared memory)
    uint64_t address;
    uint32_t bits;              // FUTEX_WAIT_BITSET's mask
    bool woken;
    sched::WaitQueue queue;
    ListNode link;
    // FUTEX_LOCK_PI: the owner's TID the waiter saw, and whether that
    // thread has ended since (futex_pi_owner_exited).
    int pi_owner = 0;
    bool pi_owner_exited = false;
    // futex_waitv: one of several records of one thread, which sleeps on
    // the group's queue and learns which of its words woke it.
    struct Group* group = nullptr;
    int index = 0;
};

struct Group {
    sched::WaitQueue queue;
    int woken_index = -1;
};

// Marks the waiter woken (off the list already) and wakes its thread.
void wake_waiter_locked(sched::SchedulerLockGuard& guard, Waiter& waiter) {
    waiter.woken = true;
    if (!waiter.group) {
        waiter.queue.wake_one(guard);
        return;
    }
    if (waiter.group->woken_index < 0)
        waiter.group->woken_index = waiter.index;
    waiter.group->queue.wake_one(guard);
}

constinit IntrusiveList<Waiter, &Waiter::link> g_waiters {};

struct Key {
    const AddressSpace* space;
    uint64_t address;
};

Key key_for(AddressSpace* space, uint64_t address) {
    if (auto physical = space->shared_physical_address(address))
        return { nullptr, *physical };
    return { space, address };
}

}  // namespace

constinit void (*futex_wait_window_hook)() = nullptr;

ErrorOr<void> futex_wait(AddressSpace* space, uint64_t address, uint32_t expected, uint64_t deadline, uint32_t bits) {
    Key key = key_for(space, address);
    Waiter waiter { key.space, key.address, bits, false, {}, {}, 0, false };
    // Enqueue first, then read the word (it may fault, so not under the
    // lock). A waker that changed the word before our read is seen by the
    // read; one that changes it after our read finds us in the list. Read
    // first and enqueue after, and a waker running in between is lost.
    {
        sched::SchedulerLockGuard guard;
        g_waiters.push_back(waiter);
    }
    auto value = mm::read_user(mm::UserPtr<const uint32_t>(address));
    if (futex_wait_window_hook)
        futex_wait_window_hook();
    sched::SchedulerLockGuard guard;
    if (waiter.woken)
        return {};
    if (value.is_error() || value.value() != expected) {
        g_waiters.remove(waiter);
        return value.is_error() ? value.error() : Error::TryAgain;
    }
    auto result = sched::WaitResult::Woken;
    while (!waiter.woken && result == sched::WaitResult::Woken)
        result = waiter.queue.wait_interruptible(guard, deadline);
    if (waiter.woken)
        return {};
    g_waiters.remove(waiter);
    return result == sched::WaitResult::Interrupted ? Error::Interrupted : Error::TimedOut;
}

namespace {

// Wakes up to `count` waiters on `key` sharing a bit with `bits`, then
// moves up to `move_count` more to `to` (scheduler lock held). Returns
// how many were woken and moved.
uint64_t wake_and_move_locked(sched::SchedulerLockGuard& guard, Key key, uint64_t count, uint32_t bits,
                              const Key* to, uint64_t move_count) {
    uint64_t woken = 0;
    uint64_t moved = 0;
    for (Waiter* waiter = g_waiters.front(); waiter && (woken < count || (to && moved < move_count));) {
        Waiter* next = list_owner<Waiter, &Waiter::link>(waiter->link.next);
        if (waiter->space == key.space && waiter->address == key.address && (waiter->bits & bits)) {
            if (woken < count) {
                g_waiters.remove(*waiter);
                wake_waiter_locked(guard, *waiter);
                ++woken;
            } else {
                // Waits on the other word from now on (its own queue stays).
                waiter->space = to->space;
                waiter->address = to->address;
                ++moved;
            }
        }
        waiter = next;
    }
    return woken + moved;
}

// FUTEX_WAKE_OP's operation on `old`: the new value, or nullopt for an
// unknown one.
std::optional<uint32_t> apply_operation(uint32_t old, unsigned operation, uint32_t argument) {
    switch (operation) {
    case 0: return argument;            // FUTEX_OP_SET
    case 1: return old + argument;      // FUTEX_OP_ADD
    case 2: return old | argument;      // FUTEX_OP_OR
    case 3: return old & ~argument;     // FUTEX_OP_ANDN
    case 4: return old ^ argument;      // FUTEX_OP_XOR
    default: return std::nullopt;
    }
}

std::optional<bool> compare(int32_t old, unsigned comparison, int32_t argument) {
    switch (comparison) {
    case 0: return old == argument;  // FUTEX_OP_CMP_EQ
    case 1: return old != argument;  // NE
    case 2: return old < argument;   // LT
    case 3: return old <= argument;  // LE
    case 4: return old > argument;   // GT
    case 5: return old >= argument;  // GE
    default: return std::nullopt;
    }
}

int32_t sign_extend_12(uint32_t value) { return static_cast<int32_t>(value << 20) >> 20; }

}  // namespace

uint64_t futex_wake(AddressSpace* space, uint64_t address, uint64_t count, uint32_t bits) {
    Key key = key_for(space, address);
    sched::SchedulerLockGuard guard;
    return wake_and_move_locked(guard, key, count, bits, nullptr, 0);
}

ErrorOr<uint64_t> futex_requeue(AddressSpace* space, uint64_t address, uint64_t wake_count, uint64_t target,
                                uint64_t requeue_count, const uint32_t* expected) {
    Key key = key_for(space, address);
    Key to = key_for(space, target);
    if (expected) {
        // As futex_wait's read: a waiter enqueued before this read is
        // moved; one that reads the word after it sees the changed value.
        uint32_t value = TRY(mm::read_user(mm::UserPtr<const uint32_t>(address)));
        if (value != *expected)
            return Error::TryAgain;
    }
    sched::SchedulerLockGuard guard;
    return wake_and_move_locked(guard, key, wake_count, k_futex_any_bits, &to, requeue_count);
}

ErrorOr<uint64_t> futex_wake_op(AddressSpace* space, uint64_t address, uint64_t wake_count, uint64_t target,
                                uint64_t target_wake_count, uint32_t operation) {
    // Linux's encoding: op (4 bits, 8 = "argument is a shift"), cmp (4),
    // oparg (12, signed), cmparg (12, signed).
    unsigned op = (operation >> 28) & 7;
    bool shift = operation & (8u << 28);
    unsigned comparison = (operation >> 24) & 15;
    int32_t argument = sign_extend_12(operation >> 12);
    int32_t comparison_argument = sign_extend_12(operation);
    if (shift)
        argument = static_cast<int32_t>(1u << (static_cast<uint32_t>(argument) & 31));
    if (!apply_operation(0, op, 0))
        return Error::NotImplemented;
    mm::UserPtr<uint32_t> word(target);
    uint32_t old = TRY(mm::read_user(mm::UserPtr<const uint32_t>(target)));
    for (;;) {
        uint32_t found = TRY(mm::compare_exchange_user(word, old, *apply_operation(old, op, argument)));
        if (found == old)
            break;
        old = found;  // another thread changed it meanwhile
    }
    auto passed = compare(static_cast<int32_t>(old), comparison, comparison_argument);
    if (!passed)
        return Error::NotImplemented;  // Linux changed the word too, then said ENOSYS
    Key key = key_for(space, address);
    Key other = key_for(space, target);
    sched::SchedulerLockGuard guard;
    uint64_t woken = wake_and_move_locked(guard, key, wake_count, k_futex_any_bits, nullptr, 0);
    if (*passed)
        woken += wake_and_move_locked(guard, other, target_wake_count, k_futex_any_bits, nullptr, 0);
    return woken;
}

// ---- PI futexes ----
//
// The word holds the owner's TID, FUTEX_WAITERS once someone sleeps for it
// and FUTEX_OWNER_DIED after a robust owner died. Waiters sleep on the word
// like FUTEX_WAIT's, and every wake-up sends them back to try the word
// again: an unlock clears the word and wakes one, which then takes it
// (Linux hands the lock to the top waiter directly; a third thread may get
// there first here, which Linux allows too for waiters of equal priority).
// Akuma's scheduler does not act on priorities, so there is nothing to
// inherit: the locks have Linux's protocol and errors without the boost.

namespace {

constexpr uint32_t k_waiters = 0x80000000;     // FUTEX_WAITERS
constexpr uint32_t k_owner_died = 0x40000000;  // FUTEX_OWNER_DIED
constexpr uint32_t k_tid_mask = 0x3fffffff;

bool thread_exists(int tid) {
    sched::SchedulerLockGuard guard;
    return find_task_locked(tid) != nullptr;
}

bool others_wait_locked(Key key, const Waiter* except) {
    bool found = false;
    g_waiters.for_each([&](Waiter& waiter) {
        if (&waiter != except && waiter.space == key.space && waiter.address == key.address)
            found = true;
    });
    return found;
}

// One attempt at a free word: our TID in, OWNER_DIED kept, FUTEX_WAITERS
// if others still wait. True if we own it now.
ErrorOr<bool> take_free_word(mm::UserPtr<uint32_t> word, uint32_t seen, int tid, Key key, const Waiter* self) {
    bool others;
    {
        sched::SchedulerLockGuard guard;
        others = others_wait_locked(key, self);
    }
    uint32_t wanted = static_cast<uint32_t>(tid) | (seen & k_owner_died) | (others ? k_waiters : 0);
    return TRY(mm::compare_exchange_user(word, seen, wanted)) == seen;
}

}  // namespace

ErrorOr<void> futex_lock_pi(AddressSpace* space, uint64_t address, int tid, uint64_t deadline_ns, bool try_only) {
    Key key = key_for(space, address);
    mm::UserPtr<uint32_t> word(address);
    Waiter waiter { key.space, key.address, k_futex_any_bits, false, {}, {}, 0, false };
    bool owner_exited = false;
    for (;;) {
        uint32_t value = TRY(mm::read_user(mm::UserPtr<const uint32_t>(address)));
        int owner = static_cast<int>(value & k_tid_mask);
        // (An exited owner is told by futex_pi_owner_exited, before its task
        // leaves the thread list: the flag, not a lookup, says it is gone.)
        if (owner == 0 || (owner_exited && owner == waiter.pi_owner)) {
            // Free, or its owner ended while we waited: Linux hands such
            // a lock on, marked FUTEX_OWNER_DIED. Ours if the word holds
            // still.
            uint32_t seen = owner == 0 ? value : ((value & ~k_tid_mask) | k_owner_died);
            if (owner != 0 && TRY(mm::compare_exchange_user(word, value, seen)) != value)
                continue;
            if (TRY(take_free_word(word, seen, tid, key, nullptr)))
                return {};
            continue;
        }
        if (owner == tid)
            return Error::DeadlockAvoided;
        if (!thread_exists(owner))
            return Error::NoSuchProcess;  // a TID no thread has (Linux's attach_to_pi_owner)
        if (try_only)
            return Error::TryAgain;
        // Enqueue, then mark the word, then check it held still: an unlock
        // in between either sees us (and wakes us) or changed the word.
        waiter.pi_owner = owner;
        waiter.pi_owner_exited = false;
        waiter.woken = false;
        {
            sched::SchedulerLockGuard guard;
            g_waiters.push_back(waiter);
        }
        auto marked = (value & k_waiters) ? ErrorOr<uint32_t>(value)
                                          : mm::compare_exchange_user(word, value, value | k_waiters);
        sched::SchedulerLockGuard guard;
        if (marked.is_error() || marked.value() != value) {
            if (!waiter.woken)
                g_waiters.remove(waiter);
            if (marked.is_error())
                return marked.error();
            continue;  // the word moved: look again
        }
        auto result = sched::WaitResult::Woken;
        while (!waiter.woken && result == sched::WaitResult::Woken)
            result = waiter.queue.wait_interruptible(guard, deadline_ns);
        owner_exited = waiter.pi_owner_exited;
        if (!waiter.woken) {
            g_waiters.remove(waiter);
            return result == sched::WaitResult::Interrupted ? Error::Interrupted : Error::TimedOut;
        }
    }
}

ErrorOr<void> futex_unlock_pi(AddressSpace* space, uint64_t address, int tid) {
    mm::UserPtr<uint32_t> word(address);
    uint32_t value = TRY(mm::read_user(mm::UserPtr<const uint32_t>(address)));
    for (;;) {
        if (static_cast<int>(value & k_tid_mask) != tid)
            return Error::NotPermitted;
        uint32_t found = TRY(mm::compare_exchange_user(word, value, 0));
        if (found == value)
            break;
        value = found;
    }
    if (value & k_waiters)
        (void)futex_wake(space, address, 1);
    return {};
}

void futex_pi_owner_exited(int tid) {
    sched::SchedulerLockGuard guard;
    for (Waiter* waiter = g_waiters.front(); waiter;) {
        Waiter* next = list_owner<Waiter, &Waiter::link>(waiter->link.next);
        if (waiter->pi_owner == tid) {
            g_waiters.remove(*waiter);
            waiter->pi_owner_exited = true;
            wake_waiter_locked(guard, *waiter);
        }
        waiter = next;
    }
}

// ---- futex_waitv ----

ErrorOr<int> futex_wait_many(AddressSpace* space, std::span<const FutexWaitEntry> entries, uint64_t deadline_ns) {
    auto* waiters = static_cast<Waiter*>(mm::kmalloc(sizeof(Waiter) * entries.size()));
    if (!waiters)
        return Error::NoMemory;
    Group group;
    for (size_t i = 0; i < entries.size(); ++i) {
        Key key = key_for(space, entries[i].address);
        new (&waiters[i]) Waiter { key.space, key.address, k_futex_any_bits, false, {}, {}, 0, false };
        waiters[i].group = &group;
        waiters[i].index = static_cast<int>(i);
    }
    auto finish = [&](ErrorOr<int> result) {
        for (size_t i = 0; i < entries.size(); ++i)
            waiters[i].~Waiter();
        mm::kfree(waiters);
        return result;
    };
    // As futex_wait: all enqueued first, then every word read.
    {
        sched::SchedulerLockGuard guard;
        for (size_t i = 0; i < entries.size(); ++i)
            g_waiters.push_back(waiters[i]);
    }
    std::optional<Error> failure;
    for (size_t i = 0; i < entries.size() && !failure; ++i) {
        auto value = mm::read_user(mm::UserPtr<const uint32_t>(entries[i].address));
        if (value.is_error())
            failure = value.error();
        else if (value.value() != entries[i].expected)
            failure = Error::TryAgain;
    }
    sched::SchedulerLockGuard guard;
    auto result = sched::WaitResult::Woken;
    if (!failure) {
        while (group.woken_index < 0 && result == sched::WaitResult::Woken)
            result = group.queue.wait_interruptible(guard, deadline_ns);
    }
    for (size_t i = 0; i < entries.size(); ++i) {
        if (!waiters[i].woken)
            g_waiters.remove(waiters[i]);
    }
    if (group.woken_index >= 0)
        return finish(group.woken_index);  // woken, even if something else failed meanwhile
    if (failure)
        return finish(*failure);
    return finish(result == sched::WaitResult::Interrupted ? Error::Interrupted : Error::TimedOut);
}

}  // namespace akuma::proc
