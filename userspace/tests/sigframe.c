/* sigframe: signal handler delivery and rt_sigreturn, as on Linux arm64.
 *
 * Linux facts checked here:
 *   - an SA_SIGINFO handler gets x0 = signo, x1 = siginfo_t, x2 = ucontext_t;
 *     uc_mcontext holds the interrupted pc (right after the svc for a signal
 *     sent by kill() to yourself), sp and registers; uc_mcontext.__reserved
 *     starts a record chain with the fpsimd_context (magic 0x46508001, 528
 *     bytes) holding the V registers; x29 points at a frame record {fp, lr}
 *     holding the interrupted x29 and x30.
 *   - rt_sigreturn restores every register, FP/SIMD included, whatever the
 *     handler did to them, and applies a pc the handler changed.
 *   - kill() gives si_code SI_USER, raise() (tgkill) SI_TKILL, both with
 *     si_pid/si_uid of the sender; faults give SEGV_MAPERR (nothing mapped)
 *     or SEGV_ACCERR (write to a read-only page) with si_addr = the address
 *     and uc_mcontext.fault_address the same.
 *   - the signal is blocked in its handler unless SA_NODEFER, plus sa_mask;
 *     uc_sigmask is the mask before delivery, restored on return.
 *   - SA_RESETHAND resets the action to SIG_DFL on delivery (the signal is
 *     still blocked in the handler without SA_NODEFER).
 *   - SA_ONSTACK runs the handler on the sigaltstack stack (uc_stack shows
 *     it, sigaltstack() reports SS_ONSTACK inside); a nested signal while on
 *     it stays on it, below; SS_AUTODISARM disables it while in use.
 *   - a handler can take another signal (nested frames, masks stacking).
 *   - with SA_RESTORER the handler returns to sa_restorer.
 */
#define _GNU_SOURCE
#include "check.h"

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* Linux uapi values glibc does not export. */
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define KERNEL_SA_RESTORER 0x04000000UL

#define FPSIMD_MAGIC_VALUE 0x46508001u
#define FPSIMD_SIZE 528u

static uint64_t sigbit(int sig) { return 1ULL << (sig - 1); }

static uint64_t current_mask(void) {
    uint64_t cur = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8);
    return cur;
}

static void set_action(int sig, void (*action)(int, siginfo_t *, void *), int flags, uint64_t mask) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = action;
    sa.sa_flags = flags | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    for (int s = 1; s < 64; s++)
        if (mask & sigbit(s))
            sigaddset(&sa.sa_mask, s);
    CHECK_EQ(sigaction(sig, &sa, NULL), 0);
}

static void set_default(int sig) { signal(sig, SIG_DFL); }

/* The V register record in uc_mcontext.__reserved, found by walking the
 * record chain ({u32 magic, u32 size} headers, a zero header ends it). */
static const unsigned char *find_fpsimd(const ucontext_t *uc) {
    const unsigned char *base = uc->uc_mcontext.__reserved;
    size_t offset = 0, limit = sizeof uc->uc_mcontext.__reserved;
    while (offset + 8 <= limit) {
        uint32_t magic, size;
        memcpy(&magic, base + offset, 4);
        memcpy(&size, base + offset + 4, 4);
        if (magic == 0 || size < 8 || size > limit - offset)
            return NULL;
        if (magic == FPSIMD_MAGIC_VALUE)
            return size == FPSIMD_SIZE ? base + offset : NULL;
        offset += size;
    }
    return NULL;
}

/* ---- SA_SIGINFO handler: what it sees -------------------------------------- */

#define X9_MAGIC 0x5a5a00001234abcdULL
#define V8_LO 0x0123456789abcdefULL
#define V8_HI 0xfedcba9876543210ULL

static struct {
    int calls;
    int signo, code, pid;
    unsigned uid;
    int x0_is_signo, info_below_uc;
    uint64_t pc, sp, x9, x29, x30;
    int fpsimd_found;
    uint64_t v8_lo, v8_hi;
    uint64_t record_fp, record_lr;
    uint64_t mask_inside, uc_mask;
    uint64_t local_address;
} seen;

