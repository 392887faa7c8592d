// void enter_user_mode(uint64_t entry, uint64_t user_sp, uint64_t kernel_stack_top)
// See user_mode.h. SPSR 0 = EL0t with all of DAIF clear (interrupts on).
    .text
    .globl enter_user_mode
    .type enter_user_mode, %function
enter_user_mode:
    msr     daifset, #0xf
    mov     sp, x2
    msr     elr_el1, x0
    msr     sp_el0, x1
    msr     spsr_el1, xzr
    msr     fpcr, xzr
    msr     fpsr, xzr
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    movi    v\n\().2d, #0
    .endr
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    mov     x\n, xzr
    .endr
    eret
    .size enter_user_mode, . - enter_user_mode

// void return_to_user_with_frame(const TrapFrame* frame, uint64_t kernel_stack_top)
// Leaves for EL0 with the registers in `frame` (which must not lie on the
// current stack): the frame is copied to the top of the kernel stack, where
// the exception entry would have put it, and the common exception return
// restores it, as if the thread had been interrupted there. New threads
// and fork children start this way.
    .globl return_to_user_with_frame
    .type return_to_user_with_frame, %function
return_to_user_with_frame:
    msr     daifset, #0xf
    sub     sp, x1, #288            // sizeof(TrapFrame): nothing below is kept
    mov     x2, sp
    mov     x3, #(288 / 16)
1:  ldp     x4, x5, [x0], #16
    stp     x4, x5, [x2], #16
    subs    x3, x3, #1
    b.ne    1b
    b       exception_return
    .size return_to_user_with_frame, . - return_to_user_with_frame
