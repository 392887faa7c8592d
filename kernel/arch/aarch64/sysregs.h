// System register values used by boot.S (and by C++ where useful).
// Plain #defines so assembly can include this file. References: ARM ARM D13.
#pragma once

// arm64 Image header flags: little-endian, 4 KiB pages, placement anywhere.
#define IMAGE_FLAGS ((1 << 1) | (1 << 3))

// Every kernel stack is KERNEL_STACK_SIZE bytes in the upper half of a
// 2 * KERNEL_STACK_SIZE aligned slot whose lower half is an unmapped guard.
// So "SP is inside a stack" is one bit test (bit KERNEL_STACK_SHIFT set),
// which the exception vectors use to catch overflows without touching memory.
#define KERNEL_STACK_SHIFT 14
#define KERNEL_STACK_SIZE (1 << KERNEL_STACK_SHIFT)

// SCTLR_EL1. RES1 bits of ARMv8.0 (29, 28, 23, 22, 20, 11), plus:
// M (MMU), C (data cache), SA/SA0 (stack alignment checks), I (icache),
// nTWI/nTWE (EL0 WFI/WFE not trapped), WXN (writable implies execute-never:
// the hardware backs up our W^X mappings), and as on Linux DZE (EL0 may use
// DC ZVA: glibc's memset does), UCT (EL0 may read CTR_EL0) and UCI (EL0 may
// clean/invalidate caches to the point of unification: JITs).
#define SCTLR_EL1_MMU_OFF 0x30d00800
#define SCTLR_EL1_MMU_ON 0x34ddd81d

#define CPACR_EL1_FPEN (3 << 20)

// MAIR_EL1: index 0 Normal WB-WA (0xff), index 1 Device-nGnRE (0x04).
// Must match kernel/mm/page_table.h.
#define MAIR_EL1_VALUE 0x04ff

// TCR_EL1: T0SZ = T1SZ = 16 (48-bit VA), 4 KiB granules, walks inner/outer
// write-back cacheable, inner shareable. IPS is filled in at boot.
#define TCR_EL1_VALUE 0xb5103510
#define TCR_EPD0 (1 << 7)

#define HCR_EL2_RW (1 << 31)
#define CNTHCTL_EL1PCTEN_EL1PCEN 3
#define CPTR_EL2_DEFAULT 0x33ff
#define SPSR_EL1H_MASKED 0x3c5  // EL1h, D, A, I, F masked

#define ICC_SRE_EL2 S3_4_C12_C9_5
#define ICC_SRE_SRE (1 << 0)
#define ICC_SRE_ENABLE (1 << 3)
