/* fork: process creation with copy-on-write, as Linux does it.
 *
 * usage: fork [basic|isolation|shared|cow|cycles|vfork]   (default: all)
 *        fork vfork-exec-child     (internal: the program vfork execs)
 *
 * Linux facts checked here:
 *   - fork returns the child's pid in the parent and 0 in the child; the
 *     child's getppid() is the parent.
 *   - private memory (globals, heap, stack, MAP_PRIVATE mappings) is copied:
 *     writes on either side are invisible to the other; MAP_SHARED|
 *     MAP_ANONYMOUS memory stays shared both ways.
 *   - copy-on-write: forking a parent with 64 MiB touched costs only page
 *     tables and kernel structures; a write in the child copies one page.
 *     Seen through sysinfo(2) freeram (Akuma: the PMM's free pages).
 *   - vfork suspends the parent until the child _exits or execs, and the
 *     child runs in the parent's memory.
 * freeram moves for other reasons too (Linux's per-CPU page lists, kernel
 * caches), so every bound is generous yet far from the 64 MiB a non-COW
 * fork would copy; a positive control checks copies do show up.
 */
#define _GNU_SOURCE
#include "check.h"

#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096L
#define MiB (1024L * 1024L)

static const char *self_path;

static long free_bytes(void) {
    struct sysinfo si;
    if (sysinfo(&si) != 0) return -1;
    return (long)(si.freeram * si.mem_unit);
}

static void write_full(int fd, const void *buf, size_t n) {
    if (write(fd, buf, n) != (ssize_t)n) {
        printf("  pipe write failed\n");
        check_failures++;
        check_group_fails++;
    }
}

static int read_full(int fd, void *buf, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(fd, (char *)buf + done, n - done);
        if (r <= 0) return -1;
        done += (size_t)r;
    }
    return 0;
}

static void test_basic(void) {
    check_begin("fork returns the child's pid and 0; getppid in the child");
    pid_t parent = getpid();
    int p[2];
    CHECK_EQ(pipe(p), 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int base = check_failures;
        pid_t me = getpid();
        CHECK(me != parent);
        CHECK_EQ(getppid(), parent);
        write_full(p[1], &me, sizeof me);
        check_child_done(base);
    }
    CHECK(pid > 0);
    pid_t reported = 0;
    CHECK_EQ(read_full(p[0], &reported, sizeof reported), 0);
    CHECK_EQ(reported, pid);
    check_child_status(pid, 0, 0);
    close(p[0]);
    close(p[1]);
    check_end();
}

static int global_value = 1;

static void test_isolation(void) {
    check_begin("private memory is copied: globals, heap, stack, MAP_PRIVATE");
    volatile int stack_value = 2;
    int *heap = malloc(64 * 1024);
    CHECK(heap != NULL);
    if (!heap) return;
    heap[0] = 3;
    heap[16383] = 33;
    int *priv = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(priv != MAP_FAILED);
    if (priv == MAP_FAILED) return;
    priv[0] = 4;
    priv[3 * PAGE / sizeof(int)] = 44;

    int to_child[2], to_parent[2];
    CHECK_EQ(pipe(to_child), 0);
    CHECK_EQ(pipe(to_parent), 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int base = check_failures;
        /* The child sees the values of the moment of fork... */
        CHECK_EQ(global_value, 1);
        CHECK_EQ(stack_value, 2);
        CHECK_EQ(heap[0], 3);
        CHECK_EQ(heap[16383], 33);
        CHECK_EQ(priv[0], 4);
        CHECK_EQ(priv[3 * PAGE / sizeof(int)], 44);
        /* ...then writes its own. */
        global_value = 10;
        stack_value = 20;
        heap[0] = 30;
        priv[0] = 40;
        char c = 'w';
        write_full(to_parent[1], &c, 1);
        /* The parent now writes; none of it may show up here. */
        CHECK_EQ(read_full(to_child[0], &c, 1), 0);
        CHECK_EQ(global_value, 10);
        CHECK_EQ(stack_value, 20);
        CHECK_EQ(heap[0], 30);
        CHECK_EQ(heap[16383], 33);
        CHECK_EQ(priv[0], 40);
        CHECK_EQ(priv[3 * PAGE / sizeof(int)], 44);
        check_child_done(base);
    }
    CHECK(pid > 0);
    char c;
    CHECK_EQ(read_full(to_parent[0], &c, 1), 0);
    CHECK_EQ(global_value, 1);
    CHECK_EQ(stack_value, 2);
    CHECK_EQ(heap[0], 3);
    CHECK_EQ(priv[0], 4);
    global_value = 100;
    stack_value = 200;
    heap[0] = 300;
    heap[16383] = 333;
    priv[0] = 400;
    priv[3 * PAGE / sizeof(int)] = 444;
    write_full(to_child[1], &c, 1);
    check_child_status(pid, 0, 0);
    CHECK_EQ(global_value, 100);
    CHECK_EQ(heap[0], 300);
    CHECK_EQ(priv[0], 400);
    global_value = 1;
    free(heap);
    munmap(priv, 4 * PAGE);
    close(to_child[0]);
    close(to_child[1]);
    close(to_parent[0]);
    close(to_parent[1]);
    check_end();
}

