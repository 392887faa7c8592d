// bool probe_read_u64(const void* address, uint64_t* value)
// Reads a word that may be unmapped: a fault resumes at the fixup through
// the exception table and the call returns false. The same mechanism will
// back user-memory copies.
    .text
    .globl probe_read_u64
    .type probe_read_u64, %function
probe_read_u64:
1:  ldr     x2, [x0]
    str     x2, [x1]
    mov     x0, #1
    ret
2:  mov     x0, #0
    ret
    .size probe_read_u64, . - probe_read_u64

    .section __ex_table, "a"
    .balign 8
    .quad   1b, 2b
