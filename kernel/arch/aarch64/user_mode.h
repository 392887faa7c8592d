// The CPU side of user mode: TTBR0/ASID switching, TPIDR_EL0, and the
// first entry of a thread into EL0.
#pragma once

#include "kernel/arch/aarch64/trap_frame.h"

#include <cstdint>

#include "kernel/lib/error_or.h"

namespace akuma::arch {

// TTBR0 value for a user translation table: root | ASID << 48.
constexpr uint64_t make_ttbr0(uint64_t root, uint16_t asid) { return root | (static_cast<uint64_t>(asid) << 48); }

// Installs an empty TTBR0 table (all user addresses fault) and enables
// TTBR0 walks. Before this, walks are disabled (boot.S).
ErrorOr<void> user_mode_init();

// Loads TTBR0 for the next thread; 0 selects the empty table.
void switch_user_translation(uint64_t ttbr0);
// Whether this CPU's TTBR0 holds `ttbr0` now.
bool user_translation_loaded(uint64_t ttbr0);

// ASIDs 1..255 tag the TLB entries of one address space each; when they
// run out, address spaces share ASID 0, which is flushed whenever a
// different table is loaded with it.
uint16_t allocate_asid();
// Drops the TLB entries of an address space that is going away.
void release_asid(uint16_t asid, uint64_t root);
void invalidate_user_page(uint16_t asid, uint64_t va);

// AT_HWCAP for user programs: the features the CPU's ID registers report
// that EL0 can use without kernel help (HWCAP_CPUID is not offered: EL0
// reads of ID registers are not emulated).
uint64_t user_hwcap();

// SCTLR_EL1.WXN (every writable page is execute-never, at EL1 and EL0 alike)
// on this CPU. Set at boot; cleared when user memory may be writable and
// executable (the default, as on Linux): the kernel's own page tables stay
// W^X by construction either way.
void set_writable_implies_execute_never(bool enabled);

uint64_t read_tpidr_el0();
void write_tpidr_el0(uint64_t value);

}  // namespace akuma::arch

// Leaves the kernel for EL0 at `entry` with SP_EL0 = user_sp, every
// general-purpose and FP/SIMD register zero, and SP_EL1 reset to
// kernel_stack_top (nothing of the current kernel stack is kept).
extern "C" [[noreturn]] void enter_user_mode(uint64_t entry, uint64_t user_sp, uint64_t kernel_stack_top);

// Leaves for EL0 with the registers of `frame` (not on the current stack),
// resetting the kernel stack to kernel_stack_top.
extern "C" [[noreturn]] void return_to_user_with_frame(const akuma::arch::TrapFrame* frame,
                                                       uint64_t kernel_stack_top);
