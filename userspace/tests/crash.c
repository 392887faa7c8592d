/* crash: die in one chosen way, so the test harness can check that the
 * kernel kills the process with the right signal (and never hangs).
 *
 * usage: crash MODE
 *
 * Exit statuses seen on Linux (linux-ref, shell reports 128+signal):
 *   segv      write to address 0x10                 139 (SIGSEGV)
 *   segv-ro   write to a PROT_READ page             139 (SIGSEGV)
 *   abort     abort()                               134 (SIGABRT)
 *   exit42    exit(42)                               42
 *   stack     unbounded recursion past 8 MiB        139 (SIGSEGV)
 *   exec-nx   call into a non-executable page       139 (SIGSEGV)
 *   ill       execute a permanently undefined insn  132 (SIGILL)
 *   trap      execute brk #0                        133 (SIGTRAP)
 *   oom       touch 4 GiB of MAP_NORESERVE memory       137 (SIGKILL, the OOM killer)
 *   blocked   SIGTERM to itself while blocked (it must stay pending:
 *             prints "pending"), then unblocked       143 (SIGTERM)
 *   (unknown mode or no argument: prints usage, exits 2)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

/* Each frame keeps 1 KiB live and recurses in a non-tail position, so the
 * compiler can neither drop the array nor turn this into a loop. The
 * volatile limit is never reached; it only makes the recursion look finite. */
static volatile unsigned long recurse_limit = ~0UL;
static unsigned long recurse(unsigned long depth) {
    volatile unsigned char pad[1024];
    if (depth >= recurse_limit) return 0;
    pad[0] = (unsigned char)depth;
    pad[sizeof pad - 1] = (unsigned char)depth;
    return recurse(depth + 1) + pad[0] + pad[sizeof pad - 1];
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    printf("crash: %s\n", mode);
    fflush(stdout);

    if (strcmp(mode, "segv") == 0) {
        /* volatile: the store must really happen at this address. */
        volatile uintptr_t addr = 0x10;
        *(volatile int *)addr = 1;
    } else if (strcmp(mode, "segv-ro") == 0) {
        volatile int *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return 3;
        *p = 1;
    } else if (strcmp(mode, "abort") == 0) {
        abort();
    } else if (strcmp(mode, "exit42") == 0) {
        exit(42);
    } else if (strcmp(mode, "stack") == 0) {
        printf("%lu\n", recurse(0));
    } else if (strcmp(mode, "exec-nx") == 0) {
        /* A valid "ret" in a RW (not X) page: only the NX check can stop it. */
        uint32_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return 3;
        p[0] = 0xd65f03c0; /* ret */
        void (*fn)(void) = (void (*)(void))(uintptr_t)p;
        fn();
    } else if (strcmp(mode, "ill") == 0) {
        __asm__ volatile("udf #0");
    } else if (strcmp(mode, "trap") == 0) {
        __asm__ volatile("brk #0");
    } else if (strcmp(mode, "oom") == 0) {
        size_t size = (size_t)4 << 30;
        volatile char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            perror("crash: mmap");
            return 1;
        }
        for (size_t i = 0; i < size; i += 4096)
            p[i] = 1;
    } else if (strcmp(mode, "blocked") == 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        kill(getpid(), SIGTERM);
        sigset_t pending;
        sigpending(&pending);
        printf("crash: SIGTERM %s\n", sigismember(&pending, SIGTERM) ? "pending" : "lost");
        fflush(stdout);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
    } else {
        fprintf(stderr, "usage: crash segv|segv-ro|abort|exit42|stack|exec-nx|ill|trap|oom|blocked\n");
        return 2;
    }
    /* Reaching here means the fault was not delivered. */
    printf("crash: survived %s\n", mode);
    return 1;
}
