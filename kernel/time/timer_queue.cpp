#include "kernel/time/timer_queue.h"

#include "kernel/sched/spinlock.h"

namespace akuma::time {

namespace {
IrqSpinLock g_lock;
TimerList g_events;
// The events whose callbacks run now (one per CPU at most): what
// timer_queue_cancel_sync waits for.
constexpr size_t k_max_running = 16;
TimerEvent* g_running[k_max_running];

bool is_running_locked(const TimerEvent& event) {
    for (auto* running : g_running) {
        if (running == &event)
            return true;
    }
    return false;
}

TimerEvent** free_running_slot_locked() {
    for (auto& running : g_running) {
        if (!running)
            return &running;
    }
    return nullptr;
}
}  // namespace

void timer_queue_add(TimerEvent& event) {
    SpinLockGuard guard(g_lock);
    g_events.insert(event);
}

bool timer_queue_cancel(TimerEvent& event) {
    SpinLockGuard guard(g_lock);
    return g_events.remove(event);
}

bool timer_queue_cancel_sync(TimerEvent& event) {
    bool removed = false;
    for (;;) {
        {
            SpinLockGuard guard(g_lock);
            // A running callback may queue the event again: taken out again.
            removed = g_events.remove(event) || removed;
            if (!is_running_locked(event))
                return removed;
        }
        asm volatile("yield");
    }
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
        TimerEvent** running = nullptr;
        {
            SpinLockGuard guard(g_lock);
            TimerEvent* event = g_events.pop_expired(now_ns);
            if (!event)
                return;
            callback = event->callback;
            context = event->context;
            running = free_running_slot_locked();
            if (running)
                *running = event;
        }
        if (callback)
            callback(context);
        if (running) {
            SpinLockGuard guard(g_lock);
            *running = nullptr;
        }
    }
}

}  // namespace akuma::time
