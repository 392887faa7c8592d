// Parse fixture with a PT_TLS segment (.tdata + .tbss). Without libc nothing
// sets up the thread pointer, so this program is only parsed, never run.
static long syscall1(long number, long a0)
{
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a0;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory");
    return x0;
}

__thread long tls_initialised = 40;
__thread long tls_zeroed[4];

void _start(void)
{
    tls_zeroed[0] = 2;
    syscall1(93, tls_initialised + tls_zeroed[0]);  // exit
    __builtin_unreachable();
}
