// Interrupt controller (GICv2 or GICv3, chosen from the device tree) and the
// IRQ registration and dispatch table.
#pragma once

#include <cstdint>

#include "kernel/dt/platform_info.h"
#include "kernel/lib/error_or.h"

namespace akuma::arch {

using IrqHandler = void (*)(uint32_t intid, void* context);

// Maps the GIC's registers, resets it to a known state (all interrupts
// disabled, priorities, groups), and enables this CPU's interface.
ErrorOr<void> irq_init(const GicInfo& gic);

// Installs `handler` for INTID and enables it (SGIs 0-15, PPIs 16-31, SPIs
// 32+). Error::Busy when already registered, Error::Invalid out of range.
ErrorOr<void> irq_register(uint32_t intid, IrqHandler handler, void* context, const char* name);
void irq_unregister(uint32_t intid);

// Called by exception_dispatch for IRQ exceptions: acknowledges, dispatches
// and ends every pending interrupt; spurious INTIDs (1020-1023) are counted.
void irq_handle();

// Sends software-generated interrupt `sgi` (0-15) to this CPU.
void irq_send_sgi_to_self(uint32_t sgi);

struct IrqStats {
    uint64_t handled;
    uint64_t spurious;
    uint64_t unhandled;  // acknowledged INTIDs without a handler (then disabled)
};
IrqStats irq_stats();
uint64_t irq_count(uint32_t intid);

}  // namespace akuma::arch
