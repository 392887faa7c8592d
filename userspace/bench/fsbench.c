// fsbench: the cost of loading a program and of the file layer, in guest
// instructions (./akuma bench; docs/PERFORMANCE.md, "File layer").
//
// Under QEMU with -icount shift=0,sleep=off CLOCK_MONOTONIC advances 1 ns
// per guest instruction, so every "ns" printed here is an instruction
// count. The clock is read with the raw syscall (never the vDSO), as
// membench does, so Akuma and Linux are measured the same way.
//
// The program is its own payload: a static glibc program that carries
// 256 KiB of initialised read-only data and 256 KiB of initialised writable
// data, so its PT_LOAD segments are ~770 KiB (text, rodata) and ~300 KiB
// (data, bss): about 1 MB loaded. Run as
// "fsbench --child exit" it reads one byte of every page of every PT_LOAD
// segment (text, rodata, data, bss), writes one byte of every page of the
// writable ones, and exits: what a program that uses its image pays for
// loading it. "--child hold R W" does the same, then writes a byte to fd W
// and waits for end of file on fd R.
//
// Output, one line per metric, then "[fsbench] done":
//   [fsbench] <metric>: <N> ns/op (<iterations> iterations)
//   [fsbench] <metric>: <N> KiB for each of <n> processes (<total> KiB in all)
//   [fsbench] <metric>: unavailable (<call>: <error>)
// A metric that cannot run prints "[fsbench] <metric>: FAILED (<why>)" and
// the exit status becomes 1; the others still run.
//
// Usage: fsbench [quick]   ("quick" divides iteration counts by 20)
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define BLOB (256u * 1024u)
#define PROCESSES 20

// The bulk of the image: initialised, so it is in the file (.rodata and
// .data), not in .bss. `used` keeps the linker from dropping them.
__attribute__((used)) static const unsigned char rodata_blob[BLOB] = { [0 ... BLOB - 1] = 0xa5 };
__attribute__((used)) static unsigned char data_blob[BLOB] = { [0 ... BLOB - 1] = 0x5a };

extern char** environ;

static int any_failed;
static unsigned divisor = 1;
static const char* self_path;

static uint64_t now_ns(void) {
    struct timespec ts = { 0, 0 };
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t iters(uint64_t n) {
    uint64_t scaled = n / divisor;
    return scaled ? scaled : 1;
}

static void report(const char* metric, uint64_t elapsed_ns, uint64_t count) {
    printf("[fsbench] %s: %llu ns/op (%llu iterations)\n", metric, (unsigned long long)(elapsed_ns / count),
           (unsigned long long)count);
}

static void fail(const char* metric, const char* why, int err) {
    if (err)
        printf("[fsbench] %s: FAILED (%s: %s)\n", metric, why, strerror(err));
    else
        printf("[fsbench] %s: FAILED (%s)\n", metric, why);
    any_failed = 1;
}

static void unavailable(const char* metric, const char* call, int err) {
    printf("[fsbench] %s: unavailable (%s: %s)\n", metric, call, strerror(err));
}

// ---- the payload: touch the image as a program that uses it would

static void touch_image(void) {
    const Elf64_Phdr* phdr = (const Elf64_Phdr*)getauxval(AT_PHDR);
    unsigned long count = getauxval(AT_PHNUM);
    if (!phdr) _exit(3);
    // glibc makes the RELRO part of the writable segment read-only at
    // start-up: read it, never write it.
    uintptr_t relro_start = 0, relro_end = 0;
    for (unsigned long i = 0; i < count; i++) {
        if (phdr[i].p_type != PT_GNU_RELRO) continue;
        relro_start = phdr[i].p_vaddr & ~(uintptr_t)(PAGE - 1);
        relro_end = (phdr[i].p_vaddr + phdr[i].p_memsz) & ~(uintptr_t)(PAGE - 1);
    }
    for (unsigned long i = 0; i < count; i++) {
        if (phdr[i].p_type != PT_LOAD) continue;
        // Static, not PIE: p_vaddr is the address.
        uintptr_t start = phdr[i].p_vaddr & ~(uintptr_t)(PAGE - 1);
        uintptr_t end = phdr[i].p_vaddr + phdr[i].p_memsz;
        for (uintptr_t p = start; p < end; p += PAGE) {
            volatile unsigned char* byte = (volatile unsigned char*)p;
            unsigned char value = *byte;
            // Write: the page becomes the process's own.
            if ((phdr[i].p_flags & PF_W) && (p < relro_start || p >= relro_end)) *byte = value;
        }
    }
}

static int child_main(int argc, char** argv) {
    touch_image();
    if (argc == 3 && strcmp(argv[2], "exit") == 0) return 0;
    if (argc == 5 && strcmp(argv[2], "hold") == 0) {
        int release = atoi(argv[3]), ready = atoi(argv[4]);
        char c = 'r';
        if (write(ready, &c, 1) != 1) return 4;
        ssize_t got;
        do {
            got = read(release, &c, 1);  // end of file: the parent let go
        } while (got < 0 && errno == EINTR);
        return got == 0 ? 0 : 5;
    }
    return 2;
}

// ---- process helpers

// Reaps pid; 1 if it exited with status 0 (else reported).
static int reap_ok(const char* metric, pid_t pid) {
    int status = 0;
    pid_t got;
    do {
        got = waitpid(pid, &status, 0);
    } while (got < 0 && errno == EINTR);
    if (got != pid) {
        unavailable(metric, "waitpid", errno);
        return 0;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char why[64];
        snprintf(why, sizeof why, "child wait status 0x%x", status);
        fail(metric, why, 0);
        return 0;
    }
    return 1;
}

// fork; the child closes close_fd (if >= 0) and execs this program with
// the given --child arguments. Returns the pid, or -1 (reported).
static pid_t spawn_child(const char* metric, char* const* args, int close_fd) {
    pid_t pid = fork();
    if (pid < 0) {
        unavailable(metric, "fork", errno);
        return -1;
    }
    if (pid == 0) {
        if (close_fd >= 0) close(close_fd);
        execve(self_path, args, environ);
        _exit(127);  // the parent reports the status
    }
    return pid;
}

// ---- 1. fork + execve of the 1 MB program, which touches its pages and exits

static void bench_exec_big(void) {
    const char* metric = "fork+execve+wait of a 1 MB static program touching its pages";
    char* const args[] = { (char*)self_path, (char*)"--child", (char*)"exit", NULL };
    uint64_t n = iters(40);
    for (uint64_t i = 0; i < n / 10 + 1; i++) {  // warm-up, untimed
        pid_t pid = spawn_child(metric, args, -1);
        if (pid < 0 || !reap_ok(metric, pid)) return;
    }
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        pid_t pid = spawn_child(metric, args, -1);
        if (pid < 0 || !reap_ok(metric, pid)) return;
    }
    report(metric, now_ns() - t0, n);
}