__attribute__((noinline, optimize("no-omit-frame-pointer"))) static void inspect_handler(int sig, siginfo_t *si,
                                                                                       void *ctx) {
    ucontext_t *uc = ctx;
    seen.calls++;
    seen.signo = si->si_signo;
    seen.code = si->si_code;
    seen.pid = si->si_pid;
    seen.uid = si->si_uid;
    seen.x0_is_signo = sig == si->si_signo;
    seen.info_below_uc = (uintptr_t)si < (uintptr_t)uc;
    seen.pc = uc->uc_mcontext.pc;
    seen.sp = uc->uc_mcontext.sp;
    seen.x9 = uc->uc_mcontext.regs[9];
    seen.x29 = uc->uc_mcontext.regs[29];
    seen.x30 = uc->uc_mcontext.regs[30];
    const unsigned char *fp = find_fpsimd(uc);
    seen.fpsimd_found = fp != NULL;
    if (fp) {
        memcpy(&seen.v8_lo, fp + 16 + 8 * 16, 8);
        memcpy(&seen.v8_hi, fp + 16 + 8 * 16 + 8, 8);
    }
    /* x29 on entry pointed at the kernel's frame record; our prologue saved
     * it as the first word of our own frame record. */
    const uint64_t *record = *(const uint64_t *const *)__builtin_frame_address(0);
    seen.record_fp = record[0];
    seen.record_lr = record[1];
    seen.mask_inside = current_mask();
    memcpy(&seen.uc_mask, &uc->uc_sigmask, 8);
    volatile int local = 0;
    seen.local_address = (uintptr_t)&local;
    /* Clobber what the interrupted code must get back. */
    __asm__ volatile("movi v8.16b, #0x77\n\tmov x9, #1" ::: "v8", "x9");
}

struct raw_kill {
    uint64_t ret, v8_lo, v8_hi, x9, pc_after, sp;
};

/* kill(getpid(), sig) straight from assembly, with known values in x9 and
 * v8 (all 128 bits; the upper half is not callee-saved) across it, and the
 * address right after the svc: the signal is delivered on its return. */
static void raw_kill_self(int sig, struct raw_kill *r) {
    register uint64_t x0 __asm__("x0") = (uint64_t)getpid();
    register uint64_t x1 __asm__("x1") = (uint64_t)sig;
    uint64_t lo, hi, x9, after, sp;
    __asm__ volatile("mov x9, %[magic]\n\t"
                     "fmov d8, %[vlo]\n\t"
                     "mov v8.d[1], %[vhi]\n\t"
                     "mov %[sp], sp\n\t"
                     "adr %[after], 1f\n\t"
                     "mov x8, #129\n\t" /* kill */
                     "svc #0\n"
                     "1:\n\t"
                     "fmov %[lo], d8\n\t"
                     "mov %[hi], v8.d[1]\n\t"
                     "mov %[x9o], x9"
                     : "+r"(x0), [lo] "=&r"(lo), [hi] "=&r"(hi), [x9o] "=&r"(x9), [after] "=&r"(after),
                       [sp] "=&r"(sp)
                     : "r"(x1), [magic] "r"(X9_MAGIC), [vlo] "r"(V8_LO), [vhi] "r"(V8_HI)
                     : "x8", "x9", "v8", "memory");
    r->ret = x0;
    r->v8_lo = lo;
    r->v8_hi = hi;
    r->x9 = x9;
    r->pc_after = after;
    r->sp = sp;
}

