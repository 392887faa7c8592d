#include "kernel/ipc/ipc_wait.h"

#include "kernel/sched/scheduler.h"

namespace akuma::ipc {

void wake_waiters(WaiterList& list) {
    while (IpcWaiter* waiter = list.pop_front()) {
        // The record lives on the sleeper's stack; the sleeper cannot leave
        // before it retakes the kind mutex, which the caller holds.
        sched::SchedulerLockGuard guard;
        waiter->woken = true;
        waiter->queue.wake_one(guard);
    }
}

sched::WaitResult sleep_on(sched::Mutex& mutex, WaiterList& list, IpcWaiter& waiter, uint64_t deadline_ns) {
    waiter.woken = false;
    list.push_back(waiter);
    mutex.unlock();
    auto result = sched::WaitResult::Woken;
    {
        sched::SchedulerLockGuard guard;
        while (!waiter.woken && result == sched::WaitResult::Woken)
            result = waiter.queue.wait_interruptible(guard, deadline_ns);
    }
    mutex.lock();
    // Only a waker takes records off the list, and it sets `woken` while
    // holding the mutex: what we read now is settled.
    if (waiter.woken)
        return sched::WaitResult::Woken;
    list.remove(waiter);
    return result;
}

}  // namespace akuma::ipc
