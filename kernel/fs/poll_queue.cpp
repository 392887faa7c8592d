#include "kernel/fs/poll_queue.h"

#include "kernel/sched/scheduler.h"

namespace akuma::fs {

void PollQueue::add(sched::SchedulerLockGuard&, PollHook& hook) { m_hooks.push_back(hook); }

void PollQueue::remove(sched::SchedulerLockGuard&, PollHook& hook) {
    if (hook.link.linked)
        m_hooks.remove(hook);
}

void PollQueue::notify(sched::SchedulerLockGuard& guard) {
    m_hooks.for_each([&](PollHook& hook) { hook.notify(guard); });
}

void PollWaiter::Hook::notify(sched::SchedulerLockGuard& guard) {
    waiter->m_changed = true;
    waiter->m_sleeper.wake_all(guard);
}

sched::WaitResult PollWaiter::wait_locked(sched::SchedulerLockGuard& guard, uint64_t deadline_ns) {
    if (m_changed)
        return sched::WaitResult::Woken;
    return m_sleeper.wait_interruptible(guard, deadline_ns);
}

}  // namespace akuma::fs
