// Masking interrupts on the current CPU (PSTATE.DAIF).
#pragma once

#include <cstdint>

namespace akuma::arch {

inline uint64_t save_and_mask_interrupts() {
    uint64_t daif;
    asm volatile("mrs %0, daif\n msr daifset, #0x3" : "=r"(daif)::"memory");  // mask IRQ and FIQ
    return daif;
}

inline void restore_interrupts(uint64_t daif) { asm volatile("msr daif, %0" ::"r"(daif) : "memory"); }

// Unmask / mask IRQs only (FIQs stay as they are: the kernel uses none).
inline void enable_interrupts() { asm volatile("msr daifclr, #2" ::: "memory"); }
inline void disable_interrupts() { asm volatile("msr daifset, #2" ::: "memory"); }

inline bool interrupts_enabled() {
    uint64_t daif;
    asm volatile("mrs %0, daif" : "=r"(daif));
    return (daif & (1u << 7)) == 0;  // I bit clear
}

// Masks IRQs for a scope and restores the previous state at its end.
class InterruptsMasked {
public:
    InterruptsMasked() : m_saved(save_and_mask_interrupts()) {}
    ~InterruptsMasked() { restore_interrupts(m_saved); }
    InterruptsMasked(const InterruptsMasked&) = delete;
    InterruptsMasked& operator=(const InterruptsMasked&) = delete;

private:
    uint64_t m_saved;
};

}  // namespace akuma::arch
