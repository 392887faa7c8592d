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

inline bool interrupts_enabled() {
    uint64_t daif;
    asm volatile("mrs %0, daif" : "=r"(daif));
    return (daif & (1u << 7)) == 0;  // I bit clear
}

}  // namespace akuma::arch
