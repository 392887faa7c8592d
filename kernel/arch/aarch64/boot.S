// Entry point: Linux arm64 boot protocol (Documentation/arch/arm64/booting.rst).
// The boot loader (QEMU -kernel, U-Boot booti) jumps to the image's first
// byte with the MMU off, x0 = physical address of the DTB, at EL2 or EL1.
// We drop to EL1, zero .bss, build the boot page tables (boot_map.cpp, run
// at the physical address), enable the MMU and caches and continue at the
// kernel's linked upper-half address in kernel_main().

#include "kernel/arch/aarch64/sysregs.h"

    .section .text.head, "ax"
    .globl _start
_start:
    b       primary_entry            // code0
    .long   0                        // code1
    .quad   0x1000                   // text_offset: 4 KiB above a 2 MiB boundary, the lowest QEMU
                                     // honours (below 4 KiB it loads us 2 MiB up, where small
                                     // machines lack room for its DTB; docs/ARCHITECTURE.md)
    .quad   __kernel_size            // image_size, including .bss
    .quad   IMAGE_FLAGS              // LE, 4 KiB pages, anywhere in RAM
    .quad   0, 0, 0                  // reserved
    .ascii  "ARM\x64"                // magic
    .long   0                        // no PE/COFF header

    .section .text.boot, "ax"
primary_entry:
    mov     x19, x0                  // x19 = DTB physical address
    adr     x20, _start              // x20 = kernel physical base
    msr     daifset, #0xf
    mrs     x0, CurrentEL
    lsr     x0, x0, #2
    mov     x23, x0                  // x23 = exception level we were entered at
    cmp     x0, #2
    b.eq    drop_from_el2
    b.hi    unsupported_el           // EL3: not supported (QEMU virt enters at EL2 or EL1)

at_el1:
    ldr     x0, =SCTLR_EL1_MMU_OFF
    msr     sctlr_el1, x0
    isb
    mov     x0, #CPACR_EL1_FPEN      // FP/SIMD usable (user threads will need it)
    msr     cpacr_el1, x0

    // Zero .bss: it holds the boot stack and the boot page-table pool.
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:
    adrp    x0, boot_stack_top
    add     x0, x0, :lo12:boot_stack_top
    mov     sp, x0
    mov     x29, xzr

    mov     x0, x20
    mov     x1, x19
    bl      boot_build_page_tables   // returns x0 = TTBR1 root, x1 = TTBR0 root
    cbz     x0, unsupported_el       // table pool exhausted: nothing we can report yet
    mov     x21, x0
    mov     x22, x1

    // The tables were written with the MMU (and so the data cache) off:
    // drop any stale cache lines over .bss before the walker reads them.
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
    bl      invalidate_dcache_range

    ldr     x0, =MAIR_EL1_VALUE
    msr     mair_el1, x0
    ldr     x0, =TCR_EL1_VALUE
    mrs     x1, id_aa64mmfr0_el1     // IPS = PARange, capped at 48 bits
    and     x1, x1, #0xf
    cmp     x1, #5
    mov     x2, #5
    csel    x1, x1, x2, ls
    bfi     x0, x1, #32, #3
    msr     tcr_el1, x0
    msr     ttbr1_el1, x21
    msr     ttbr0_el1, x22
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x0, =SCTLR_EL1_MMU_ON
    msr     sctlr_el1, x0
    isb
    ic      iallu
    dsb     nsh
    isb
    ldr     x0, =kernel_high_entry   // absolute: the upper-half address
    br      x0

drop_from_el2:
    mov     x0, #HCR_EL2_RW          // EL1 is AArch64; no traps to EL2
    msr     hcr_el2, x0
    mrs     x0, cnthctl_el2          // EL1 may use the physical timer and counter
    orr     x0, x0, #CNTHCTL_EL1PCTEN_EL1PCEN
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr
    mov     x0, #CPTR_EL2_DEFAULT    // don't trap FP/SIMD
    msr     cptr_el2, x0
    msr     hstr_el2, xzr
    mrs     x0, id_aa64pfr0_el1      // GICv3 system registers: let EL1 use them
    ubfx    x0, x0, #24, #4
    cbz     x0, 3f
    mrs     x0, ICC_SRE_EL2
    mov     x1, #(ICC_SRE_SRE | ICC_SRE_ENABLE)
    orr     x0, x0, x1
    msr     ICC_SRE_EL2, x0
    isb
3:  ldr     x0, =SCTLR_EL1_MMU_OFF
    msr     sctlr_el1, x0
    mov     x0, #SPSR_EL1H_MASKED
    msr     spsr_el2, x0
    adr     x0, at_el1
    msr     elr_el2, x0
    eret

unsupported_el:                      // stop quietly: no console is known yet
    wfe
    b       unsupported_el

// invalidate_dcache_range(start, end): DC IVAC over [start, end).
invalidate_dcache_range:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4          // DminLine: log2(words per line)
    mov     x2, #4
    lsl     x2, x2, x3               // line size in bytes
    sub     x3, x2, #1
    bic     x0, x0, x3
4:  dc      ivac, x0
    add     x0, x0, x2
    cmp     x0, x1
    b.lo    4b
    dsb     sy
    ret
    .ltorg

    .text
kernel_high_entry:
    ldr     x0, =boot_stack_top
    mov     sp, x0
    ldr     x0, =exception_vectors
    msr     vbar_el1, x0
    // TTBR0 held only the identity map used to get here. User space gets
    // TTBR0 later; until then walks are disabled, so VA 0 (NULL) faults.
    mrs     x0, tcr_el1
    orr     x0, x0, #TCR_EPD0
    msr     tcr_el1, x0
    msr     ttbr0_el1, xzr
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    mov     x29, xzr
    mov     x30, xzr
    mov     x0, x19                  // DTB physical address
    mov     x1, x20                  // kernel physical base
    mov     x2, x23                  // entry exception level
    bl      kernel_main
5:  wfi
    b       5b
    .ltorg

    // The boot stack follows the kernel stack layout (sysregs.h): the guard
    // half is left out of the kernel mapping by boot_build_page_tables().
    .section .bss.boot_stack, "aw", %nobits
    .balign (2 * KERNEL_STACK_SIZE)
    .globl boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
    .space  KERNEL_STACK_SIZE
boot_stack_bottom:
    .space  KERNEL_STACK_SIZE
boot_stack_top:
