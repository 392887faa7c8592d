#include "kernel/sched/mutex.h"

#include "kernel/debug/panic.h"
#include "kernel/sched/scheduler.h"

namespace akuma::sched {

void Mutex::lock_locked(SchedulerLockGuard& guard) {
    Thread* self = current_thread();
    if (owner() == self)
        panic("thread '{}' locks a mutex it already holds", self->name);
    for (;;) {
        uintptr_t state = m_state.load(std::memory_order_relaxed);
        if (state == 0) {
            if (m_state.compare_exchange_strong(state, word_of(self), std::memory_order_acquire))
                return;
            continue;
        }
        if (!(state & k_waiters_bit)
            && !m_state.compare_exchange_strong(state, state | k_waiters_bit, std::memory_order_relaxed))
            continue;  // released (or changed) meanwhile: look again
        m_waiters.wait(guard);
        // unlock() hands the mutex directly to the first waiter, so a woken
        // waiter owns it already; no thread can overtake it.
        if (owner() == self) {
            std::atomic_thread_fence(std::memory_order_acquire);
            return;
        }
    }
}

// lock() and unlock() are a compare-and-swap each when nobody waits (the
// kernel takes ~400 mutexes for a `bash -c true`): the rest is out of line,
// so the fast path needs no stack frame.
void Mutex::lock() {
    uintptr_t expected = 0;
    if (m_state.compare_exchange_strong(expected, word_of(current_thread()), std::memory_order_acquire)) [[likely]]
        return;
    lock_contended();
}

void Mutex::lock_contended() {
    SchedulerLockGuard guard;
    lock_locked(guard);
}

bool Mutex::try_lock() {
    uintptr_t expected = 0;
    return m_state.compare_exchange_strong(expected, word_of(current_thread()), std::memory_order_acquire);
}

void Mutex::unlock_locked(SchedulerLockGuard& guard) {
    Thread* self = current_thread();
    Thread* holder = owner();
    if (holder != self)
        panic("thread '{}' unlocks a mutex held by {}", self->name, holder ? holder->name : "nobody");
    Thread* next = m_waiters.wake_one(guard);
    uintptr_t state = next ? word_of(next) | (m_waiters.is_empty() ? 0 : k_waiters_bit) : 0;
    m_state.store(state, std::memory_order_release);
}

void Mutex::unlock() {
    uintptr_t expected = word_of(current_thread());
    if (m_state.compare_exchange_strong(expected, 0, std::memory_order_release)) [[likely]]
        return;
    unlock_contended();
}

void Mutex::unlock_contended() {
    SchedulerLockGuard guard;
    unlock_locked(guard);
}

bool Mutex::is_held_by_current_thread() const { return owner() == current_thread() && owner(); }

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
