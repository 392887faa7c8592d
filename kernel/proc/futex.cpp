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

ErrorOr<void> futex_wait(AddressSpace* space, uint64_t address, uint32_t expected, uint64_t deadline) {
    Key key = key_for(space, address);
    Waiter waiter { key.space, key.address, false, {}, {} };
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

uint64_t futex_wake(AddressSpace* space, uint64_t address, uint64_t count) {
    Key key = key_for(space, address);
    sched::SchedulerLockGuard guard;
    uint64_t woken = 0;
    for (Waiter* waiter = g_waiters.front(); waiter && woken < count;) {
        Waiter* next = list_owner<Waiter, &Waiter::link>(waiter->link.next);
        if (waiter->space == key.space && waiter->address == key.address) {
            g_waiters.remove(*waiter);
            waiter->woken = true;
            waiter->queue.wake_one(guard);
            ++woken;
        }
        waiter = next;
    }
    return woken;
}

}  // namespace akuma::proc
