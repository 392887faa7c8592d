#include "kernel/sched/mutex.h"

#include "kernel/debug/panic.h"
#include "kernel/sched/scheduler.h"

namespace akuma::sched {

void Mutex::lock_locked(SchedulerLockGuard& guard) {
    Thread* self = current_thread();
    if (m_owner == self)
        panic("thread '{}' locks a mutex it already holds", self->name);
    // unlock() hands the mutex directly to the first waiter, so a woken
    // waiter owns it already; no thread can overtake it.
    if (!m_owner) {
        m_owner = self;
        return;
    }
    while (m_owner != self)
        m_waiters.wait(guard);
}

void Mutex::lock() {
    SchedulerLockGuard guard;
    lock_locked(guard);
}

bool Mutex::try_lock() {
    SchedulerLockGuard guard;
    if (m_owner)
        return false;
    m_owner = current_thread();
    return true;
}

void Mutex::unlock_locked(SchedulerLockGuard& guard) {
    Thread* self = current_thread();
    if (m_owner != self)
        panic("thread '{}' unlocks a mutex held by {}", self->name, m_owner ? m_owner->name : "nobody");
    m_owner = m_waiters.wake_one(guard);
}

void Mutex::unlock() {
    SchedulerLockGuard guard;
    unlock_locked(guard);
}

bool Mutex::is_held_by_current_thread() const { return m_owner && m_owner == current_thread(); }

void Semaphore::down() {
    SchedulerLockGuard guard;
    while (m_count == 0)
        m_waiters.wait(guard);
    --m_count;
}

bool Semaphore::try_down() {
    SchedulerLockGuard guard;
    if (m_count == 0)
        return false;
    --m_count;
    return true;
}

void Semaphore::up() {
    SchedulerLockGuard guard;
    ++m_count;
    m_waiters.wake_one(guard);
}

void ConditionVariable::wait(Mutex& mutex) {
    SchedulerLockGuard guard;
    if (!mutex.is_held_by_current_thread())
        panic("condition variable wait without holding its mutex");
    // Releasing the mutex and starting to wait happen under the scheduler
    // lock, so a notify in between cannot be lost.
    mutex.unlock_locked(guard);
    m_waiters.wait(guard);
    mutex.lock_locked(guard);
}

void ConditionVariable::notify_one() {
    SchedulerLockGuard guard;
    m_waiters.wake_one(guard);
}

void ConditionVariable::notify_all() {
    SchedulerLockGuard guard;
    m_waiters.wake_all(guard);
}

}  // namespace akuma::sched