static void test_siginfo_and_context(void) {
    check_begin("SA_SIGINFO handler: siginfo, uc_mcontext, fpsimd record, registers restored");
    memset(&seen, 0, sizeof seen);
    set_action(SIGUSR1, inspect_handler, 0, 0);
    uint64_t before = current_mask();
    struct raw_kill r;
    raw_kill_self(SIGUSR1, &r);
    CHECK_EQ(seen.calls, 1);
    CHECK_EQ(seen.signo, SIGUSR1);
    CHECK(seen.x0_is_signo);
    CHECK_EQ(seen.code, SI_USER);
    CHECK_EQ(seen.pid, getpid());
    CHECK_EQ(seen.uid, getuid());
    CHECK(seen.info_below_uc);
    CHECK(seen.pc == r.pc_after);
    CHECK(seen.sp == r.sp);
    CHECK(seen.x9 == X9_MAGIC);
    CHECK(seen.fpsimd_found);
    CHECK(seen.v8_lo == V8_LO && seen.v8_hi == V8_HI);
    CHECK(seen.record_fp == seen.x29 && seen.record_lr == seen.x30);
    /* The handler ran on the same stack, below the interrupted sp. */
    CHECK(seen.local_address < r.sp && r.sp - seen.local_address < 64 * 1024);
    /* Back here: everything as before the signal. */
    CHECK_EQ(r.ret, 0);
    CHECK(r.x9 == X9_MAGIC);
    CHECK(r.v8_lo == V8_LO && r.v8_hi == V8_HI);
    CHECK(seen.uc_mask == before);
    CHECK(current_mask() == before);
    set_default(SIGUSR1);
    check_end();
}

/* ---- raise(), plain handlers ---------------------------------------------- */

static volatile sig_atomic_t plain_signo;
static void plain_handler(int sig) { plain_signo = sig; }

static void test_raise_and_plain_handler(void) {
    check_begin("raise(): SI_TKILL with the sender's pid; a plain sa_handler gets the signal number");
    memset(&seen, 0, sizeof seen);
    set_action(SIGUSR2, inspect_handler, 0, 0);
    CHECK_EQ(raise(SIGUSR2), 0);
    CHECK_EQ(seen.calls, 1);
    CHECK_EQ(seen.signo, SIGUSR2);
    CHECK_EQ(seen.code, SI_TKILL);
    CHECK_EQ(seen.pid, getpid());
    CHECK(seen.fpsimd_found);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = plain_handler;
    CHECK_EQ(sigaction(SIGUSR2, &sa, NULL), 0);
    plain_signo = 0;
    CHECK_EQ(kill(getpid(), SIGUSR2), 0);
    CHECK_EQ(plain_signo, SIGUSR2);
    set_default(SIGUSR2);
    check_end();
}

/* ---- masks: the signal itself, sa_mask, SA_NODEFER, SA_RESETHAND ------------ */

static volatile uint64_t mask_in_handler, uc_mask_in_handler;
static volatile uintptr_t action_in_handler;

static void mask_handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)si;
    mask_in_handler = current_mask();
    memcpy((void *)&uc_mask_in_handler, &((ucontext_t *)ctx)->uc_sigmask, 8);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    action_in_handler = (uintptr_t)now.sa_handler;
}

static void test_masks(void) {
    check_begin("handler masks: the signal and sa_mask blocked inside, uc_sigmask the old mask, restored");
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &block, &old), 0);
    uint64_t before = current_mask();
    CHECK(before & sigbit(SIGTERM));

    set_action(SIGUSR1, mask_handler, 0, sigbit(SIGINT) | sigbit(SIGHUP));
    mask_in_handler = 0;
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK(mask_in_handler == (before | sigbit(SIGUSR1) | sigbit(SIGINT) | sigbit(SIGHUP)));
    CHECK(uc_mask_in_handler == before);
    CHECK(current_mask() == before);

    set_action(SIGUSR1, mask_handler, SA_NODEFER, sigbit(SIGINT));
    mask_in_handler = 0;
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK(mask_in_handler == (before | sigbit(SIGINT)));
    CHECK(current_mask() == before);

    /* sa_mask cannot block SIGKILL/SIGSTOP (sigaddset refuses nothing, the kernel drops them). */
    set_action(SIGUSR1, mask_handler, 0, sigbit(SIGKILL) | sigbit(SIGSTOP));
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK(!(mask_in_handler & (sigbit(SIGKILL) | sigbit(SIGSTOP))));
    CHECK_EQ(sigprocmask(SIG_SETMASK, &old, NULL), 0);
    check_end();

    check_begin("SA_RESETHAND: SIG_DFL from delivery on, the signal still blocked inside");
    set_action(SIGUSR1, mask_handler, SA_RESETHAND, 0);
    action_in_handler = 1234;
    before = current_mask();
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK(action_in_handler == (uintptr_t)SIG_DFL);
    CHECK(mask_in_handler & sigbit(SIGUSR1));
    struct sigaction now;
    CHECK_EQ(sigaction(SIGUSR1, NULL, &now), 0);
    CHECK(now.sa_handler == SIG_DFL);
    CHECK(current_mask() == before);
    check_end();
}

