// GICv3: distributor (GICD) + this CPU's redistributor (GICR) over MMIO, and
// the CPU interface through the ICC_* system registers.
//
// Affinity routing is on and every interrupt is Non-secure Group 1. The
// GICD_CTLR bits written are right for both views the kernel can get: a GIC
// with one Security state (QEMU virt without secure=on; DS=1: bit 0 Group 0,
// bit 1 Group 1, bit 4 ARE) and the Non-secure view behind firmware (bit 1
// Group 1A, bit 4 ARE_NS). If the kernel was entered at EL2, boot.S has set
// ICC_SRE_EL2.{SRE,Enable} so EL1 may use the system registers.
#include "kernel/arch/aarch64/gic.h"
#include "kernel/arch/aarch64/kernel_page_tables.h"

// System register encodings (not every assembler knows the names).
#define ICC_PMR_EL1 "S3_0_C4_C6_0"
#define ICC_IAR1_EL1 "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1 "S3_0_C12_C12_1"
#define ICC_BPR1_EL1 "S3_0_C12_C12_3"
#define ICC_CTLR_EL1 "S3_0_C12_C12_4"
#define ICC_SRE_EL1 "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define ICC_SGI1R_EL1 "S3_0_C12_C11_5"

namespace akuma::arch::gic {

namespace {

// Distributor.
constexpr uintptr_t k_gicd_ctlr = 0x0000;
constexpr uintptr_t k_gicd_typer = 0x0004;
constexpr uintptr_t k_gicd_igroupr = 0x0080;
constexpr uintptr_t k_gicd_isenabler = 0x0100;
constexpr uintptr_t k_gicd_icenabler = 0x0180;
constexpr uintptr_t k_gicd_icpendr = 0x0280;
constexpr uintptr_t k_gicd_icactiver = 0x0380;
constexpr uintptr_t k_gicd_ipriorityr = 0x0400;
constexpr uintptr_t k_gicd_icfgr = 0x0c00;
constexpr uintptr_t k_gicd_igrpmodr = 0x0d00;
constexpr uintptr_t k_gicd_irouter = 0x6000;

constexpr uint32_t k_gicd_ctlr_enable_grp0 = 1u << 0;  // Group 1 (legacy) in the Non-secure view
constexpr uint32_t k_gicd_ctlr_enable_grp1 = 1u << 1;
constexpr uint32_t k_gicd_ctlr_are = 1u << 4;
constexpr uint32_t k_gicd_ctlr_rwp = 1u << 31;

// Redistributor: RD_base frame, then the SGI_base frame 64 KiB above it.
constexpr uint64_t k_frame_size = 0x10000;
constexpr uintptr_t k_gicr_ctlr = 0x0000;
constexpr uintptr_t k_gicr_typer = 0x0008;
constexpr uintptr_t k_gicr_waker = 0x0014;
constexpr uint32_t k_gicr_ctlr_rwp = 1u << 3;
constexpr uint64_t k_gicr_typer_vlpis = 1u << 1;  // GICv4: two more 64 KiB frames (VLPI)
constexpr uint64_t k_gicr_typer_last = 1u << 4;
constexpr uint32_t k_gicr_waker_processor_sleep = 1u << 1;
constexpr uint32_t k_gicr_waker_children_asleep = 1u << 2;

uintptr_t g_distributor = 0;
uintptr_t g_redistributor = 0;  // RD_base of this CPU
uintptr_t g_sgi_frame = 0;      // SGI_base of this CPU
uint64_t g_sgi_affinity = 0;    // this CPU's Aff3/2/1 and target bit, as ICC_SGI1R_EL1 wants them

uint64_t read_mpidr() {
    uint64_t value;
    asm volatile("mrs %0, mpidr_el1" : "=r"(value));
    return value;
}

// Affinity as GICR_TYPER[63:32] reports it: Aff3.Aff2.Aff1.Aff0.
uint32_t packed_affinity(uint64_t mpidr) {
    return static_cast<uint32_t>(((mpidr >> 8) & 0xff000000) | (mpidr & 0xffffff));
}

void wait_distributor_writes() {
    while (read32(g_distributor + k_gicd_ctlr) & k_gicd_ctlr_rwp) {
    }
}

void wait_redistributor_writes() {
    while (read32(g_redistributor + k_gicr_ctlr) & k_gicr_ctlr_rwp) {
    }
}

// Walks the redistributor frames until the one whose affinity is ours.
ErrorOr<uintptr_t> find_own_redistributor(const PhysicalRange& region, uint32_t affinity) {
    for (uint64_t frame = region.base; frame + 2 * k_frame_size <= region.base + region.size;) {
        uintptr_t rd = TRY(mmio_map(frame, k_frame_size));
        uint64_t typer = read64(rd + k_gicr_typer);
        if ((typer >> 32) == affinity) {
            g_sgi_frame = TRY(mmio_map(frame + k_frame_size, k_frame_size));
            return rd;
        }
        if (typer & k_gicr_typer_last)
            break;
        frame += (typer & k_gicr_typer_vlpis ? 4 : 2) * k_frame_size;
    }
    return Error::NotFound;
}

void init_distributor(uint32_t lines, uint64_t route) {
    write32(g_distributor + k_gicd_ctlr, 0);
    wait_distributor_writes();
    for (uint32_t intid = 32; intid < lines; intid += 32) {
        uintptr_t offset = 4 * (intid / 32);
        write32(g_distributor + k_gicd_icenabler + offset, ~0u);
        write32(g_distributor + k_gicd_icpendr + offset, ~0u);
        write32(g_distributor + k_gicd_icactiver + offset, ~0u);
        write32(g_distributor + k_gicd_igroupr + offset, ~0u);
        write32(g_distributor + k_gicd_igrpmodr + offset, 0);
    }
    for (uint32_t intid = 32; intid < lines; ++intid) {
        if (intid % 4 == 0)
            write32(g_distributor + k_gicd_ipriorityr + intid, k_default_priority * 0x01010101u);
        if (intid % 16 == 0)
            write32(g_distributor + k_gicd_icfgr + intid / 4, 0);  // level-triggered
        write64(g_distributor + k_gicd_irouter + 8 * intid, route);
    }
    wait_distributor_writes();
    write32(g_distributor + k_gicd_ctlr, k_gicd_ctlr_are);
    wait_distributor_writes();
    write32(g_distributor + k_gicd_ctlr, k_gicd_ctlr_are | k_gicd_ctlr_enable_grp1 | k_gicd_ctlr_enable_grp0);
    wait_distributor_writes();
}

void init_redistributor() {
    write32(g_redistributor + k_gicr_waker, read32(g_redistributor + k_gicr_waker) & ~k_gicr_waker_processor_sleep);
    while (read32(g_redistributor + k_gicr_waker) & k_gicr_waker_children_asleep) {
    }
    // SGI_base uses the distributor's offsets for INTIDs 0-31.
    write32(g_sgi_frame + k_gicd_icenabler, ~0u);
    wait_redistributor_writes();
    write32(g_sgi_frame + k_gicd_icpendr, ~0u);
    write32(g_sgi_frame + k_gicd_icactiver, ~0u);
    write32(g_sgi_frame + k_gicd_igroupr, ~0u);
    write32(g_sgi_frame + k_gicd_igrpmodr, 0);
    for (uint32_t intid = 0; intid < 32; intid += 4)
        write32(g_sgi_frame + k_gicd_ipriorityr + intid, k_default_priority * 0x01010101u);
}

ErrorOr<void> init_cpu_interface() {
    uint64_t sre;
    asm volatile("mrs %0, " ICC_SRE_EL1 "\n orr %0, %0, #1\n msr " ICC_SRE_EL1 ", %0\n isb\n mrs %0, " ICC_SRE_EL1
                 : "=&r"(sre));
    if ((sre & 1) == 0)  // system register interface disabled from a higher EL
        return Error::NotImplemented;
    asm volatile("msr " ICC_PMR_EL1 ", %0\n"
                 "msr " ICC_BPR1_EL1 ", xzr\n"
                 "msr " ICC_CTLR_EL1 ", xzr\n"  // EOImode 0: EOIR also deactivates
                 "msr " ICC_IGRPEN1_EL1 ", %1\n"
                 "isb" ::"r"(0xfful),
                 "r"(1ul));
    return {};
}

ErrorOr<uint32_t> init(const GicInfo& info) {
    if (info.distributor.size == 0 || info.redistributor.size == 0)
        return Error::NotFound;
    g_distributor = TRY(mmio_map(info.distributor.base, info.distributor.size));
    uint64_t mpidr = read_mpidr();
    g_redistributor = TRY(find_own_redistributor(info.redistributor, packed_affinity(mpidr)));

    uint32_t lines = 32 * ((read32(g_distributor + k_gicd_typer) & 0x1f) + 1);
    if (lines > k_first_spurious_intid)
        lines = k_first_spurious_intid;
    uint64_t aff0 = mpidr & 0xff, aff1 = (mpidr >> 8) & 0xff, aff2 = (mpidr >> 16) & 0xff;
    uint64_t aff3 = (mpidr >> 32) & 0xff;
    init_distributor(lines, (aff3 << 32) | (aff2 << 16) | (aff1 << 8) | aff0);
    init_redistributor();
    TRY(init_cpu_interface());
    // ICC_SGI1R_EL1: Aff3 [55:48], RS [47:44], Aff2 [39:32], Aff1 [23:16], TargetList [15:0].
    g_sgi_affinity = (aff3 << 48) | ((aff0 / 16) << 44) | (aff2 << 32) | (aff1 << 16) | (1ul << (aff0 % 16));
    return lines;
}

Acknowledged acknowledge() {
    uint64_t iar;
    asm volatile("mrs %0, " ICC_IAR1_EL1 : "=r"(iar)::"memory");
    uint32_t intid = static_cast<uint32_t>(iar & 0xffffff);
    return { intid, intid };
}

void end_of_interrupt(uint32_t raw) { asm volatile("msr " ICC_EOIR1_EL1 ", %0\n isb" ::"r"(uint64_t(raw)) : "memory"); }

// INTIDs 0-31 live in this CPU's redistributor, the rest in the distributor.
uintptr_t bit_register(uintptr_t offset, uint32_t intid) {
    return intid < 32 ? g_sgi_frame + offset : g_distributor + offset + 4 * (intid / 32);
}

void set_enabled(uint32_t intid, bool enabled) {
    write32(bit_register(enabled ? k_gicd_isenabler : k_gicd_icenabler, intid), 1u << (intid % 32));
    if (!enabled) {  // disabling is only certain once the write has taken effect
        if (intid < 32)
            wait_redistributor_writes();
        else
            wait_distributor_writes();
    }
}

bool is_enabled(uint32_t intid) { return (read32(bit_register(k_gicd_isenabler, intid)) >> (intid % 32)) & 1; }

void clear_pending(uint32_t intid) { write32(bit_register(k_gicd_icpendr, intid), 1u << (intid % 32)); }

void send_sgi_to_self(uint32_t sgi) {
    asm volatile("msr " ICC_SGI1R_EL1 ", %0\n isb" ::"r"(g_sgi_affinity | (uint64_t(sgi) << 24)) : "memory");
}

}  // namespace

const GicOps k_gic_v3_ops { init, acknowledge, end_of_interrupt, set_enabled, is_enabled, clear_pending,
                            send_sgi_to_self };

}  // namespace akuma::arch::gic