// ---- 2. memory of 20 live processes of the 1 MB program

// The whole of a small /proc file into buf (NUL-terminated); false if it
// cannot be opened.
static int read_proc_file(const char* path, char* buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    size_t used = 0;
    ssize_t got;
    while (used < size - 1 && (got = read(fd, buf + used, size - 1 - used)) > 0) used += (size_t)got;
    close(fd);
    buf[used] = '\0';
    return 1;
}

// MemTotal - MemFree from /proc/meminfo, KiB; -1 if unreadable.
static long used_kib(void) {
    static char buf[4096];
    if (!read_proc_file("/proc/meminfo", buf, sizeof buf)) return -1;
    const char* total = strstr(buf, "MemTotal:");
    const char* free_line = strstr(buf, "MemFree:");
    if (!total || !free_line) return -1;
    return strtol(total + 9, NULL, 10) - strtol(free_line + 8, NULL, 10);
}

// Free pages that MemFree does not count, KiB: Linux keeps up to ~3 MiB of
// free pages on per-CPU lists (at 512 MiB; /proc/zoneinfo, "count:" of
// each pageset), and how full they are changes from one reading to the
// next. 0 without /proc/zoneinfo (Akuma has no such lists: its MemFree is
// every free page).
static long per_cpu_free_kib(void) {
    static char buf[65536];
    if (!read_proc_file("/proc/zoneinfo", buf, sizeof buf)) return 0;
    long pages = 0;
    for (const char* p = buf; (p = strstr(p, "\n")) != NULL;) {
        p++;
        while (*p == ' ') p++;
        if (strncmp(p, "count:", 6) == 0) pages += strtol(p + 6, NULL, 10);
    }
    return pages * (long)(sysconf(_SC_PAGESIZE) / 1024);
}