static void test_shared(void) {
    check_begin("MAP_SHARED|MAP_ANONYMOUS is shared both ways");
    volatile int *shared = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    if (shared == MAP_FAILED) return;
    shared[0] = 1;
    int to_child[2], to_parent[2];
    CHECK_EQ(pipe(to_child), 0);
    CHECK_EQ(pipe(to_parent), 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int base = check_failures;
        CHECK_EQ(shared[0], 1);
        shared[0] = 2;
        shared[PAGE / sizeof(int)] = 22; /* a page the parent never touched */
        char c = 'w';
        write_full(to_parent[1], &c, 1);
        CHECK_EQ(read_full(to_child[0], &c, 1), 0);
        CHECK_EQ(shared[0], 3);
        check_child_done(base);
    }
    CHECK(pid > 0);
    char c;
    CHECK_EQ(read_full(to_parent[0], &c, 1), 0);
    CHECK_EQ(shared[0], 2);
    CHECK_EQ(shared[PAGE / sizeof(int)], 22);
    shared[0] = 3;
    write_full(to_child[1], &c, 1);
    check_child_status(pid, 0, 0);
    munmap((void *)shared, 2 * PAGE);
    close(to_child[0]);
    close(to_child[1]);
    close(to_parent[0]);
    close(to_parent[1]);
    check_end();
}

/* MAP_SHARED|MAP_ANONYMOUS is made lazily: mapping costs no pages, a page
 * first touched after a fork is one page both processes see, and a mapping
 * larger than RAM fails at once (Linux's overcommit heuristic charges
 * shared memory whatever its protection). */
static void test_shared_lazy(void) {
    check_begin("MAP_SHARED|MAP_ANONYMOUS: made on first touch, shared after fork, charged up front");
    struct sysinfo info;
    CHECK_EQ(sysinfo(&info), 0);
    unsigned long ram = info.totalram * info.mem_unit;
    errno = 0;
    void *huge = mmap(NULL, 2 * ram, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(huge == MAP_FAILED && errno == ENOMEM);
    if (huge != MAP_FAILED) munmap(huge, 2 * ram);

    long before = free_bytes();
    size_t size = 32 * MiB;
    volatile int *shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    if (shared == MAP_FAILED) return;
    CHECK(before - free_bytes() < 8 * MiB); /* not populated */
    fflush(stdout);
    size_t far = (size - PAGE) / sizeof(int);
    pid_t pid = fork();
    if (pid == 0) {
        int base = check_failures;
        shared[far] = 77;  /* neither process touched this page before */
        shared[1000] = 5;
        check_child_done(base);
    }
    CHECK(pid > 0);
    check_child_status(pid, 0, 0);
    CHECK_EQ(shared[far], 77);
    CHECK_EQ(shared[1000], 5);
    CHECK_EQ(shared[2048], 0);
    munmap((void *)shared, size);
    check_end();
}

/* A futex word in MAP_SHARED memory joins waiters and wakers of different
 * processes (what process-shared pthread mutexes rely on). */
static void test_shared_futex(void) {
    check_begin("a futex in MAP_SHARED memory wakes a waiter in another process");
    volatile uint32_t *word = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(word != MAP_FAILED);
    if (word == MAP_FAILED) return;
    word[0] = 0; /* the value waited on */
    word[1] = 0; /* the child says it is about to wait */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        word[1] = 1;
        struct timespec timeout = {5, 0}; /* a kernel that never wakes us: fail, not hang */
        while (word[0] == 0) {
            long r = syscall(SYS_futex, word, FUTEX_WAIT, 0, &timeout, NULL, 0);
            if (r != 0 && errno == ETIMEDOUT) _exit(1);
        }
        _exit(0);
    }
    CHECK(pid > 0);
    while (word[1] == 0) sched_yield();
    /* Give the child time to block in FUTEX_WAIT, then wake it. */
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    word[0] = 1;
    CHECK_EQ(syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0), 1);
    check_child_status(pid, 0, 0);
    munmap((void *)word, PAGE);
    check_end();
}

