/* robust: robust futex lists (set_robust_list), as Linux 6.1 walks them
 * when a thread ends. A robust mutex whose owner ends without unlocking is
 * handed to the next locker with EOWNERDEAD, instead of blocking it for
 * ever.
 *   dead_owner  a thread locks a robust mutex and exits: the next lock
 *               returns EOWNERDEAD; after pthread_mutex_consistent the
 *               mutex works again; without it, unlocking makes it
 *               unusable (ENOTRECOVERABLE)
 *   waiter      a thread already blocked on the mutex when its owner exits
 *               is woken with EOWNERDEAD
 *   shared      a process-shared robust mutex in MAP_SHARED memory: a
 *               child locks it and exits; the parent gets EOWNERDEAD
 *   exec        the same, but the child execs a new program holding it:
 *               execve releases the old image's robust futexes
 *   word        the futex word a dying owner leaves: FUTEX_OWNER_DIED,
 *               and FUTEX_WAITERS kept; a list entry whose word names
 *               another thread is left alone
 *   syscall     set_robust_list with a wrong size is EINVAL */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "check.h"

static pthread_mutex_t *make_robust(void *memory, int shared) {
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
    if (shared)
        pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    pthread_mutex_t *mutex = memory;
    pthread_mutex_init(mutex, &attributes);
    pthread_mutexattr_destroy(&attributes);
    return mutex;
}

static void *lock_and_leave(void *argument) {
    pthread_mutex_lock(argument);
    return NULL; /* ends holding it */
}

static void test_dead_owner(void) {
    check_begin("dead_owner");
    static pthread_mutex_t storage;
    pthread_mutex_t *mutex = make_robust(&storage, 0);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, lock_and_leave, mutex), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(pthread_mutex_lock(mutex), EOWNERDEAD);
    CHECK_EQ(pthread_mutex_consistent(mutex), 0);
    CHECK_EQ(pthread_mutex_unlock(mutex), 0);
    CHECK_EQ(pthread_mutex_lock(mutex), 0);
    CHECK_EQ(pthread_mutex_unlock(mutex), 0);
    /* Not made consistent: the mutex is dead for good. */
    CHECK_EQ(pthread_create(&thread, NULL, lock_and_leave, mutex), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(pthread_mutex_lock(mutex), EOWNERDEAD);
    CHECK_EQ(pthread_mutex_unlock(mutex), 0);
    CHECK_EQ(pthread_mutex_lock(mutex), ENOTRECOVERABLE);
    check_end();
}

struct handoff {
    pthread_mutex_t *mutex;
    volatile int locked;
};

static void *lock_wait_leave(void *argument) {
    struct handoff *handoff = argument;
    pthread_mutex_lock(handoff->mutex);
    handoff->locked = 1;
    struct timespec pause = { 0, 200 * 1000 * 1000 }; /* the main thread blocks meanwhile */
    nanosleep(&pause, NULL);
    return NULL;
}

static void test_waiter(void) {
    check_begin("waiter");
    static pthread_mutex_t storage;
    struct handoff handoff = { make_robust(&storage, 0), 0 };
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, lock_wait_leave, &handoff), 0);
    while (!handoff.locked)
        sched_yield();
    CHECK_EQ(pthread_mutex_lock(handoff.mutex), EOWNERDEAD); /* blocks until the owner is gone */
    CHECK_EQ(pthread_mutex_consistent(handoff.mutex), 0);
    CHECK_EQ(pthread_mutex_unlock(handoff.mutex), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    check_end();
}

static void test_shared(void) {
    check_begin("shared");
    void *memory = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(memory != MAP_FAILED);
    pthread_mutex_t *mutex = make_robust(memory, 1);
    pid_t child = fork();
    if (child == 0) {
        pthread_mutex_lock(mutex);
        _exit(0);
    }
    int status = -1;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(pthread_mutex_lock(mutex), EOWNERDEAD);
    CHECK_EQ(pthread_mutex_consistent(mutex), 0);
    CHECK_EQ(pthread_mutex_unlock(mutex), 0);
    munmap(memory, 4096);
    check_end();
}

