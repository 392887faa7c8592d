/* process_vm_readv and process_vm_writev: copies to and from a child's
 * memory (the same addresses after fork), untouched pages made on the way,
 * partial copies at a hole, and Linux's errors. Validated on Linux
 * (../shared/tools/linux-ref). Waits are bounded by alarm(). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "check.h"

static char shared_text[64] = "the parent's copy";
static long page;

struct child {
    pid_t pid;
    int to_child;    /* write a byte: the child checks and exits */
    int from_child;  /* the child's verdict */
};

/* A child that waits for a byte, then reports whether `expect` (if any)
 * is what its copy of shared_text holds. */
static struct child start_child(const char *expect) {
    int down[2], up[2];
    struct child child = { -1, -1, -1 };
    if (pipe(down) != 0 || pipe(up) != 0)
        return child;
    child.pid = fork();
    if (child.pid == 0) {
        alarm(20);
        close(down[1]);
        close(up[0]);
        strcpy(shared_text, "the child's own copy");
        (void)!write(up[1], "r", 1);  /* ready */
        char byte;
        (void)!read(down[0], &byte, 1);
        char verdict = !expect || strcmp(shared_text, expect) == 0 ? 'y' : 'n';
        (void)!write(up[1], &verdict, 1);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    child.to_child = down[1];
    child.from_child = up[0];
    char ready = 0;
    (void)!read(child.from_child, &ready, 1);
    return child;
}

static char finish_child(struct child *child) {
    char verdict = 0;
    (void)!write(child->to_child, "g", 1);
    (void)!read(child->from_child, &verdict, 1);
    close(child->to_child);
    close(child->from_child);
    check_child_status(child->pid, 0, 0);
    return verdict;
}

static void test_read(void) {
    check_begin("read");
    /* A mapping the child has not touched yet reads as zeros. */
    char *fresh = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct child child = start_child(NULL);
    char buffer[64];
    memset(buffer, 0, sizeof buffer);
    struct iovec local[2] = { { buffer, 6 }, { buffer + 6, 58 } };
    struct iovec remote = { shared_text, 21 };
    CHECK_EQ(process_vm_readv(child.pid, local, 2, &remote, 1, 0), 21);
    CHECK(strcmp(buffer, "the child's own copy") == 0);
    CHECK(strcmp(shared_text, "the parent's copy") == 0);
    char zeros[64];
    memset(zeros, 0x55, sizeof zeros);
    struct iovec into = { zeros, sizeof zeros };
    struct iovec untouched = { fresh + page - 32, 64 };  /* across two pages */
    CHECK_EQ(process_vm_readv(child.pid, &into, 1, &untouched, 1, 0), 64);
    int all_zero = 1;
    for (size_t i = 0; i < sizeof zeros; i++)
        all_zero &= zeros[i] == 0;
    CHECK(all_zero);
    /* The child's memory counts, not ours: a page only we unmapped reads. */
    CHECK_EQ(munmap(fresh + page, page), 0);
    struct iovec tail = { fresh + page - 16, 32 };
    CHECK_EQ(process_vm_readv(child.pid, &into, 1, &tail, 1, 0), 32);
    /* Starting in a hole: EFAULT; running into one: partial. */
    struct iovec nowhere = { (void *)16, 32 };
    CHECK_ERR(process_vm_readv(child.pid, &into, 1, &nowhere, 1, 0), EFAULT);
    struct iovec hole_after = { shared_text, 8 };
    struct iovec two[2] = { { shared_text, 4 }, { (void *)16, 4 } };
    CHECK_EQ(process_vm_readv(child.pid, &into, 1, two, 2, 0), 4);
    /* Errors. */
    CHECK_ERR(process_vm_readv(child.pid, &into, 1, &hole_after, 1, 1), EINVAL);
    struct iovec bad_local = { (void *)16, 8 };
    CHECK_ERR(process_vm_readv(child.pid, &bad_local, 1, &hole_after, 1, 0), EFAULT);
    CHECK_ERR(process_vm_readv(child.pid, &into, 1025, &hole_after, 1, 0), EINVAL);
    CHECK_ERR(process_vm_readv(child.pid, &into, 1, (struct iovec *)16, 1, 0), EFAULT);
    CHECK_ERR(process_vm_readv(0x3ffffff0, &into, 1, &hole_after, 1, 0), ESRCH);
    struct iovec empty = { buffer, 0 };
    CHECK_EQ(process_vm_readv(0x3ffffff0, &empty, 1, &hole_after, 1, 0), 0);  /* nothing: before the lookup */
    struct iovec empty_remote = { shared_text, 0 };
    CHECK_EQ(process_vm_readv(0x3ffffff0, &into, 1, &empty_remote, 1, 0), 0);
    /* Our own memory. */
    CHECK_EQ(process_vm_readv(getpid(), &into, 1, &hole_after, 1, 0), 8);
    CHECK(memcmp(zeros, "the pare", 8) == 0);
    CHECK_EQ(finish_child(&child), 'y');
    munmap(fresh, page);
    check_end();
}

static void test_write(void) {
    check_begin("write");
    struct child child = start_child("written by the parent");
    static const char text[] = "written by the parent";
    struct iovec local[2] = { { (void *)text, 10 }, { (void *)(text + 10), sizeof text - 10 } };
    struct iovec remote = { shared_text, sizeof text };
    CHECK_EQ(process_vm_writev(child.pid, local, 2, &remote, 1, 0), (long)sizeof text);
    CHECK(strcmp(shared_text, "the parent's copy") == 0);  /* ours untouched */
    /* A read-only remote page: EFAULT (no forcing, unlike ptrace). */
    struct iovec code = { (void *)test_write, 4 };
    struct iovec four = { (void *)text, 4 };
    CHECK_ERR(process_vm_writev(child.pid, &four, 1, &code, 1, 0), EFAULT);
    CHECK_EQ(finish_child(&child), 'y');
    /* The child is gone (reaped): ESRCH. */
    CHECK_ERR(process_vm_writev(child.pid, &four, 1, &remote, 1, 0), ESRCH);
    check_end();
}

static void test_permission(void) {
    check_begin("permission");
    int at_fork = check_failures;
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        /* Another user may not look into root's process. */
        CHECK_EQ(setgid(65534), 0);
        CHECK_EQ(setuid(65534), 0);
        char buffer[8];
        struct iovec local = { buffer, sizeof buffer };
        struct iovec remote = { shared_text, sizeof buffer };
        CHECK_ERR(process_vm_readv(parent, &local, 1, &remote, 1, 0), EPERM);
        CHECK_ERR(process_vm_writev(parent, &local, 1, &remote, 1, 0), EPERM);
        CHECK_EQ(process_vm_readv(getpid(), &local, 1, &remote, 1, 0), 8);  /* but into its own */
        check_child_done(at_fork);
    }
    check_child_status(child, 0, 0);
    check_end();
}