/* What the COW child measured, in bytes of freeram below the parent's
 * reading just before fork. */
struct CowReport {
    long after_fork;
    long after_one_write;
    long after_control;
    long content_errors;
};

#define COW_SIZE (64 * MiB)
#define COW_CONTROL (8 * MiB) /* positive control: this much really copied */

static void test_cow(void) {
    check_begin("copy-on-write: a child of a 64 MiB parent copies one page per write");
    char *region = mmap(NULL, COW_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(region != MAP_FAILED);
    if (region == MAP_FAILED) {
        check_end();
        return;
    }
    /* Linux: 4 KiB pages, so the numbers do not depend on THP (Akuma may
     * not know the advice; that is fine). */
    madvise(region, COW_SIZE, MADV_NOHUGEPAGE);
    for (long i = 0; i < COW_SIZE; i += PAGE) region[i] = (char)(i / PAGE);

    int report[2], release[2];
    CHECK_EQ(pipe(report), 0);
    CHECK_EQ(pipe(release), 0);
    fflush(stdout);
    long base = free_bytes();
    pid_t pid = fork();
    if (pid == 0) {
        struct CowReport r = {0, 0, 0, 0};
        r.after_fork = base - free_bytes();
        region[5 * PAGE] = 'c';
        r.after_one_write = base - free_bytes();
        for (long i = 0; i < COW_SIZE; i += PAGE)
            if (i != 5 * PAGE && region[i] != (char)(i / PAGE)) r.content_errors++;
        for (long i = 0; i < COW_CONTROL; i += PAGE) region[COW_SIZE - COW_CONTROL + i] = 'k';
        r.after_control = base - free_bytes();
        if (write(report[1], &r, sizeof r) != sizeof r) _exit(3);
        char c;
        if (read_full(release[0], &c, 1) != 0) _exit(4);
        _exit(0);
    }
    CHECK(pid > 0);
    struct CowReport r;
    CHECK_EQ(read_full(report[0], &r, sizeof r), 0);
    printf("  freeram drop seen by the child (KiB): after fork %ld, after 1 page written %ld, "
           "after %ld MiB written %ld\n",
           r.after_fork / 1024, r.after_one_write / 1024, COW_CONTROL / MiB, r.after_control / 1024);
    CHECK_EQ(r.content_errors, 0);
    /* fork itself: page tables (64 MiB needs 32 of them) and kernel
     * structures, nowhere near a copy of the region. */
    CHECK(r.after_fork < 4 * MiB);
    /* The first write copies one page (plus noise). */
    CHECK(r.after_one_write < 4 * MiB);
    CHECK(r.after_one_write - r.after_fork < 1 * MiB);
    /* Control: writing COW_CONTROL bytes really takes about that much. */
    CHECK(r.after_control - r.after_one_write > COW_CONTROL * 3 / 4);
    CHECK(r.after_control - r.after_one_write < COW_CONTROL + 2 * MiB);
    /* The parent's copy is untouched by the child's writes. */
    long bad = 0;
    for (long i = 0; i < COW_SIZE; i += PAGE)
        if (region[i] != (char)(i / PAGE)) bad++;
    CHECK_EQ(bad, 0);
    char c = 'x';
    write_full(release[1], &c, 1);
    check_child_status(pid, 0, 0);
    long after_reap = free_bytes();
    printf("  freeram after the child is reaped: %+ld KiB from before fork\n", (after_reap - base) / 1024);
    /* The child's 8 MiB of copies are back (Linux keeps ~1.2 MiB of freed
     * pages on per-CPU lists, which freeram does not count). */
    CHECK(after_reap > base - 4 * MiB);
    munmap(region, COW_SIZE);
    close(report[0]);
    close(report[1]);
    close(release[0]);
    close(release[1]);
    check_end();
}

#define CYCLES 1000

static void test_cycles(void) {
    check_begin("1000 fork/_exit/waitpid cycles: statuses right, nothing leaked");
    fflush(stdout);
    /* Warm up kernel caches so the baseline is steady. */
    for (int i = 0; i < 16; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        waitpid(pid, NULL, 0);
    }
    long before = free_bytes();
    struct sysinfo info;
    CHECK_EQ(sysinfo(&info), 0);
    int procs_before = info.procs; /* tasks in the system */
    int wrong = 0, failed_forks = 0;
    for (int i = 0; i < CYCLES; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(i & 0xff);
        if (pid < 0) {
            failed_forks++;
            continue;
        }
        int status = -1;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != (i & 0xff)) {
            if (wrong++ < 3) printf("  cycle %d: status 0x%x\n", i, status);
        }
    }
    long after = free_bytes();
    printf("  freeram after %d cycles: %+ld KiB\n", CYCLES, (after - before) / 1024);
    CHECK_EQ(failed_forks, 0);
    CHECK_EQ(wrong, 0);
    CHECK_ERR(waitpid(-1, NULL, WNOHANG), ECHILD); /* all reaped */
    /* The task count is back too (Linux's own threads may come and go). */
    CHECK_EQ(sysinfo(&info), 0);
    printf("  tasks (sysinfo procs) before %d, after %d\n", procs_before, (int)info.procs);
    CHECK(abs((int)info.procs - procs_before) <= 8);
    /* A leak of even one page per cycle would be 4000 KiB. */
    CHECK(after > before - 2 * MiB);
    check_end();
}

