// Sleeping on a System V IPC object. Each kind keeps its objects behind a
// sleeping mutex (the operations copy and allocate), while wait queues
// belong to the scheduler lock; a waiter record joins the two. A thread
// that must wait puts its record on the object's list (kind mutex held),
// lets the mutex go and sleeps until `woken`; a thread that changes the
// object takes the records off and sets `woken` under the scheduler lock,
// so no wake-up falls between the sleeper's check and its sleep. Waking
// means "look again": the sleeper retakes the mutex and retries its
// operation from the start (msgsnd, msgrcv, semop all do), so an
// operation is only ever done by its own caller.
#pragma once

#include <cstdint>

#include "kernel/lib/intrusive_list.h"
#include "kernel/sched/mutex.h"
#include "kernel/sched/wait_queue.h"

namespace akuma::ipc {

struct IpcWaiter {
    ListNode link;
    sched::WaitQueue queue;
    bool woken { false };
    // Semaphores: the operation that blocked (GETNCNT and GETZCNT count
    // waiters by it, as Linux 6.1's count_semcnt).
    uint16_t sem_num { 0 };
    bool for_zero { false };
};

using WaiterList = IntrusiveList<IpcWaiter, &IpcWaiter::link>;

// Takes every record off `list` and wakes its thread (kind mutex held).
void wake_waiters(WaiterList& list);

// Puts `waiter` on `list`, releases `mutex` (held on entry, as by a
// MutexGuard further up), sleeps until woken, a signal, or the monotonic
// `deadline_ns` (0: none), and holds `mutex` again on return with `waiter`
// off the list. Woken wins over a signal or timeout that came with it.
sched::WaitResult sleep_on(sched::Mutex& mutex, WaiterList& list, IpcWaiter& waiter, uint64_t deadline_ns);

}  // namespace akuma::ipc
