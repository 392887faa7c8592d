// Copies between kernel and user memory that survive faults. Every load
// and store that touches user memory has an exception-table entry; a
// fault that demand paging cannot resolve resumes at the fixup, which
// reports how much was left. Range checks are the caller's job
// (kernel/mm/user_access.cpp): these only make faults recoverable.

// Emits `insn` with an exception-table entry resuming at `fixup`.
.macro user_access fixup, insn:vararg
9999:   \insn
    .pushsection __ex_table, "a"
    .balign 8
    .quad   9999b, \fixup
    .popsection
.endm

// 64 bytes from [x1 + off] to [x0 + off], the loads before the stores; a
// fault goes on byte by byte (label 2 of user_copy_bytes).
.macro copy_64 off
    user_access 2f, ldp x3, x4, [x1, #\off]
    user_access 2f, ldp x5, x6, [x1, #\off + 16]
    user_access 2f, ldp x7, x8, [x1, #\off + 32]
    user_access 2f, ldp x9, x10, [x1, #\off + 48]
    user_access 2f, stp x3, x4, [x0, #\off]
    user_access 2f, stp x5, x6, [x0, #\off + 16]
    user_access 2f, stp x7, x8, [x0, #\off + 32]
    user_access 2f, stp x9, x10, [x0, #\off + 48]
.endm

    .text
// size_t user_copy_bytes(void* to, const void* from, size_t count)
// Returns the number of bytes NOT copied (0 on success).
    .globl user_copy_bytes
    .type user_copy_bytes, %function
user_copy_bytes:
    cbz     x2, 3f
    // 128 bytes a step, as two halves of 64 whose loads come before their
    // stores. A fault anywhere in a step goes on byte by byte from the
    // step's start (stores repeated write the same bytes), so the count not
    // copied stays exact.
5:  cmp     x2, #128
    b.lo    7f
    copy_64 0
    copy_64 64
    add     x0, x0, #128
    add     x1, x1, #128
    sub     x2, x2, #128
    b       5b
    // One 64-byte step for what is left.
7:  cmp     x2, #64
    b.lo    6f
    copy_64 0
    add     x0, x0, #64
    add     x1, x1, #64
    sub     x2, x2, #64
6:  cbz     x2, 3f
    cmp     x2, #8
    b.lo    2f
1:  user_access 4f, ldr x3, [x1]
    user_access 4f, str x3, [x0]
    add     x0, x0, #8
    add     x1, x1, #8
    sub     x2, x2, #8
    cmp     x2, #8
    b.hs    1b
    cbz     x2, 3f
2:  user_access 4f, ldrb w3, [x1]
    user_access 4f, strb w3, [x0]
    add     x0, x0, #1
    add     x1, x1, #1
    subs    x2, x2, #1
    b.ne    2b
3:  mov     x0, #0
    ret
4:  mov     x0, x2                   // fault: x2 bytes were not copied
    ret
    .size user_copy_bytes, . - user_copy_bytes

// size_t user_fill_zero(void* to, size_t count): returns bytes NOT zeroed.
    .globl user_fill_zero
    .type user_fill_zero, %function
user_fill_zero:
    mov     x2, x1
    cbz     x2, 2f
1:  user_access 3f, strb wzr, [x0]
    add     x0, x0, #1
    subs    x2, x2, #1
    b.ne    1b
2:  mov     x0, #0
    ret
3:  mov     x0, x2
    ret
    .size user_fill_zero, . - user_fill_zero

// int64_t user_string_length(const char* string, size_t limit)
// Length of a NUL-terminated user string, `limit` if there is no NUL in
// the first `limit` bytes, or -1 if it faults.
    .globl user_string_length
    .type user_string_length, %function
user_string_length:
    mov     x2, #0
1:  cmp     x2, x1
    b.hs    2f
    user_access 3f, ldrb w3, [x0, x2]
    cbz     w3, 2f
    add     x2, x2, #1
    b       1b
2:  mov     x0, x2
    ret
3:  mov     x0, #-1
    ret
    .size user_string_length, . - user_string_length

// int user_compare_exchange_u32(uint32_t* address, uint32_t expected,
//                               uint32_t desired, uint32_t* found)
// Atomically: *found = *address, and *address = desired if it was
// `expected` (an exclusive load/store pair, retried when another writer
// came between). Returns 0, or -1 if the user word faults (`found` is a
// kernel pointer). The word must be 4-byte aligned.
    .globl user_compare_exchange_u32
    .type user_compare_exchange_u32, %function
user_compare_exchange_u32:
1:  user_access 4f, ldaxr w4, [x0]
    cmp     w4, w1
    b.ne    2f
    user_access 4f, stlxr w5, w2, [x0]
    cbnz    w5, 1b
    b       3f
2:  clrex
3:  str     w4, [x3]
    mov     w0, #0
    ret
4:  mov     w0, #-1
    ret
    .size user_compare_exchange_u32, . - user_compare_exchange_u32
