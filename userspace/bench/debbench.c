/* debbench [quick | ROW COUNT]: the Debian rows of ./akuma bench debian, run from the
 * Debian root disk (as Akuma's init=, or chrooted into the disk on Linux).
 * The same static binary on both kernels; under QEMU -icount its
 * nanoseconds (the raw CLOCK_MONOTONIC syscall) are guest instructions.
 *
 * Rows, each printed as "[debbench] NAME: N ns, C times":
 *   bash-c-true     fork + execve("/bin/bash", "-c", "true") + wait: a
 *                   dynamically linked program started and ended
 *   python3-c-pass  the same with "/usr/bin/python3 -c pass"
 * and "[debbench] memory in use: K KiB" (MemTotal - MemAvailable) at its
 * start, right after the boot. Each row is bracketed by bench_mark() calls,
 * whose address a QEMU plugin watches (tools/profile/icount_marks.c): the
 * first mark is also where the boot ends. Exit status 0 when every child
 * exited 0. With ROW COUNT only that row runs, COUNT times, without the
 * warm-up (for tools/profile: the difference between two counts). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline, used)) void bench_mark(void) { __asm__ volatile("" ::: "memory"); }

static uint64_t now_ns(void) {
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long meminfo_kib(const char *key) {
    FILE *file = fopen("/proc/meminfo", "r");
    if (!file) return -1;
    char line[128];
    long value = -1;
    size_t length = strlen(key);
    while (fgets(line, sizeof line, file)) {
        if (strncmp(line, key, length) == 0 && line[length] == ':') {
            value = strtol(line + length + 1, NULL, 10);
            break;
        }
    }
    fclose(file);
    return value;
}

static int failed;

static void run_many(const char *name, char *const argv[], int count) {
    bench_mark();
    uint64_t start = now_ns();
    for (int i = 0; i < count; i++) {
        pid_t child = fork();
        if (child == 0) {
            execv(argv[0], argv);
            _exit(127);
        }
        int status = -1;
        if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed = 1;
    }
    uint64_t total = now_ns() - start;
    bench_mark();
    printf("[debbench] %s: %llu ns, %d times\n", name, (unsigned long long)(total / (uint64_t)count), count);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    bench_mark();  /* the boot ends here */
    int quick = argc > 1 && strcmp(argv[1], "quick") == 0;
    if (argc == 3) {
        char *bash_only[] = { "/bin/bash", "-c", "true", NULL };
        char *python_only[] = { "/usr/bin/python3", "-c", "pass", NULL };
        run_many(argv[1], strcmp(argv[1], "python3-c-pass") == 0 ? python_only : bash_only, atoi(argv[2]));
        return failed;
    }
    long total = meminfo_kib("MemTotal"), available = meminfo_kib("MemAvailable");
    printf("[debbench] memory in use: %ld KiB\n", total >= 0 && available >= 0 ? total - available : -1);
    char *bash[] = { "/bin/bash", "-c", "true", NULL };
    char *python[] = { "/usr/bin/python3", "-c", "pass", NULL };
    /* One of each first, unmeasured: the page cache holds the files after it
     * on both kernels. */
    run_many("warm-up", bash, 1);
    run_many("warm-up-python", python, 1);
    run_many("bash-c-true", bash, quick ? 2 : 20);
    run_many("python3-c-pass", python, quick ? 1 : 5);
    printf("[debbench] %s\n", failed ? "FAILED" : "done");
    return failed;
}
