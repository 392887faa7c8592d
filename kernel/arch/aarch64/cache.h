// Cache maintenance for instructions the kernel writes: program text it
// copies into a user page, the zeros of a page that becomes executable.
#pragma once

#include <cstddef>

namespace akuma::arch {

// Reads CTR_EL0 (cache line sizes, what the CPU keeps coherent by itself).
// Until it has run, sync_icache() assumes the worst (4-byte lines).
void cache_init();

// Makes what was written to [start, start + size), through any mapping,
// visible to instruction fetch through every mapping of the same memory
// (ARM ARM B2.4.4): clean the data cache to the point of unification, then
// invalidate the instruction cache there, each step skipped when CTR_EL0
// says the CPU needs none (IDC, DIC). The next ERET to user space is the
// context synchronization the new code needs.
void sync_icache(const void* start, size_t size);

}  // namespace akuma::arch
