// Exception table: (faulting PC, fixup PC) pairs emitted into __ex_table by
// code that may fault on purpose (semihosting probe now, user-memory copies
// later). The fault handler resumes at the fixup instead of crashing.
#pragma once

#include <cstdint>
#include <optional>

namespace akuma::arch {

struct ExceptionTableEntry {
    uint64_t fault_pc;
    uint64_t fixup_pc;
};

std::optional<uint64_t> find_exception_fixup(uint64_t fault_pc);

}  // namespace akuma::arch

extern "C" bool probe_read_u64(const void* address, uint64_t* value);
