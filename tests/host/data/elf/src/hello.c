// Minimal freestanding AArch64 Linux program: write a line, exit(0).
// No libc, so the static binary stays a few hundred bytes.
static const char k_message[] = "hello from akuma\n";

static long syscall3(long number, long a0, long a1, long a2)
{
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x2 __asm__("x2") = a2;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}

// A writable variable gives the binary a separate RW data segment.
int exit_code = 0;

void _start(void)
{
    syscall3(64, 1, (long)k_message, sizeof k_message - 1);  // write
    syscall3(93, exit_code, 0, 0);                           // exit
    __builtin_unreachable();
}