/* ---- faults ----------------------------------------------------------------- */

static sigjmp_buf fault_jump;
static volatile int fault_signo, fault_code;
static volatile uintptr_t fault_addr, fault_address_mc, fault_pc;
static volatile int skip_instead_of_jump;

static void fault_handler(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    fault_signo = sig;
    fault_code = si->si_code;
    fault_addr = (uintptr_t)si->si_addr;
    fault_address_mc = uc->uc_mcontext.fault_address;
    fault_pc = uc->uc_mcontext.pc;
    if (skip_instead_of_jump) {
        uc->uc_mcontext.pc += 4; /* resume after the faulting store */
        return;
    }
    siglongjmp(fault_jump, 1);
}

/* A store of 1 to `address`; returns the address of the store instruction. */
__attribute__((noinline)) static uintptr_t store_at(volatile uint32_t *address) {
    uintptr_t pc;
    __asm__ volatile("adr %0, 1f\n\t"
                     "mov w9, #1\n"
                     "1:\n\t"
                     "str w9, [%1]"
                     : "=&r"(pc)
                     : "r"(address)
                     : "x9", "memory");
    return pc;
}

static void test_faults(void) {
    check_begin("SIGSEGV: SEGV_MAPERR / SEGV_ACCERR, si_addr, fault_address, pc; siglongjmp out");
    set_action(SIGSEGV, fault_handler, 0, 0);
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *gone = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(gone != MAP_FAILED);
    CHECK_EQ(munmap(gone, page), 0);
    skip_instead_of_jump = 0;
    fault_signo = 0;
    if (sigsetjmp(fault_jump, 1) == 0) {
        store_at((volatile uint32_t *)(gone + 0x10));
        CHECK(!"the store to an unmapped page returned");
    }
    CHECK_EQ(fault_signo, SIGSEGV);
    CHECK_EQ(fault_code, SEGV_MAPERR);
    CHECK(fault_pc > (uintptr_t)store_at && fault_pc < (uintptr_t)store_at + 64);
    CHECK(fault_addr == (uintptr_t)(gone + 0x10));
    CHECK(fault_address_mc == fault_addr);
    CHECK(!(current_mask() & sigbit(SIGSEGV))); /* siglongjmp restored the mask */

    unsigned char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(ro != MAP_FAILED);
    fault_signo = 0;
    if (sigsetjmp(fault_jump, 1) == 0) {
        store_at((volatile uint32_t *)(ro + 0x20));
        CHECK(!"the store to a read-only page returned");
    }
    CHECK_EQ(fault_signo, SIGSEGV);
    CHECK_EQ(fault_code, SEGV_ACCERR);
    CHECK(fault_addr == (uintptr_t)(ro + 0x20));
    CHECK(fault_address_mc == fault_addr);

    /* NULL: no mapping, si_addr 0. */
    fault_signo = 0;
    if (sigsetjmp(fault_jump, 1) == 0)
        store_at((volatile uint32_t *)0);
    CHECK_EQ(fault_signo, SIGSEGV);
    CHECK_EQ(fault_code, SEGV_MAPERR);
    CHECK(fault_addr == 0);
    check_end();

    check_begin("SIGSEGV handler moves uc_mcontext.pc past the store; execution resumes there");
    skip_instead_of_jump = 1;
    fault_signo = 0;
    uintptr_t pc = store_at((volatile uint32_t *)(ro + 0x40));
    CHECK_EQ(fault_signo, SIGSEGV);
    CHECK(fault_pc == pc);
    CHECK(ro[0x40] == 0);
    CHECK(!(current_mask() & sigbit(SIGSEGV)));
    skip_instead_of_jump = 0;
    munmap(ro, page);
    set_default(SIGSEGV);
    check_end();
}

