#include "kernel/sched/wait_queue.h"

#include "kernel/arch/aarch64/timer.h"
#include "kernel/sched/scheduler.h"
#include "kernel/time/duration.h"
#include "kernel/time/timer_queue.h"

namespace akuma::sched {

namespace {

struct Deadline {
    WaitQueue* queue;
    Thread* thread;
};

void deadline_expired(void* context) {  // IRQ context (timer tick)
    auto* deadline = static_cast<Deadline*>(context);
    SchedulerLockGuard guard;
    if (deadline->thread->waiting_on == deadline->queue)
        deadline->queue->remove_and_wake(guard, deadline->thread, WaitResult::TimedOut);
}

}  // namespace

void WaitQueue::wait(SchedulerLockGuard&) {
    Thread* self = current_thread();
    self->state = ThreadState::Blocked;
    m_waiters.push_back(self->queue_link);
    switch_away_locked();
}

WaitResult WaitQueue::wait_interruptible(SchedulerLockGuard&, uint64_t deadline_ns) {
    Thread* self = current_thread();
    if (self->signal_pending)
        return WaitResult::Interrupted;
    if (deadline_ns == time::k_never)
        deadline_ns = 0;  // never reached: no timer event at all
    if (deadline_ns && arch::monotonic_ns() >= deadline_ns)
        return WaitResult::TimedOut;
    Deadline deadline { this, self };
    time::TimerEvent event {};
    if (deadline_ns) {
        event.deadline_ns = deadline_ns;
        event.callback = deadline_expired;
        event.context = &deadline;
        time::timer_queue_add(event);
    }
    self->wake_reason = static_cast<uint8_t>(WaitResult::Woken);
    self->waiting_on = this;
    self->state = ThreadState::Blocked;
    m_waiters.push_back(self->queue_link);
    switch_away_locked();
    self->waiting_on = nullptr;
    if (deadline_ns)
        (void)time::timer_queue_cancel(event);
    return static_cast<WaitResult>(self->wake_reason);
}

void WaitQueue::remove_and_wake(SchedulerLockGuard&, Thread* thread, WaitResult reason) {
    m_waiters.remove(thread->queue_link);
    thread->waiting_on = nullptr;
    thread->wake_reason = static_cast<uint8_t>(reason);
    make_runnable_locked(thread);
}

Thread* WaitQueue::wake_one(SchedulerLockGuard&) {
    Thread* thread = list_owner<Thread, &Thread::queue_link>(m_waiters.pop_front());
    if (thread) {
        thread->waiting_on = nullptr;
        make_runnable_locked(thread);
    }
    return thread;
}

void WaitQueue::wake_all(SchedulerLockGuard& guard) {
    while (wake_one(guard)) {
    }
}

bool WaitQueue::is_empty() const { return m_waiters.is_empty(); }

void interrupt_thread_locked(SchedulerLockGuard& guard, Thread* thread) {
    thread->signal_pending = true;
    if (thread->state == ThreadState::Blocked && thread->waiting_on)
        thread->waiting_on->remove_and_wake(guard, thread, WaitResult::Interrupted);
}

bool sleep_interruptible_until(uint64_t deadline_ns) {
    WaitQueue nobody_wakes_this;
    SchedulerLockGuard guard;
    if (deadline_ns == 0)
        deadline_ns = 1;  // already passed (0 would mean "no deadline")
    for (;;) {
        auto result = nobody_wakes_this.wait_interruptible(guard, deadline_ns);
        if (result != WaitResult::Woken)
            return result == WaitResult::TimedOut;
    }
}

}  // namespace akuma::sched
