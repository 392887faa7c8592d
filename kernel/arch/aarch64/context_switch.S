// Thread context switch (AAPCS64): only callee-saved state needs saving,
// since switch_context is an ordinary call for the compiler.
//
// void switch_context(CpuContext* from, CpuContext* to)
//   CpuContext layout (kernel/sched/cpu_context.h):
//   x19..x28 at 0..72, x29 (fp) at 80, x30 (lr) at 88, sp at 96
    .text
    .globl switch_context
    .type switch_context, %function
switch_context:
    stp     x19, x20, [x0, #0]
    stp     x21, x22, [x0, #16]
    stp     x23, x24, [x0, #32]
    stp     x25, x26, [x0, #48]
    stp     x27, x28, [x0, #64]
    stp     x29, x30, [x0, #80]
    mov     x9, sp
    str     x9, [x0, #96]
    ldp     x19, x20, [x1, #0]
    ldp     x21, x22, [x1, #16]
    ldp     x23, x24, [x1, #32]
    ldp     x25, x26, [x1, #48]
    ldp     x27, x28, [x1, #64]
    ldp     x29, x30, [x1, #80]
    ldr     x9, [x1, #96]
    mov     sp, x9
    ret
    .size switch_context, . - switch_context

// First code of every new thread: switch_context "returns" here with
// x19 = entry function, x20 = its argument (set up by thread creation).
    .globl thread_trampoline
    .type thread_trampoline, %function
thread_trampoline:
    mov     x29, xzr                 // end of the frame-pointer chain
    mov     x0, x19
    mov     x1, x20
    bl      thread_start             // never returns
    brk     #0x1
    .size thread_trampoline, . - thread_trampoline

// FP/SIMD state: v0-v31 (512 bytes) then FPCR, FPSR. Kernel code is built
// without FP; these save the state of threads that use it (user threads).
// void fp_state_save(FpState*), void fp_state_restore(const FpState*)
    .globl fp_state_save
    .type fp_state_save, %function
fp_state_save:
    stp     q0, q1, [x0, #0]
    stp     q2, q3, [x0, #32]
    stp     q4, q5, [x0, #64]
    stp     q6, q7, [x0, #96]
    stp     q8, q9, [x0, #128]
    stp     q10, q11, [x0, #160]
    stp     q12, q13, [x0, #192]
    stp     q14, q15, [x0, #224]
    stp     q16, q17, [x0, #256]
    stp     q18, q19, [x0, #288]
    stp     q20, q21, [x0, #320]
    stp     q22, q23, [x0, #352]
    stp     q24, q25, [x0, #384]
    stp     q26, q27, [x0, #416]
    stp     q28, q29, [x0, #448]
    stp     q30, q31, [x0, #480]
    mrs     x9, fpcr
    mrs     x10, fpsr
    add     x11, x0, #512
    stp     x9, x10, [x11]
    ret
    .size fp_state_save, . - fp_state_save

    .globl fp_state_restore
    .type fp_state_restore, %function
fp_state_restore:
    ldp     q0, q1, [x0, #0]
    ldp     q2, q3, [x0, #32]
    ldp     q4, q5, [x0, #64]
    ldp     q6, q7, [x0, #96]
    ldp     q8, q9, [x0, #128]
    ldp     q10, q11, [x0, #160]
    ldp     q12, q13, [x0, #192]
    ldp     q14, q15, [x0, #224]
    ldp     q16, q17, [x0, #256]
    ldp     q18, q19, [x0, #288]
    ldp     q20, q21, [x0, #320]
    ldp     q22, q23, [x0, #352]
    ldp     q24, q25, [x0, #384]
    ldp     q26, q27, [x0, #416]
    ldp     q28, q29, [x0, #448]
    ldp     q30, q31, [x0, #480]
    add     x11, x0, #512
    ldp     x9, x10, [x11]
    msr     fpcr, x9
    msr     fpsr, x10
    ret
    .size fp_state_restore, . - fp_state_restore
