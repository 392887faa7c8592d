/* forkbomb: fork until the kernel says no, then recover.
 *
 * usage: forkbomb [--expect-limit] [--nproc N] [--cap N]
 *
 * Forks children that block on a pipe until fork fails or the cap (1000
 * children; 16384 with --expect-limit) is reached, then releases them (EOF
 * on the pipe), reaps every one and checks that fork works again.
 *   - without an argument any outcome of the loop is fine (Linux exempts
 *     root from RLIMIT_NPROC, so linux-ref reaches the cap);
 *   - with --expect-limit fork must have failed with EAGAIN before the cap
 *     (Akuma's per-user process limit, which applies to root too: about
 *     total pages / 64, 511 children at 128 MiB, over 1000 at 256 MiB; the
 *     high cap only stops a kernel that has no limit), with no more
 *     processes than getrlimit(RLIMIT_NPROC) says and at least half as
 *     many, and a second fork while every child lives must fail too;
 *   - --nproc N sets RLIMIT_NPROC to N and, as root, first becomes user
 *     65534 (Linux enforces the limit only for unprivileged users): this
 *     validates the limit path on linux-ref.
 *     The same checks as --expect-limit apply.
 * Either way fork must fail only with EAGAIN (or ENOMEM without a limit),
 * every child must exit 0, and the limit must not stick.
 */
#define _GNU_SOURCE
#include "check.h"

#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

static long free_kib(void) {
    struct sysinfo si;
    if (sysinfo(&si) != 0) return -1;
    return (long)(si.freeram * si.mem_unit / 1024);
}

int main(int argc, char **argv) {
    int expect_limit = 0;
    long nproc = 0, cap = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--expect-limit") == 0) {
            expect_limit = 1;
        } else if (strcmp(argv[i], "--nproc") == 0 && i + 1 < argc) {
            nproc = atol(argv[++i]);
        } else if (strcmp(argv[i], "--cap") == 0 && i + 1 < argc) {
            cap = atol(argv[++i]);
        } else {
            printf("usage: forkbomb [--expect-limit] [--nproc N] [--cap N]\n");
            return 2;
        }
    }
    if (cap <= 0) cap = expect_limit ? 16384 : 1000;
    if (nproc > 0) {
        struct rlimit limit = {(rlim_t)nproc, (rlim_t)nproc};
        if (setrlimit(RLIMIT_NPROC, &limit) != 0 || (getuid() == 0 && setuid(65534) != 0)) {
            printf("forkbomb: cannot set RLIMIT_NPROC %ld: %s\n", nproc, strerror(errno));
            return 3;
        }
    }
    /* With --expect-limit or --nproc the loop must end at a process limit,
     * and that limit is RLIMIT_NPROC as getrlimit reports it. */
    int limit_expected = expect_limit || nproc > 0;
    struct rlimit nproc_limit = {0, 0};
    long free_before = free_kib();

    check_begin("fork until the limit or the cap");
    CHECK_EQ(getrlimit(RLIMIT_NPROC, &nproc_limit), 0);
    int release[2];
    CHECK_EQ(pipe(release), 0);
    int alive = 0, fork_errno = 0;
    fflush(stdout);
    while (alive < cap) {
        pid_t pid = fork();
        if (pid == 0) {
            close(release[1]);
            char c;
            ssize_t n = read(release[0], &c, 1);
            _exit(n == 0 ? 0 : 1); /* only EOF may end the wait */
        }
        if (pid < 0) {
            fork_errno = errno;
            break;
        }
        alive++;
    }
    if (fork_errno) {
        printf("  fork failed with %s when %d children were alive (free %ld KiB, was %ld KiB)\n",
               strerror(fork_errno), alive, free_kib(), free_before);
        CHECK(fork_errno == EAGAIN || (!limit_expected && fork_errno == ENOMEM));
        /* Still at the limit: fork keeps failing the same way. */
        errno = 0;
        pid_t again = fork();
        if (again == 0) _exit(0);
        int again_errno = errno; /* CHECK_EQ clears errno */
        if (again < 0) CHECK_EQ(again_errno, fork_errno);
        if (again > 0) {
            alive++;
            /* Every child is still alive, so a process limit still holds;
             * only memory (ENOMEM without a limit) may have come back. */
            printf("  a fork after the failure succeeded (children are still alive)\n");
            CHECK(!limit_expected);
        }
    } else {
        printf("  the cap: %d children alive, no limit hit (free %ld KiB, was %ld KiB)\n", alive, free_kib(),
               free_before);
    }
    CHECK(alive > 0);
    if (limit_expected) {
        CHECK_EQ(fork_errno, EAGAIN);
        /* This process and its children stay within the limit, and reach
         * near it (other processes may count too). */
        printf("  RLIMIT_NPROC %llu\n", (unsigned long long)nproc_limit.rlim_cur);
        CHECK(nproc_limit.rlim_cur != RLIM_INFINITY);
        CHECK((rlim_t)alive + 1 <= nproc_limit.rlim_cur);
        CHECK((rlim_t)alive + 1 > nproc_limit.rlim_cur / 2);
    }
    check_end();

    check_begin("release and reap every child");
    close(release[1]);
    close(release[0]);
    int reaped = 0, bad = 0, wait_errno = 0;
    for (;;) {
        int status = -1;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            wait_errno = errno;
            break;
        }
        reaped++;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            if (bad++ < 3) printf("  child %d: status 0x%x\n", (int)pid, status);
        }
    }
    CHECK_EQ(wait_errno, ECHILD);
    CHECK_EQ(reaped, alive);
    CHECK_EQ(bad, 0);
    check_end();

    check_begin("fork works again afterwards");
    fflush(stdout);
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(5 + i);
        CHECK(pid > 0);
        int status = -1;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5 + i);
    }
    printf("  free memory after: %ld KiB (before: %ld KiB)\n", free_kib(), free_before);
    check_end();
    check_exit();
}
