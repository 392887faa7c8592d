// IRQ-safe spinlock with an RAII guard. Taking the lock masks interrupts on
// this CPU first (and the guard restores the previous mask), so code that
// may also run in an interrupt handler can never deadlock against itself.
#pragma once

#include <atomic>

#include "kernel/arch/aarch64/interrupts.h"

namespace akuma {

// Spinlocks held on this CPU (one CPU for now). The scheduler uses it to
// catch a thread that would block while holding a spinlock.
inline constinit unsigned g_spinlock_depth = 0;
inline unsigned spinlocks_held() { return g_spinlock_depth; }

[[noreturn]] void report_spinlock_misuse(const char* what);

class IrqSpinLock {
public:
    constexpr IrqSpinLock() = default;
    IrqSpinLock(const IrqSpinLock&) = delete;
    IrqSpinLock& operator=(const IrqSpinLock&) = delete;

    [[nodiscard]] uint64_t lock() {
        uint64_t saved = arch::save_and_mask_interrupts();
        while (m_locked.exchange(true, std::memory_order_acquire)) {
            while (m_locked.load(std::memory_order_relaxed))
                asm volatile("yield");
        }
        ++g_spinlock_depth;
        return saved;
    }

    void unlock(uint64_t saved_interrupt_state) {
        if (!m_locked.load(std::memory_order_relaxed))
            report_spinlock_misuse("unlock of a spinlock that is not held");
        --g_spinlock_depth;
        m_locked.store(false, std::memory_order_release);
        arch::restore_interrupts(saved_interrupt_state);
    }

    bool is_locked() const { return m_locked.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> m_locked { false };
};

class SpinLockGuard {
public:
    explicit SpinLockGuard(IrqSpinLock& lock) : m_lock(lock), m_saved(lock.lock()) {}
    ~SpinLockGuard() { m_lock.unlock(m_saved); }
    SpinLockGuard(const SpinLockGuard&) = delete;
    SpinLockGuard& operator=(const SpinLockGuard&) = delete;

private:
    IrqSpinLock& m_lock;
    uint64_t m_saved;
};

}  // namespace akuma
