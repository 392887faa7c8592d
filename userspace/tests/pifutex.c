/* PI futexes: FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_TRYLOCK_PI and
 * FUTEX_UNLOCK_PI on raw words, and glibc's PTHREAD_PRIO_INHERIT mutexes
 * (plain and robust) built on them. Validated on Linux
 * (../shared/tools/linux-ref). Every wait is bounded. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include "check.h"

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

static long futex(uint32_t *word, int op, const struct timespec *timeout) {
    return syscall(SYS_futex, word, op, 0, timeout, NULL, 0);
}

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static uint32_t load(uint32_t *word) { return __atomic_load_n(word, __ATOMIC_ACQUIRE); }

/* Waits (bounded) until `word` has FUTEX_WAITERS: a locker sleeps. */
static int wait_for_waiters(uint32_t *word) {
    for (int i = 0; i < 5000; i++) {
        if (load(word) & FUTEX_WAITERS)
            return 1;
        usleep(1000);
    }
    return 0;
}

static uint32_t word;

struct holder {
    volatile int locked;
    volatile int release;
    int exit_holding;
};

static void *hold(void *arg) {
    struct holder *holder = arg;
    futex(&word, FUTEX_LOCK_PI, NULL);
    holder->locked = 1;
    if (holder->exit_holding) {
        if (holder->exit_holding == 1)
            wait_for_waiters(&word);  /* until someone sleeps for it */
        return NULL;                  /* ends owning the lock */
    }
    while (!holder->release)
        usleep(1000);
    futex(&word, FUTEX_UNLOCK_PI, NULL);
    return NULL;
}

struct locker {
    long result;
    int error;
    uint32_t word_after;
    pid_t tid;
};

static void *lock_it(void *arg) {
    struct locker *locker = arg;
    locker->tid = gettid_();
    locker->result = futex(&word, FUTEX_LOCK_PI, NULL);
    locker->error = errno;
    locker->word_after = load(&word);
    if (locker->result == 0)
        futex(&word, FUTEX_UNLOCK_PI, NULL);
    return NULL;
}

static void test_raw(void) {
    check_begin("raw");
    pid_t tid = gettid_();
    word = 0;
    CHECK_EQ(futex(&word, FUTEX_LOCK_PI, NULL), 0);
    CHECK_EQ(load(&word), (uint32_t)tid);
    CHECK_ERR(futex(&word, FUTEX_LOCK_PI, NULL), EDEADLK);
    CHECK_ERR(futex(&word, FUTEX_TRYLOCK_PI, NULL), EDEADLK);
    CHECK_EQ(futex(&word, FUTEX_UNLOCK_PI, NULL), 0);
    CHECK_EQ(load(&word), 0u);
    CHECK_ERR(futex(&word, FUTEX_UNLOCK_PI, NULL), EPERM);
    CHECK_EQ(futex(&word, FUTEX_TRYLOCK_PI, NULL), 0);
    CHECK_EQ(load(&word), (uint32_t)tid);
    CHECK_EQ(futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, NULL), 0);
    /* A TID no thread has: ESRCH. */
    word = 0x3ffffff0;
    CHECK_ERR(futex(&word, FUTEX_LOCK_PI, NULL), ESRCH);
    CHECK_ERR(futex(&word, FUTEX_TRYLOCK_PI, NULL), ESRCH);
    CHECK_ERR(futex(&word, FUTEX_UNLOCK_PI, NULL), EPERM);
    /* FUTEX_CLOCK_REALTIME only with LOCK_PI2 among these. */
    word = 0;
    CHECK_ERR(futex(&word, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, NULL), ENOSYS);
    CHECK_EQ(futex(&word, FUTEX_LOCK_PI2 | FUTEX_CLOCK_REALTIME, NULL), 0);
    CHECK_EQ(futex(&word, FUTEX_UNLOCK_PI, NULL), 0);
    CHECK_ERR(futex((uint32_t *)8, FUTEX_LOCK_PI, NULL), EFAULT);
    check_end();
}

static void test_contended(void) {
    check_begin("contended");
    word = 0;
    struct holder holder = { 0, 0, 0 };
    pthread_t owner_thread, waiter_thread;
    CHECK_EQ(pthread_create(&owner_thread, NULL, hold, &holder), 0);
    while (!holder.locked)
        usleep(1000);
    /* Taken by another thread: TRYLOCK says EAGAIN, timed locks time out. */
    CHECK_ERR(futex(&word, FUTEX_TRYLOCK_PI, NULL), EAGAIN);
    struct timespec now, deadline;
    clock_gettime(CLOCK_REALTIME, &now);
    deadline = now;
    deadline.tv_nsec += 30000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    CHECK_ERR(futex(&word, FUTEX_LOCK_PI, &deadline), ETIMEDOUT);  /* absolute CLOCK_REALTIME */
    clock_gettime(CLOCK_MONOTONIC, &now);
    deadline = now;
    deadline.tv_nsec += 30000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    CHECK_ERR(futex(&word, FUTEX_LOCK_PI2, &deadline), ETIMEDOUT);  /* absolute CLOCK_MONOTONIC */
    /* A waiter sleeps (FUTEX_WAITERS), gets the lock once it is unlocked. */
    struct locker locker = { -2, 0, 0, 0 };
    CHECK_EQ(pthread_create(&waiter_thread, NULL, lock_it, &locker), 0);
    CHECK(wait_for_waiters(&word));
    holder.release = 1;
    CHECK_EQ(pthread_join(owner_thread, NULL), 0);
    CHECK_EQ(pthread_join(waiter_thread, NULL), 0);
    CHECK_EQ(locker.result, 0);
    CHECK_EQ(locker.word_after & FUTEX_TID_MASK, (uint32_t)locker.tid);
    CHECK_EQ(load(&word), 0u);
    check_end();
}

