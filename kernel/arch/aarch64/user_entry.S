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
