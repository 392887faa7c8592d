// Internal interface between the IRQ table (irq.cpp) and the two GIC
// drivers (gic_v2.cpp, gic_v3.cpp). Not for use outside kernel/arch/aarch64.
#pragma once

#include <cstdint>

#include "kernel/dt/platform_info.h"
#include "kernel/lib/error_or.h"

namespace akuma::arch::gic {

// Every interrupt gets this priority; the priority mask lets all through.
constexpr uint8_t k_default_priority = 0x80;
constexpr uint32_t k_first_spurious_intid = 1020;

struct Acknowledged {
    uint32_t intid;
    uint32_t raw;  // what end_of_interrupt must be given back (GICv2 adds the source CPU)
};

struct GicOps {
    // Maps and resets the controller; returns how many INTIDs it implements.
    ErrorOr<uint32_t> (*init)(const GicInfo& info);
    Acknowledged (*acknowledge)();
    void (*end_of_interrupt)(uint32_t raw);
    void (*set_enabled)(uint32_t intid, bool enabled);
    bool (*is_enabled)(uint32_t intid);
    void (*clear_pending)(uint32_t intid);
    void (*send_sgi_to_self)(uint32_t sgi);
};

extern const GicOps k_gic_v2_ops;
extern const GicOps k_gic_v3_ops;

// For tests: the enable bit as the hardware reports it (GICv2 may keep SGIs
// permanently enabled), enabling an INTID behind the table's back, and
// clearing a stale pending state.
bool is_enabled_in_hardware(uint32_t intid);
void enable_in_hardware(uint32_t intid);
void discard_pending(uint32_t intid);

inline uint32_t read32(uintptr_t address) { return *reinterpret_cast<volatile uint32_t*>(address); }
inline void write32(uintptr_t address, uint32_t value) { *reinterpret_cast<volatile uint32_t*>(address) = value; }
inline uint64_t read64(uintptr_t address) { return *reinterpret_cast<volatile uint64_t*>(address); }
inline void write64(uintptr_t address, uint64_t value) { *reinterpret_cast<volatile uint64_t*>(address) = value; }

}  // namespace akuma::arch::gic