/* ---- nested signals ----------------------------------------------------------- */

static volatile int order[4], order_count;
static volatile uintptr_t outer_local, inner_local;
static volatile uint64_t inner_mask, inner_uc_mask, outer_mask;

static void inner_handler(int sig, siginfo_t *si, void *ctx) {
    (void)si;
    volatile int local = 0;
    inner_local = (uintptr_t)&local;
    order[order_count++] = sig;
    inner_mask = current_mask();
    memcpy((void *)&inner_uc_mask, &((ucontext_t *)ctx)->uc_sigmask, 8);
}

static void outer_handler(int sig, siginfo_t *si, void *ctx) {
    (void)si;
    (void)ctx;
    volatile int local = 0;
    outer_local = (uintptr_t)&local;
    order[order_count++] = sig;
    outer_mask = current_mask();
    raise(SIGUSR2);
    order[order_count++] = -sig; /* after the inner handler returned */
}

static void test_nested(void) {
    check_begin("nested: SIGUSR2 raised inside the SIGUSR1 handler runs at once, on a frame below");
    set_action(SIGUSR1, outer_handler, 0, 0);
    set_action(SIGUSR2, inner_handler, 0, 0);
    order_count = 0;
    uint64_t before = current_mask();
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK_EQ(order_count, 3);
    CHECK(order[0] == SIGUSR1 && order[1] == SIGUSR2 && order[2] == -SIGUSR1);
    CHECK(inner_local < outer_local);
    CHECK(outer_mask == (before | sigbit(SIGUSR1)));
    CHECK(inner_uc_mask == outer_mask);
    CHECK(inner_mask == (before | sigbit(SIGUSR1) | sigbit(SIGUSR2)));
    CHECK(current_mask() == before);
    set_default(SIGUSR1);
    set_default(SIGUSR2);
    check_end();
}

/* ---- the alternate stack ------------------------------------------------------ */

#define ALT_SIZE (64 * 1024)
static unsigned char alt_stack[ALT_SIZE] __attribute__((aligned(16)));
static volatile uintptr_t alt_local, alt_inner_local;
static volatile int alt_query_flags, alt_uc_flags, alt_inner_query_flags;
static volatile uintptr_t alt_uc_sp;
static volatile size_t alt_uc_size;

static void alt_inner_handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)si;
    (void)ctx;
    volatile int local = 0;
    alt_inner_local = (uintptr_t)&local;
    stack_t now;
    sigaltstack(NULL, &now);
    alt_inner_query_flags = now.ss_flags;
}

static void alt_handler(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    volatile int local = 0;
    alt_local = (uintptr_t)&local;
    alt_uc_sp = (uintptr_t)uc->uc_stack.ss_sp;
    alt_uc_size = uc->uc_stack.ss_size;
    alt_uc_flags = uc->uc_stack.ss_flags;
    stack_t now;
    sigaltstack(NULL, &now);
    alt_query_flags = now.ss_flags;
    raise(SIGUSR2);
}

static int on_alt(uintptr_t address) {
    return address >= (uintptr_t)alt_stack && address < (uintptr_t)alt_stack + ALT_SIZE;
}

