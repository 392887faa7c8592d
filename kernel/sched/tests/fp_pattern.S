// uint64_t fp_pattern_roundtrip(uint64_t seed): loads v0-v31 with values
// derived from seed, calls yield(), and returns how many registers changed.
// Test helper for kernel/sched/tests/scheduler_tests.cpp.
    .text
    .globl fp_pattern_roundtrip
    .type fp_pattern_roundtrip, %function
fp_pattern_roundtrip:
    stp     x29, x30, [sp, #-32]!
    mov     x29, sp
    str     x19, [sp, #16]
    mov     x19, x0
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    add     x9, x19, #\n
    fmov    d\n, x9
    mov     v\n\().d[1], x9
    .endr
    bl      _ZN5akuma5sched5yieldEv
    mov     x0, #0
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    add     x9, x19, #\n
    fmov    x10, d\n
    mov     x11, v\n\().d[1]
    cmp     x10, x9
    cinc    x0, x0, ne
    cmp     x11, x9
    cinc    x0, x0, ne
    .endr
    ldr     x19, [sp, #16]
    ldp     x29, x30, [sp], #32
    ret
    .size fp_pattern_roundtrip, . - fp_pattern_roundtrip
