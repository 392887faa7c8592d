// The user half of the address space (TTBR0). See docs/MEMORY_LAYOUT.md.
#pragma once

#include <cstdint>

namespace akuma::proc {

// Nothing is ever mapped below this (NULL and small offsets from it fault);
// Linux's default vm.mmap_min_addr.
constexpr uint64_t k_user_min_address = 0x10000;
// mmap without an address hint allocates upward from here (as the original
// Akuma did). ET_EXEC programs are linked below it (0x400000 usually), so
// their brk heap grows into the gap between.
constexpr uint64_t k_user_mmap_base = 0x10000000;
// Static-PIE programs are loaded here (Linux: 2/3 of the user half).
constexpr uint64_t k_user_pie_base = 0xaaaaaaaa0000;
// A dynamically linked program's interpreter (ld-linux-aarch64.so.1) is
// loaded here, below the largest stack reserve and far above the program
// and its break.
constexpr uint64_t k_user_interpreter_base = 0xffffb0000000;
// The main thread's stack: its top, how far it may grow down (RLIMIT_STACK),
// and an unmappable gap below that reserve.
constexpr uint64_t k_user_stack_top = 0xffffffff0000;
constexpr uint64_t k_user_stack_reserve = 8ull << 20;
// The largest reserve a raised RLIMIT_STACK gets (resource_limits.h).
constexpr uint64_t k_user_stack_reserve_max = 1ull << 30;
constexpr uint64_t k_user_stack_initial = 128ull << 10;
constexpr uint64_t k_user_stack_guard_gap = 1ull << 20;
// The top of the mmap area with the default reserve (each address space
// keeps its own below its stack reserve: AddressSpace::set_stack_region).
constexpr uint64_t k_user_mmap_limit = k_user_stack_top - k_user_stack_reserve - k_user_stack_guard_gap;

}  // namespace akuma::proc