/* kcmp: what two threads share, as Linux 6.1 reports it (0: the same
 * object; 1 or 2: different ones, in a scrambled order). */
static pid_t g_thread_tid;
static volatile int g_thread_stop;
static void *idle_thread(void *unused) {
    (void)unused;
    g_thread_tid = (pid_t)syscall(SYS_gettid);
    while (!g_thread_stop)
        usleep(1000);
    return NULL;
}

static void test_kcmp(void) {
    check_begin("kcmp");
    enum { kcmp_file, kcmp_vm, kcmp_files, kcmp_fs, kcmp_sighand, kcmp_io, kcmp_sysvsem, kcmp_epoll_tfd };
    pid_t me = getpid();
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    int copy = dup(pipe_fds[0]);
    /* Another thread shares everything. */
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, idle_thread, NULL), 0);
    while (!g_thread_tid)
        usleep(1000);
    for (int type = kcmp_file; type <= kcmp_sysvsem; type++)
        CHECK_EQ(syscall(SYS_kcmp, me, g_thread_tid, type, pipe_fds[0], pipe_fds[0]), 0);
    /* Descriptors: one description under two numbers, and two descriptions. */
    CHECK_EQ(syscall(SYS_kcmp, me, me, kcmp_file, pipe_fds[0], copy), 0);
    long order = syscall(SYS_kcmp, me, me, kcmp_file, pipe_fds[0], pipe_fds[1]);
    CHECK(order == 1 || order == 2);
    CHECK_EQ(syscall(SYS_kcmp, me, me, kcmp_file, pipe_fds[1], pipe_fds[0]), 3 - order);  /* the same order */
    CHECK_ERR(syscall(SYS_kcmp, me, me, kcmp_file, pipe_fds[0], 999), EBADF);
    CHECK_ERR(syscall(SYS_kcmp, me, me, 9, 0, 0), EINVAL);
    CHECK_ERR(syscall(SYS_kcmp, me, 0x3ffffff0, kcmp_vm, 0, 0), ESRCH);
    CHECK_ERR(syscall(SYS_kcmp, me, me, kcmp_epoll_tfd, pipe_fds[0], 8), EFAULT);
    /* A forked child shares the descriptions it inherited, nothing else but
     * (no one having made one) an I/O context. */
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    CHECK_EQ(syscall(SYS_kcmp, me, child, kcmp_file, pipe_fds[0], pipe_fds[0]), 0);
    for (int type = kcmp_vm; type <= kcmp_sysvsem; type++) {
        long result = syscall(SYS_kcmp, me, child, type, 0, 0);
        if (type == kcmp_io)
            CHECK_EQ(result, 0);
        else
            CHECK(result == 1 || result == 2);
    }
    kill(child, SIGKILL);
    check_child_status(child, 0, SIGKILL);
    g_thread_stop = 1;
    pthread_join(thread, NULL);
    close(copy);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(60);
    page = sysconf(_SC_PAGESIZE);
    static const struct check_test tests[] = {
        { "read", test_read },
        { "write", test_write },
        { "permission", test_permission },
        { "kcmp", test_kcmp },
    };
    return check_run_tests("processvm", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