static void test_owner_exit(void) {
    check_begin("owner_exit");
    /* The owner ends holding the lock: the waiter gets it. */
    word = 0;
    struct holder holder = { 0, 0, 1 };
    struct locker locker = { -2, 0, 0, 0 };
    pthread_t owner_thread, waiter_thread;
    CHECK_EQ(pthread_create(&owner_thread, NULL, hold, &holder), 0);
    while (!holder.locked)
        usleep(1000);
    CHECK_EQ(pthread_create(&waiter_thread, NULL, lock_it, &locker), 0);
    CHECK_EQ(pthread_join(waiter_thread, NULL), 0);
    CHECK_EQ(pthread_join(owner_thread, NULL), 0);
    CHECK_EQ(locker.result, 0);
    CHECK_EQ(locker.error, 0);
    CHECK_EQ(locker.word_after & FUTEX_TID_MASK, (uint32_t)locker.tid);
    CHECK_EQ(locker.word_after & FUTEX_OWNER_DIED, (uint32_t)FUTEX_OWNER_DIED);  /* even if not robust */
    /* A lock whose owner ended with nobody waiting: ESRCH. */
    struct holder quitter = { 0, 0, 2 };
    word = 0;
    CHECK_EQ(pthread_create(&owner_thread, NULL, hold, &quitter), 0);
    CHECK_EQ(pthread_join(owner_thread, NULL), 0);
    CHECK(load(&word) != 0);
    CHECK_ERR(futex(&word, FUTEX_LOCK_PI, NULL), ESRCH);
    check_end();
}

static pthread_mutex_t pi_mutex;
static long counter;

static void *count_up(void *arg) {
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&pi_mutex);
        long value = counter;
        if (i % 64 == 0)
            sched_yield();  /* invite contention */
        counter = value + 1;
        pthread_mutex_unlock(&pi_mutex);
    }
    return NULL;
}

static void *lock_and_die(void *arg) {
    (void)arg;
    pthread_mutex_lock(&pi_mutex);
    return NULL;
}

static void test_glibc(void) {
    check_begin("glibc");
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    CHECK_EQ(pthread_mutexattr_setprotocol(&attributes, PTHREAD_PRIO_INHERIT), 0);
    CHECK_EQ(pthread_mutex_init(&pi_mutex, &attributes), 0);
    pthread_t threads[4];
    counter = 0;
    for (int i = 0; i < 4; i++)
        CHECK_EQ(pthread_create(&threads[i], NULL, count_up, NULL), 0);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(pthread_join(threads[i], NULL), 0);
    CHECK_EQ(counter, 8000);
    CHECK_EQ(pthread_mutex_trylock(&pi_mutex), 0);
    CHECK_EQ(pthread_mutex_unlock(&pi_mutex), 0);
    pthread_mutex_destroy(&pi_mutex);
    /* Robust and PI: the owner dies, the next locker hears EOWNERDEAD. */
    CHECK_EQ(pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST), 0);
    CHECK_EQ(pthread_mutex_init(&pi_mutex, &attributes), 0);
    pthread_t dying;
    CHECK_EQ(pthread_create(&dying, NULL, lock_and_die, NULL), 0);
    CHECK_EQ(pthread_join(dying, NULL), 0);
    CHECK_EQ(pthread_mutex_lock(&pi_mutex), EOWNERDEAD);
    CHECK_EQ(pthread_mutex_consistent(&pi_mutex), 0);
    CHECK_EQ(pthread_mutex_unlock(&pi_mutex), 0);
    CHECK_EQ(pthread_mutex_lock(&pi_mutex), 0);
    CHECK_EQ(pthread_mutex_unlock(&pi_mutex), 0);
    pthread_mutex_destroy(&pi_mutex);
    check_end();
}

static volatile sig_atomic_t g_handled;
static void on_signal(int signal) {
    (void)signal;
    g_handled++;
}

/* A signal whose handler has no SA_RESTART does not end FUTEX_LOCK_PI:
 * Linux restarts it (ERESTARTNOINTR), and the lock is taken once free. */
static void test_signal(void) {
    check_begin("signal");
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;  /* no SA_RESTART */
    sigaction(SIGUSR1, &action, NULL);
    word = 0;
    g_handled = 0;
    CHECK_EQ(futex(&word, FUTEX_LOCK_PI, NULL), 0);
    struct locker locker = { 0, 0, 0, 0 };
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, lock_it, &locker), 0);
    CHECK(wait_for_waiters(&word));
    for (int i = 0; i < 100 && !locker.tid; i++)
        usleep(1000);
    CHECK_EQ(syscall(SYS_tgkill, getpid(), locker.tid, SIGUSR1), 0);
    for (int i = 0; i < 1000 && !g_handled; i++)
        usleep(1000);
    CHECK_EQ(g_handled, 1);
    usleep(20000);
    CHECK_EQ(futex(&word, FUTEX_UNLOCK_PI, NULL), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(locker.result, 0);
    CHECK_EQ(word, 0);
    signal(SIGUSR1, SIG_DFL);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(60);
    static const struct check_test tests[] = {
        { "raw", test_raw },
        { "contended", test_contended },
        { "owner_exit", test_owner_exit },
        { "glibc", test_glibc },
        { "signal", test_signal },
    };
    return check_run_tests("pifutex", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