static void test_exec(void) {
    check_begin("exec");
    void *memory = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(memory != MAP_FAILED);
    pthread_mutex_t *mutex = make_robust(memory, 1);
    int ready[2], locked[2];
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(locked), 0);
    pid_t child = fork();
    if (child == 0) {
        pthread_mutex_lock(mutex);
        if (write(locked[1], "l", 1) != 1)
            _exit(4);
        /* The new program waits for the parent's lock attempt to end. */
        dup2(ready[0], 0);
        execl("/proc/self/exe", "robust", "--wait-stdin", (char *)NULL);
        _exit(3);
    }
    char byte;
    CHECK_EQ(read(locked[0], &byte, 1), 1);
    /* Bounded: before execve released it, this waited for ever. */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    CHECK_EQ(pthread_mutex_timedlock(mutex, &deadline), EOWNERDEAD);
    CHECK_EQ(pthread_mutex_consistent(mutex), 0);
    CHECK_EQ(pthread_mutex_unlock(mutex), 0);
    CHECK_EQ(write(ready[1], "x", 1), 1);
    int status = -1;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(ready[0]);
    close(ready[1]);
    close(locked[0]);
    close(locked[1]);
    munmap(memory, 4096);
    check_end();
}

/* A robust list by hand, as the kernel reads it: the head, then entries
 * whose futex word is at futex_offset from the entry. */
struct entry {
    struct robust_list link;
    uint32_t word;
};

static struct robust_list_head hand_head;
static struct entry mine, others;

static void *register_and_leave(void *argument) {
    (void)argument;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    mine.word = (uint32_t)tid | FUTEX_WAITERS;
    others.word = 12345; /* some other thread's */
    hand_head.list.next = &mine.link;
    mine.link.next = &others.link;
    others.link.next = &hand_head.list;
    hand_head.futex_offset = (long)offsetof(struct entry, word);
    hand_head.list_op_pending = NULL;
    if (syscall(SYS_set_robust_list, &hand_head, sizeof hand_head) != 0)
        return (void *)1;
    /* glibc's own list is replaced: the thread's exit walks this one. */
    syscall(SYS_exit, 0);
    return NULL;
}

static void test_word(void) {
    check_begin("word");
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, register_and_leave, NULL), 0);
    /* SYS_exit leaves glibc's thread descriptor: wait for the word. */
    for (int i = 0; i < 2000 && !(mine.word & FUTEX_OWNER_DIED); ++i) {
        struct timespec pause = { 0, 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    CHECK_EQ(mine.word, FUTEX_OWNER_DIED | FUTEX_WAITERS);
    CHECK_EQ(others.word, 12345u);
    check_end();
}

static void test_syscall(void) {
    check_begin("syscall");
    struct robust_list_head head;
    CHECK_ERR(syscall(SYS_set_robust_list, &head, sizeof head - 1), EINVAL);
    CHECK_ERR(syscall(SYS_set_robust_list, &head, sizeof head + 8), EINVAL);
    /* get_robust_list reads back what glibc registered, and a child's. */
    struct robust_list_head *mine = NULL, *other = NULL;
    size_t length = 0;
    CHECK_EQ(syscall(SYS_get_robust_list, 0, &mine, &length), 0);
    CHECK(mine != NULL);  /* glibc sets one for every thread */
    CHECK_EQ(length, sizeof head);
    struct robust_list_head *by_tid = NULL;
    CHECK_EQ(syscall(SYS_get_robust_list, (pid_t)syscall(SYS_gettid), &by_tid, &length), 0);
    CHECK(by_tid == mine);
    int ready[2];
    CHECK_EQ(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        syscall(SYS_set_robust_list, &head, sizeof head);
        (void)!write(ready[1], "r", 1);
        pause();
        _exit(0);
    }
    char byte;
    CHECK_EQ(read(ready[0], &byte, 1), 1);
    CHECK_EQ(syscall(SYS_get_robust_list, child, &other, &length), 0);
    CHECK(other == &head);  /* the same address in the child's copy of memory */
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    CHECK_ERR(syscall(SYS_get_robust_list, child, &other, &length), ESRCH);
    CHECK_ERR(syscall(SYS_get_robust_list, 0, &other, (size_t *)8), EFAULT);
    CHECK_ERR(syscall(SYS_get_robust_list, 0, (void *)8, &length), EFAULT);
    close(ready[0]);
    close(ready[1]);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "--wait-stdin") == 0) {  /* the exec group's new program */
        char byte;
        return read(0, &byte, 1) == 1 ? 0 : 1;
    }
    static const struct check_test tests[] = {
        { "dead_owner", test_dead_owner }, { "waiter", test_waiter }, { "shared", test_shared },
        { "exec", test_exec },             { "word", test_word },     { "syscall", test_syscall },
    };
    return check_run_tests("robust", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
