#include "kernel/time/timer_queue.h"

#include "kernel/sched/spinlock.h"

namespace akuma::time {

namespace {
IrqSpinLock g_lock;
TimerList g_events;
}  // namespace

void timer_queue_add(TimerEvent& event) {
    SpinLockGuard guard(g_lock);
    g_events.insert(event);
}

bool timer_queue_cancel(TimerEvent& event) {
    SpinLockGuard guard(g_lock);
    return g_events.remove(event);
}

void timer_queue_run_expired(uint64_t now_ns) {
    size_t budget;
    {
        SpinLockGuard guard(g_lock);
        budget = g_events.size();
    }
    for (; budget > 0; --budget) {
        // Copied under the lock: once unlinked, the owner may reuse the event.
        void (*callback)(void*) = nullptr;
        void* context = nullptr;
        {
            SpinLockGuard guard(g_lock);
            TimerEvent* event = g_events.pop_expired(now_ns);
            if (!event)
                return;
            callback = event->callback;
            context = event->context;
        }
        if (callback)
            callback(context);
    }
}

}  // namespace akuma::time