static volatile int vfork_flag;

static void test_vfork(void) {
    check_begin("vfork: the parent waits until the child _exits or execs");
    vfork_flag = 0;
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        /* Shared memory: the parent sees this as soon as vfork returns. */
        /* Yielding gives a wrongly running parent every chance to look. */
        for (int i = 0; i < 1000; i++) {
            vfork_flag = i + 1;
            if (i % 100 == 0) sched_yield();
        }
        _exit(7);
    }
    CHECK(pid > 0);
    CHECK_EQ(vfork_flag, 1000);
    check_child_status(pid, 7, 0);

    vfork_flag = 0;
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        vfork_flag = 2;
        char *argv[] = {(char *)self_path, "vfork-exec-child", NULL};
        char *envp[] = {NULL};
        execve(self_path, argv, envp);
        _exit(127);
    }
    CHECK(pid > 0);
    CHECK_EQ(vfork_flag, 2);
    check_child_status(pid, 42, 0); /* the exec'd image's status */
    check_end();
}

/* CLONE_CHILD_SETTID / CLONE_PARENT_SETTID on a new process (glibc's fork
 * uses CHILD_SETTID): the child's TID lands in the child's copy of the
 * word, before the child runs; the parent's copy is written only by
 * PARENT_SETTID. */
static void test_clone_settid(void) {
    check_begin("clone CLONE_CHILD_SETTID|CLONE_PARENT_SETTID without CLONE_VM");
    static volatile int32_t child_word, parent_word;
    child_word = parent_word = 0;
    int failures = check_failures;
    long pid = syscall(SYS_clone, (long)(SIGCHLD | CLONE_CHILD_SETTID | CLONE_PARENT_SETTID), 0L,
                       &parent_word, 0L, &child_word);
    if (pid == 0) {
        CHECK_EQ(child_word, getpid());
        check_child_done(failures);
    }
    CHECK(pid > 0);
    CHECK_EQ(parent_word, pid);
    CHECK_EQ(child_word, 0); /* the child wrote its own copy */
    check_child_status((pid_t)pid, 0, 0);
    check_end();
}

int main(int argc, char **argv) {
    self_path = argv[0];
    const char *only = argc > 1 ? argv[1] : NULL;
    if (only && strcmp(only, "vfork-exec-child") == 0) return 42;
    static const struct check_test tests[] = {
        {"basic", test_basic},
        {"isolation", test_isolation},
        {"shared", test_shared},
        {"shared-futex", test_shared_futex},
        {"shared-lazy", test_shared_lazy},
        {"cow", test_cow},
        {"cycles", test_cycles},
        {"vfork", test_vfork},
        {"clone-settid", test_clone_settid},
    };
    return check_run_tests("fork", argc, argv, tests, sizeof tests / sizeof *tests);
}