static void bench_memory_per_process(void) {
    const char* metric = "memory per process, 20 live copies of the 1 MB program";
    if (used_kib() < 0) return unavailable(metric, "/proc/meminfo", errno ? errno : ENOENT);
    int release[2], ready[2];
    if (pipe(release) != 0) return unavailable(metric, "pipe", errno);
    if (pipe(ready) != 0) {
        int err = errno;
        close(release[0]);
        close(release[1]);
        return unavailable(metric, "pipe", err);
    }
    char release_fd[16], ready_fd[16];
    snprintf(release_fd, sizeof release_fd, "%d", release[0]);
    snprintf(ready_fd, sizeof ready_fd, "%d", ready[1]);
    char* const args[] = { (char*)self_path, (char*)"--child", (char*)"hold", release_fd, ready_fd, NULL };

    pid_t pids[PROCESSES];
    int started = 0, ok = 1;
    long before = used_kib(), before_lists = per_cpu_free_kib();
    for (; started < PROCESSES; started++) {
        // The child keeps release[0] and ready[1]; it must not hold the
        // release pipe's write end, or it would never see end of file.
        pids[started] = spawn_child(metric, args, release[1]);
        if (pids[started] < 0) {
            ok = 0;
            break;
        }
    }
    close(ready[1]);
    int ready_count = 0;
    char c;
    while (ready_count < started) {
        ssize_t got = read(ready[0], &c, 1);
        if (got == 1)
            ready_count++;
        else if (got == 0 || errno != EINTR)
            break;  // a child died before it was ready: its status says why
    }
    long after = used_kib(), after_lists = per_cpu_free_kib();
    close(release[1]);  // every child sees end of file and exits
    close(release[0]);
    close(ready[0]);
    for (int i = 0; i < started; i++) {
        if (!ok) {  // one report is enough: reap the rest quietly
            waitpid(pids[i], NULL, 0);
            continue;
        }
        ok = reap_ok(metric, pids[i]);
    }
    if (!ok) return;
    if (ready_count != PROCESSES) return fail(metric, "not every child reported ready", 0);
    if (before < 0 || after < 0) return fail(metric, "/proc/meminfo unreadable", 0);
    long raw = after - before;
    long total = raw - (after_lists - before_lists);
    printf("[fsbench] %s: %ld KiB for each of %d processes (%ld KiB in all; MemTotal-MemFree alone: %ld KiB)\n",
           metric, total / PROCESSES, PROCESSES, total, raw);
}

// ---- file layer set-up

static int make_dir(const char* path) { return mkdir(path, 0755) == 0 || errno == EEXIST; }

// Writes `size` bytes of a pattern to a new file at path; 0 and errno on failure.
static int write_file(const char* path, size_t size) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return 0;
    char buf[PAGE];
    memset(buf, 'f', sizeof buf);
    size_t done = 0;
    while (done < size) {
        size_t chunk = size - done < sizeof buf ? size - done : sizeof buf;
        ssize_t put = write(fd, buf, chunk);
        if (put <= 0) {
            int err = errno;
            close(fd);
            errno = err;
            return 0;
        }
        done += (size_t)put;
    }
    return close(fd) == 0;
}

// ---- 3. open + read 4 KiB + close of a cached file

static const char* const small_file = "/tmp/fsbench-4k";

static int read_cycle(void) {
    static char buf[PAGE];
    int fd = open(small_file, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t got = read(fd, buf, sizeof buf);
    close(fd);
    return got == (ssize_t)sizeof buf;
}

static void bench_open_read_close(void) {
    const char* metric = "open+read 4 KiB+close of a cached file in /tmp";
    if (!make_dir("/tmp")) return fail(metric, "mkdir /tmp", errno);
    if (!write_file(small_file, PAGE)) return fail(metric, "write /tmp/fsbench-4k", errno);
    uint64_t n = iters(2000);
    for (uint64_t i = 0; i < n / 10 + 1; i++)
        if (!read_cycle()) return fail(metric, "open/read (warm-up)", errno);
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++)
        if (!read_cycle()) return fail(metric, "open/read", errno);
    report(metric, now_ns() - t0, n);
    unlink(small_file);
}

// ---- 4. stat of a path five components deep

static void bench_stat_deep(void) {
    const char* metric = "stat of a path 5 components deep (/tmp/a/b/c/d/file)";
    static const char* const dirs[] = { "/tmp", "/tmp/a", "/tmp/a/b", "/tmp/a/b/c", "/tmp/a/b/c/d" };
    static const char* const path = "/tmp/a/b/c/d/file";
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (!make_dir(dirs[i])) return fail(metric, dirs[i], errno);
    if (!write_file(path, 100)) return fail(metric, "write /tmp/a/b/c/d/file", errno);
    struct stat st;
    uint64_t n = iters(4000);
    for (uint64_t i = 0; i < n / 10 + 1; i++)
        if (stat(path, &st) != 0) return fail(metric, "stat (warm-up)", errno);
    if (st.st_size != 100 || !S_ISREG(st.st_mode)) return fail(metric, "stat: wrong size or type", 0);
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++)
        if (stat(path, &st) != 0) return fail(metric, "stat", errno);
    report(metric, now_ns() - t0, n);
    unlink(path);
    for (size_t i = sizeof dirs / sizeof dirs[0] - 1; i > 0; i--) rmdir(dirs[i]);
}

int main(int argc, char** argv) {
    if (argc >= 2 && strcmp(argv[1], "--child") == 0) return child_main(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);  // a crash still shows the metrics already done
    if (argc > 2 || (argc == 2 && strcmp(argv[1], "quick") != 0)) {
        fprintf(stderr, "usage: fsbench [quick]\n");
        return 2;
    }
    if (argc == 2) divisor = 20;
    self_path = argv[0];
    if (self_path[0] != '/') {
        printf("[fsbench] FAILED (argv[0] is not an absolute path: the process metrics exec it)\n");
        return 1;
    }
    bench_exec_big();
    bench_memory_per_process();
    bench_open_read_close();
    bench_stat_deep();
    printf("[fsbench] done\n");
    return any_failed ? 1 : 0;
}
