#include "kernel/sched/wait_queue.h"

#include "kernel/sched/scheduler.h"

namespace akuma::sched {

void WaitQueue::wait(SchedulerLockGuard&) {
    Thread* self = current_thread();
    self->state = ThreadState::Blocked;
    m_waiters.push_back(self->queue_link);
    switch_away_locked();
}

Thread* WaitQueue::wake_one(SchedulerLockGuard&) {
    Thread* thread = list_owner<Thread, &Thread::queue_link>(m_waiters.pop_front());
    if (thread)
        make_runnable_locked(thread);
    return thread;
}

void WaitQueue::wake_all(SchedulerLockGuard& guard) {
    while (wake_one(guard)) {
    }
}

bool WaitQueue::is_empty() const { return m_waiters.is_empty(); }

}  // namespace akuma::sched
