// GICv2: distributor (GICD) + memory-mapped CPU interface (GICC).
//
// QEMU virt (without secure=on) has no Security Extensions, so the kernel
// sees every register: it puts all interrupts in Group 1 and sets AckCtl so
// GICC_IAR acknowledges them. Behind secure firmware the same writes land
// in the non-secure view, where IGROUPR is RAZ/WI (firmware already made
// everything Group 1) and GICD/GICC_CTLR bit 0 is the Group 1 enable.
#include "kernel/arch/aarch64/gic.h"
#include "kernel/arch/aarch64/kernel_page_tables.h"

namespace akuma::arch::gic {

namespace {

// Distributor.
constexpr uintptr_t k_gicd_ctlr = 0x000;
constexpr uintptr_t k_gicd_typer = 0x004;
constexpr uintptr_t k_gicd_igroupr = 0x080;
constexpr uintptr_t k_gicd_isenabler = 0x100;
constexpr uintptr_t k_gicd_icenabler = 0x180;
constexpr uintptr_t k_gicd_icpendr = 0x280;
constexpr uintptr_t k_gicd_icactiver = 0x380;
constexpr uintptr_t k_gicd_ipriorityr = 0x400;
constexpr uintptr_t k_gicd_itargetsr = 0x800;
constexpr uintptr_t k_gicd_icfgr = 0xc00;
constexpr uintptr_t k_gicd_sgir = 0xf00;
constexpr uintptr_t k_gicd_cpendsgir = 0xf10;

constexpr uint32_t k_gicd_ctlr_enable_grp0 = 1u << 0;
constexpr uint32_t k_gicd_ctlr_enable_grp1 = 1u << 1;
constexpr uint32_t k_sgir_target_self = 2u << 24;  // TargetListFilter: the requesting CPU

// CPU interface.
constexpr uintptr_t k_gicc_ctlr = 0x000;
constexpr uintptr_t k_gicc_pmr = 0x004;
constexpr uintptr_t k_gicc_bpr = 0x008;
constexpr uintptr_t k_gicc_iar = 0x00c;
constexpr uintptr_t k_gicc_eoir = 0x010;

constexpr uint32_t k_gicc_ctlr_enable_grp0 = 1u << 0;
constexpr uint32_t k_gicc_ctlr_enable_grp1 = 1u << 1;
constexpr uint32_t k_gicc_ctlr_ack_ctl = 1u << 2;

uintptr_t g_distributor = 0;
uintptr_t g_cpu_interface = 0;

uint32_t replicate_byte(uint8_t value) { return value * 0x01010101u; }
uintptr_t bit_register(uintptr_t base, uint32_t intid) { return g_distributor + base + 4 * (intid / 32); }

// ITARGETSR0-7 are banked and read as this CPU's own target bit (RAZ on a
// uniprocessor GIC, where any value reaches the only CPU).
uint8_t own_target_mask() {
    for (uint32_t offset = 0; offset < 32; offset += 4) {
        uint32_t targets = read32(g_distributor + k_gicd_itargetsr + offset);
        for (unsigned shift = 0; shift < 32; shift += 8) {
            if (uint8_t mask = (targets >> shift) & 0xff)
                return mask;
        }
    }
    return 1;
}

ErrorOr<uint32_t> init(const GicInfo& info) {
    if (info.distributor.size == 0 || info.cpu_interface.size == 0)
        return Error::NotFound;
    g_distributor = TRY(mmio_map(info.distributor.base, info.distributor.size));
    g_cpu_interface = TRY(mmio_map(info.cpu_interface.base, info.cpu_interface.size));

    write32(g_distributor + k_gicd_ctlr, 0);
    uint32_t lines = 32 * ((read32(g_distributor + k_gicd_typer) & 0x1f) + 1);
    if (lines > k_first_spurious_intid)
        lines = k_first_spurious_intid;
    uint32_t targets = replicate_byte(own_target_mask());

    for (uint32_t intid = 0; intid < lines; intid += 32) {
        uintptr_t offset = 4 * (intid / 32);
        write32(g_distributor + k_gicd_icenabler + offset, ~0u);
        write32(g_distributor + k_gicd_icpendr + offset, ~0u);
        write32(g_distributor + k_gicd_icactiver + offset, ~0u);
        write32(g_distributor + k_gicd_igroupr + offset, ~0u);
    }
    for (uint32_t intid = 0; intid < lines; intid += 4) {
        write32(g_distributor + k_gicd_ipriorityr + intid, replicate_byte(k_default_priority));
        if (intid >= 32)
            write32(g_distributor + k_gicd_itargetsr + intid, targets);
    }
    for (uint32_t intid = 32; intid < lines; intid += 16)
        write32(g_distributor + k_gicd_icfgr + intid / 4, 0);  // SPIs level-triggered
    write32(g_distributor + k_gicd_ctlr, k_gicd_ctlr_enable_grp0 | k_gicd_ctlr_enable_grp1);

    write32(g_cpu_interface + k_gicc_pmr, 0xff);
    write32(g_cpu_interface + k_gicc_bpr, 0);
    write32(g_cpu_interface + k_gicc_ctlr, k_gicc_ctlr_enable_grp0 | k_gicc_ctlr_enable_grp1 | k_gicc_ctlr_ack_ctl);
    return lines;
}

Acknowledged acknowledge() {
    uint32_t raw = read32(g_cpu_interface + k_gicc_iar);
    return { raw & 0x3ff, raw };
}

void end_of_interrupt(uint32_t raw) { write32(g_cpu_interface + k_gicc_eoir, raw); }

void set_enabled(uint32_t intid, bool enabled) {
    write32(bit_register(enabled ? k_gicd_isenabler : k_gicd_icenabler, intid), 1u << (intid % 32));
}

bool is_enabled(uint32_t intid) { return (read32(bit_register(k_gicd_isenabler, intid)) >> (intid % 32)) & 1; }

void clear_pending(uint32_t intid) {
    if (intid < 16)  // SGIs are pending per source CPU: one byte each in CPENDSGIR
        write32(g_distributor + k_gicd_cpendsgir + (intid & ~3u), 0xffu << (8 * (intid % 4)));
    else
        write32(bit_register(k_gicd_icpendr, intid), 1u << (intid % 32));
}

void send_sgi_to_self(uint32_t sgi) { write32(g_distributor + k_gicd_sgir, k_sgir_target_self | sgi); }

}  // namespace

const GicOps k_gic_v2_ops { init, acknowledge, end_of_interrupt, set_enabled, is_enabled, clear_pending,
                            send_sgi_to_self };

}  // namespace akuma::arch::gic
