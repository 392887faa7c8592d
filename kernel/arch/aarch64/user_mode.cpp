#include "kernel/arch/aarch64/user_mode.h"

#include "kernel/arch/aarch64/sysregs.h"
#include "kernel/mm/pmm.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::arch {

namespace {

constexpr unsigned k_asid_count = 256;  // 8-bit ASIDs (TCR_EL1.AS = 0)

constinit uint64_t g_empty_root = 0;
constinit uint64_t g_current_ttbr0 = 0;
constinit uint64_t g_asid_in_use[k_asid_count / 64] = { 1 };  // ASID 0 is the shared one
// The table whose entries ASID 0 may hold in the TLB.
constinit uint64_t g_asid0_root = 0;

void flush_asid(uint16_t asid) {
    uint64_t operand = static_cast<uint64_t>(asid) << 48;
    asm volatile("dsb ishst\n tlbi aside1is, %0\n dsb ish\n isb" ::"r"(operand) : "memory");
}

}  // namespace

ErrorOr<void> user_mode_init() {
    auto root = TRY(mm::allocate_pages(0, mm::PageOwner::PageTable));
    auto* entries = static_cast<uint64_t*>(mm::phys_to_virt(root));
    for (size_t i = 0; i < mm::k_entries_per_table; ++i)
        entries[i] = 0;
    g_empty_root = root;
    g_asid0_root = root;
    g_current_ttbr0 = make_ttbr0(root, 0);
    uint64_t tcr;
    asm volatile("msr ttbr0_el1, %0\n isb" ::"r"(g_current_ttbr0));
    asm volatile("mrs %0, tcr_el1" : "=r"(tcr));
    tcr &= ~static_cast<uint64_t>(TCR_EPD0);
    // Top-byte-ignore for user addresses, as Linux's arm64 tagged-address
    // ABI: a pointer with a tag in bits 63:56 reaches the same memory.
    constexpr uint64_t k_tcr_tbi0 = uint64_t { 1 } << 37;
    tcr |= k_tcr_tbi0;
    asm volatile("msr tcr_el1, %0\n isb\n tlbi vmalle1\n dsb nsh\n isb" ::"r"(tcr) : "memory");
    // As Linux: user space may read the virtual counter (CNTVCT_EL0) and its
    // frequency (CNTKCTL_EL1.EL0VCTEN), not the physical one or the timers.
    constexpr uint64_t k_cntkctl_el0vcten = 1u << 1;
    asm volatile("msr cntkctl_el1, %0\n isb" ::"r"(k_cntkctl_el0vcten));
    return {};
}

void switch_user_translation(uint64_t ttbr0) {
    if (ttbr0 == 0)
        ttbr0 = make_ttbr0(g_empty_root, 0);
    if (ttbr0 == g_current_ttbr0)
        return;
    asm volatile("msr ttbr0_el1, %0\n isb" ::"r"(ttbr0) : "memory");
    g_current_ttbr0 = ttbr0;
    uint64_t root = ttbr0 & ((1ull << 48) - 1);
    if ((ttbr0 >> 48) == 0 && root != g_asid0_root) {
        flush_asid(0);
        g_asid0_root = root;
    }
}

bool user_translation_loaded(uint64_t ttbr0) { return ttbr0 == g_current_ttbr0; }

uint16_t allocate_asid() {
    for (unsigned word = 0; word < k_asid_count / 64; ++word) {
        if (~g_asid_in_use[word] == 0)
            continue;
        unsigned bit = static_cast<unsigned>(__builtin_ctzll(~g_asid_in_use[word]));
        g_asid_in_use[word] |= 1ull << bit;
        return static_cast<uint16_t>(word * 64 + bit);
    }
    return 0;
}

void release_asid(uint16_t asid, uint64_t root) {
    if (asid != 0) {
        flush_asid(asid);
        g_asid_in_use[asid / 64] &= ~(1ull << (asid % 64));
    } else if (root == g_asid0_root) {
        flush_asid(0);
        g_asid0_root = g_empty_root;
    }
}

void invalidate_user_page(uint16_t asid, uint64_t va) {
    uint64_t operand = ((va >> 12) & ((1ull << 44) - 1)) | (static_cast<uint64_t>(asid) << 48);
    asm volatile("dsb ishst\n tlbi vae1is, %0\n dsb ish\n isb" ::"r"(operand) : "memory");
}

uint64_t user_hwcap() {
    namespace abi = linux_abi;
    uint64_t isar0, pfr0;
    asm volatile("mrs %0, id_aa64isar0_el1" : "=r"(isar0));
    asm volatile("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
    auto field = [](uint64_t reg, unsigned shift) { return (reg >> shift) & 0xf; };
    uint64_t hwcap = 0;
    if (field(pfr0, 16) != 0xf)  // FP
        hwcap |= abi::k_hwcap_fp;
    if (field(pfr0, 20) != 0xf)  // AdvSIMD
        hwcap |= abi::k_hwcap_asimd;
    if (field(isar0, 4) >= 1)  // AES
        hwcap |= abi::k_hwcap_aes;
    if (field(isar0, 4) >= 2)
        hwcap |= abi::k_hwcap_pmull;
    if (field(isar0, 8) >= 1)
        hwcap |= abi::k_hwcap_sha1;
    if (field(isar0, 12) >= 1)
        hwcap |= abi::k_hwcap_sha2;
    if (field(isar0, 12) >= 2)
        hwcap |= abi::k_hwcap_sha512;
    if (field(isar0, 16) >= 1)
        hwcap |= abi::k_hwcap_crc32;
    if (field(isar0, 20) >= 2)  // LSE atomics
        hwcap |= abi::k_hwcap_atomics;
    if (field(isar0, 28) >= 1)
        hwcap |= abi::k_hwcap_asimdrdm;
    if (field(isar0, 44) >= 1)
        hwcap |= abi::k_hwcap_asimddp;
    return hwcap;
}

void set_writable_implies_execute_never(bool enabled) {
    constexpr uint64_t k_wxn = 1ull << 19;
    uint64_t sctlr;
    asm volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
    sctlr = enabled ? (sctlr | k_wxn) : (sctlr & ~k_wxn);
    // WXN may be cached in TLB entries: drop them after the change.
    asm volatile("msr sctlr_el1, %0\n isb\n tlbi vmalle1\n dsb nsh\n isb" ::"r"(sctlr) : "memory");
}

uint64_t read_tpidr_el0() {
    uint64_t value;
    asm volatile("mrs %0, tpidr_el0" : "=r"(value));
    return value;
}

void write_tpidr_el0(uint64_t value) { asm volatile("msr tpidr_el0, %0" ::"r"(value)); }

}  // namespace akuma::arch
