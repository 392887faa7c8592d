// Arm semihosting call (HLT #0xF000; "Semihosting for AArch32 and AArch64").
// long semihost_call(long operation, const void* parameter_block)
// Without a semihosting-enabled debugger/QEMU, HLT is an undefined
// instruction: the exception-table entry makes that return -1 instead.
    .text
    .globl semihost_call
    .type semihost_call, %function
semihost_call:
1:  hlt     #0xf000
    ret
2:  mov     x0, #-1
    ret
    .size semihost_call, . - semihost_call

    .section __ex_table, "a"
    .balign 8
    .quad   1b, 2b

// long psci_call(function, arg1, arg2, arg3, use_smc)
    .text
    .globl psci_call
    .type psci_call, %function
psci_call:
    cbnz    x4, 3f
    hvc     #0
    ret
3:  smc     #0
    ret
    .size psci_call, . - psci_call
