#include "kernel/proc/futex.h"

#include "kernel/arch/aarch64/timer.h"
#include "kernel/lib/intrusive_list.h"
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
};

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
    Waiter waiter { key.space, key.address, bits, false, {}, {} };
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
                waiter->woken = true;
                waiter->queue.wake_one(guard);
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

}  // namespace akuma::proc