static void test_altstack(void) {
    check_begin("sigaltstack + SA_ONSTACK: handler and nested handler on the alternate stack");
    stack_t ss = {.ss_sp = alt_stack, .ss_flags = 0, .ss_size = ALT_SIZE}, now;
    CHECK_EQ(sigaltstack(&ss, NULL), 0);
    set_action(SIGUSR1, alt_handler, SA_ONSTACK, 0);
    set_action(SIGUSR2, alt_inner_handler, SA_ONSTACK, 0);
    alt_local = alt_inner_local = 0;
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK(on_alt(alt_local));
    CHECK(alt_uc_sp == (uintptr_t)alt_stack && alt_uc_size == ALT_SIZE);
    CHECK_EQ(alt_uc_flags, 0);
    CHECK_EQ(alt_query_flags, SS_ONSTACK);
    CHECK(on_alt(alt_inner_local) && alt_inner_local < alt_local);
    CHECK_EQ(alt_inner_query_flags, SS_ONSTACK);
    CHECK_EQ(sigaltstack(NULL, &now), 0);
    CHECK_EQ(now.ss_flags, 0);
    check_end();

    check_begin("without SA_ONSTACK the handler stays on the normal stack");
    set_action(SIGUSR2, alt_inner_handler, 0, 0);
    alt_inner_local = 0;
    CHECK_EQ(raise(SIGUSR2), 0);
    CHECK(alt_inner_local != 0 && !on_alt(alt_inner_local));
    check_end();

    check_begin("SS_AUTODISARM: the alternate stack is disabled inside, uc_stack keeps it, re-armed after");
    ss.ss_flags = SS_AUTODISARM;
    CHECK_EQ(sigaltstack(&ss, NULL), 0);
    set_action(SIGUSR2, alt_inner_handler, SA_ONSTACK, 0);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK(on_alt(alt_local));
    CHECK(alt_uc_sp == (uintptr_t)alt_stack && alt_uc_size == ALT_SIZE);
    CHECK_EQ((unsigned)alt_uc_flags, SS_AUTODISARM);
    CHECK_EQ(alt_query_flags, SS_DISABLE);
    /* The nested SA_ONSTACK signal cannot use the disarmed stack: it continues
     * on the current one, which happens to be the alternate stack. */
    CHECK(on_alt(alt_inner_local) && alt_inner_local < alt_local);
    CHECK_EQ(sigaltstack(NULL, &now), 0);
    CHECK_EQ((unsigned)now.ss_flags, SS_AUTODISARM);
    CHECK(now.ss_sp == alt_stack && now.ss_size == ALT_SIZE);

    ss.ss_flags = SS_DISABLE;
    CHECK_EQ(sigaltstack(&ss, NULL), 0);
    set_default(SIGUSR1);
    set_default(SIGUSR2);
    check_end();
}

/* ---- SA_RESTORER -------------------------------------------------------------- */

volatile int restorer_calls __attribute__((used));
void test_restorer(void);
__asm__(".text\n"
        ".globl test_restorer\n"
        ".type test_restorer, %function\n"
        "test_restorer:\n\t"
        "adrp x9, restorer_calls\n\t"
        "ldr w10, [x9, :lo12:restorer_calls]\n\t"
        "add w10, w10, #1\n\t"
        "str w10, [x9, :lo12:restorer_calls]\n\t"
        "mov x8, #139\n\t" /* rt_sigreturn: x9/x10 come back from the frame */
        "svc #0\n"
        ".size test_restorer, . - test_restorer\n");

static void test_sa_restorer(void) {
    check_begin("SA_RESTORER: the handler returns through sa_restorer (rt_sigreturn from it)");
    struct ksigaction {
        void *handler;
        unsigned long flags;
        void (*restorer)(void);
        uint64_t mask;
    } act = {(void *)plain_handler, KERNEL_SA_RESTORER, test_restorer, 0};
    CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR1, &act, NULL, 8), 0);
    plain_signo = 0;
    restorer_calls = 0;
    struct raw_kill r;
    raw_kill_self(SIGUSR1, &r);
    CHECK_EQ(plain_signo, SIGUSR1);
    CHECK_EQ(restorer_calls, 1);
    CHECK_EQ(r.ret, 0);
    CHECK(r.x9 == X9_MAGIC);
    CHECK(r.v8_lo == V8_LO && r.v8_hi == V8_HI);
    set_default(SIGUSR1);
    check_end();
}

int main(void) {
    test_siginfo_and_context();
    test_raise_and_plain_handler();
    test_masks();
    test_faults();
    test_nested();
    test_altstack();
    test_sa_restorer();
    check_exit();
}
