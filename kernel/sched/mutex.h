// Sleeping locks for threads (not for IRQ handlers): Mutex, Semaphore,
// ConditionVariable, with RAII guards. Misuse that is cheap to detect is a
// panic: locking a mutex one already holds, unlocking one held by another
// thread (or by nobody), waiting on a condition variable without its mutex.
#pragma once

#include <atomic>
#include <cstdint>

#include "kernel/sched/wait_queue.h"

namespace akuma::sched {

struct Thread;

// Taking a free mutex and releasing one nobody waits for are one atomic
// compare-exchange each, without the scheduler lock: a page fault takes its
// address space's mutex every time. The state word is the owner Thread*
// with bit 0 set while threads wait; waiters set that bit (under the
// scheduler lock) before they sleep, so an unlock either sees it and hands
// the mutex over under that lock, or came first and the waiter's
// compare-exchange fails and it looks again.
class Mutex {
public:
    constexpr Mutex() = default;
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    void lock();
    bool try_lock();
    void unlock();
    bool is_held_by_current_thread() const;

private:
    friend class ConditionVariable;
    [[gnu::noinline]] void lock_contended();
    [[gnu::noinline]] void unlock_contended();
    void unlock_locked(SchedulerLockGuard& guard);
    void lock_locked(SchedulerLockGuard& guard);

    static constexpr uintptr_t k_waiters_bit = 1;
    static uintptr_t word_of(Thread* thread) { return reinterpret_cast<uintptr_t>(thread); }
    Thread* owner() const {
        return reinterpret_cast<Thread*>(m_state.load(std::memory_order_relaxed) & ~k_waiters_bit);
    }

    std::atomic<uintptr_t> m_state { 0 };
    WaitQueue m_waiters;
};

class MutexGuard {
public:
    explicit MutexGuard(Mutex& mutex) : m_mutex(mutex) { m_mutex.lock(); }
    ~MutexGuard() { m_mutex.unlock(); }
    MutexGuard(const MutexGuard&) = delete;
    MutexGuard& operator=(const MutexGuard&) = delete;

private:
    Mutex& m_mutex;
};

class Semaphore {
public:
    constexpr explicit Semaphore(uint64_t initial) : m_count(initial) {}
    void down();  // waits while the count is 0
    bool try_down();
    void up();
    uint64_t count() const { return m_count; }

private:
    uint64_t m_count;
    WaitQueue m_waiters;
};

class ConditionVariable {
public:
    constexpr ConditionVariable() = default;
    // Atomically releases `mutex` and waits; holds it again on return.
    // Callers re-check their condition in a loop.
    void wait(Mutex& mutex);
    void notify_one();
    void notify_all();

private:
    WaitQueue m_waiters;
};

}  // namespace akuma::sched
