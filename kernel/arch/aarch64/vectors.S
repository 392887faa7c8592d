// Exception vector table: 16 entries of 0x80 bytes (ARM ARM D1.10.2).
// Every entry saves a TrapFrame (trap_frame.h) and calls
// exception_dispatch(frame, kind); if that returns, the frame is restored
// (possibly modified, e.g. by an exception-table fixup) and we ERET.

#include "kernel/arch/aarch64/sysregs.h"

#define FRAME_SIZE 288
#define KIND_KERNEL_STACK_OVERFLOW 16

.macro vector_entry kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       exception_common
.endm

// EL1h synchronous entry: first check that the frame still fits in the
// current kernel stack. If SP ran into a guard page, pushing the frame
// would fault again forever; instead we switch to the overflow stack.
// The test needs a register, so x0 is exchanged through SP (no memory).
.macro vector_entry_stack_checked kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    add     sp, sp, x0               // sp = new_sp + x0
    sub     x0, sp, x0               // x0 = new_sp
    tbz     x0, #KERNEL_STACK_SHIFT, kernel_stack_overflow
    sub     x0, sp, x0               // x0 = original x0
    sub     sp, sp, x0               // sp = new_sp
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       exception_common
.endm

    .text
    .balign 2048
    .globl exception_vectors
exception_vectors:
    vector_entry 0
    vector_entry 1
    vector_entry 2
    vector_entry 3
    vector_entry_stack_checked 4
    vector_entry 5
    vector_entry 6
    vector_entry 7
    vector_entry 8
    vector_entry 9
    vector_entry 10
    vector_entry 11
    vector_entry 12
    vector_entry 13
    vector_entry 14
    vector_entry 15

// Entered with x0 = the overflowing SP, sp = that SP + original x0.
// The overflowing SP and x0 are parked in TPIDR_EL1 / TPIDRRO_EL0 (the
// kernel is about to stop, nothing else needs them) while we move to the
// overflow stack and build a normal frame; exception_dispatch reports it.
kernel_stack_overflow:
    sub     sp, sp, x0               // sp = original x0
    msr     tpidr_el1, x0
    mov     x0, sp
    msr     tpidrro_el0, x0
    adrp    x0, overflow_stack_top
    add     x0, x0, :lo12:overflow_stack_top
    mov     sp, x0
    sub     sp, sp, #FRAME_SIZE
    mrs     x0, tpidrro_el0
    stp     x0, x1, [sp, #0]
    mov     x0, #KIND_KERNEL_STACK_OVERFLOW
    b       exception_common

    .type exception_common, %function
exception_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    // Interrupted SP: ours before the frame for EL1 entries, SP_EL0 for EL0.
    add     x2, sp, #FRAME_SIZE
    mrs     x3, sp_el0
    cmp     x0, #8
    csel    x2, x3, x2, hs
    stp     x30, x2, [sp, #240]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x2, x3, [sp, #256]
    mrs     x2, esr_el1
    mrs     x3, far_el1
    stp     x2, x3, [sp, #272]

    mov     x1, x0
    mov     x0, sp
    mov     x29, xzr                 // backtraces start from the frame's x29
    bl      exception_dispatch

// Restores the TrapFrame at SP and returns from the exception. Also the
// way into user mode for a new process (enter_user_mode).
    .globl exception_return
exception_return:
    ldp     x2, x3, [sp, #256]
    msr     elr_el1, x2
    msr     spsr_el1, x3
    // Returning to EL0 (SPSR.M[3:2] == 0): the frame holds its SP_EL0.
    tst     x3, #0xc
    b.ne    1f
    ldr     x2, [sp, #248]
    msr     sp_el0, x2
1:
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    add     sp, sp, #FRAME_SIZE
    eret
    .size exception_common, . - exception_common

    .section .bss.overflow_stack, "aw", %nobits
    .balign 16
overflow_stack:
    .space  8192
    .globl overflow_stack_top
overflow_stack_top:
