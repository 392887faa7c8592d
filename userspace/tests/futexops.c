/* futexops: the futex operations beyond WAIT and WAKE, on raw futex(2)
 * calls, as Linux 6.1 answers them.
 *   bitset    FUTEX_WAKE_BITSET wakes only waiters whose FUTEX_WAIT_BITSET
 *             mask shares a bit with its own
 *   requeue   FUTEX_CMP_REQUEUE wakes some waiters and moves the others to
 *             a second word (EAGAIN when the first word changed, EINVAL
 *             for negative counts); FUTEX_REQUEUE without the check
 *   wake_op   FUTEX_WAKE_OP changes the second word atomically, wakes on
 *             the first, and on the second if the old value passes the
 *             comparison; ENOSYS for an unknown operation
 *   quirks    FUTEX_WAKE with a count of 0 wakes one waiter (Linux counts
 *             before it compares)
 * A waiter is known to be asleep when a requeue of its word onto itself
 * (nothing woken) counts it: no sleeps, no timing. */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include "check.h"

static long futex(uint32_t *word, int op, uint32_t value, uintptr_t value2, uint32_t *word2, uint32_t value3) {
    return syscall(SYS_futex, word, op, value, value2, word2, value3);
}

/* Returns once `count` threads are asleep on `word` (each counted by a
 * requeue onto the same word, which wakes nobody). */
static void wait_for_sleepers(uint32_t *word, long count) {
    for (int tries = 0; tries < 100000; ++tries) {
        if (futex(word, FUTEX_REQUEUE, 0, INT_MAX, word, 0) >= count)
            return;
        struct timespec pause = { 0, 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    printf("  waiters never came\n");
}

struct sleeper {
    uint32_t *word;
    uint32_t bits;
    long result;
    int error;
};

static void *sleep_on(void *argument) {
    struct sleeper *sleeper = argument;
    sleeper->result = futex(sleeper->word, FUTEX_WAIT_BITSET, *sleeper->word, 0, NULL, sleeper->bits);
    sleeper->error = errno;
    return NULL;
}

static uint32_t word_a, word_b;

static void test_bitset(void) {
    check_begin("bitset");
    word_a = 7;
    struct sleeper sleeper = { &word_a, 0x1, -2, 0 };
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, sleep_on, &sleeper), 0);
    wait_for_sleepers(&word_a, 1);
    CHECK_EQ(futex(&word_a, FUTEX_WAKE_BITSET, INT_MAX, 0, NULL, 0x2), 0);
    CHECK_ERR(futex(&word_a, FUTEX_WAKE_BITSET, INT_MAX, 0, NULL, 0), EINVAL);
    CHECK_EQ(futex(&word_a, FUTEX_WAKE_BITSET, INT_MAX, 0, NULL, 0x3), 1);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(sleeper.result, 0);
    check_end();
}

static void test_requeue(void) {
    check_begin("requeue");
    word_a = 1;
    word_b = 2;
    struct sleeper sleepers[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; ++i) {
        sleepers[i] = (struct sleeper){ &word_a, FUTEX_BITSET_MATCH_ANY, -2, 0 };
        CHECK_EQ(pthread_create(&threads[i], NULL, sleep_on, &sleepers[i]), 0);
    }
    wait_for_sleepers(&word_a, 4);
    CHECK_ERR(futex(&word_a, FUTEX_CMP_REQUEUE, 1, 10, &word_b, 99), EAGAIN);
    CHECK_ERR(futex(&word_a, FUTEX_CMP_REQUEUE, -1, 10, &word_b, 1), EINVAL);
    CHECK_ERR(futex(&word_a, FUTEX_CMP_REQUEUE, 1, (uintptr_t)-1, &word_b, 1), EINVAL);
    CHECK_ERR(futex(&word_a, FUTEX_CMP_REQUEUE, 1, 10, (uint32_t *)((char *)&word_b + 1), 1), EINVAL);
    /* One woken, two moved to word_b, one left on word_a. */
    CHECK_EQ(futex(&word_a, FUTEX_CMP_REQUEUE, 1, 2, &word_b, 1), 3);
    CHECK_EQ(futex(&word_b, FUTEX_WAKE, INT_MAX, 0, NULL, 0), 2);
    /* FUTEX_REQUEUE: no comparison; the last one moves, then wakes there. */
    CHECK_EQ(futex(&word_a, FUTEX_REQUEUE, 0, 1, &word_b, 12345), 1);
    CHECK_EQ(futex(&word_a, FUTEX_WAKE, INT_MAX, 0, NULL, 0), 0);
    CHECK_EQ(futex(&word_b, FUTEX_WAKE, INT_MAX, 0, NULL, 0), 1);
    for (int i = 0; i < 4; ++i) {
        CHECK_EQ(pthread_join(threads[i], NULL), 0);
        CHECK_EQ(sleepers[i].result, 0);
    }
    check_end();
}

static void test_wake_op(void) {
    check_begin("wake_op");
    word_a = 0;
    word_b = 5;
    struct sleeper on_a = { &word_a, FUTEX_BITSET_MATCH_ANY, -2, 0 };
    struct sleeper on_b = { &word_b, FUTEX_BITSET_MATCH_ANY, -2, 0 };
    pthread_t thread_a, thread_b;
    CHECK_EQ(pthread_create(&thread_a, NULL, sleep_on, &on_a), 0);
    CHECK_EQ(pthread_create(&thread_b, NULL, sleep_on, &on_b), 0);
    wait_for_sleepers(&word_a, 1);
    wait_for_sleepers(&word_b, 1);
    /* word_b += 3; wake on word_a; wake on word_b if the old value was 4. */
    CHECK_EQ(futex(&word_a, FUTEX_WAKE_OP, 1, 1, &word_b, FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 4)), 1);
    CHECK_EQ(word_b, 8u);
    CHECK_EQ(pthread_join(thread_a, NULL), 0);
    /* word_b |= 1 << 4; old 8 > 7: word_b's waiter wakes too (0 on word_a). */
    const int or_shifted = FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT;
    CHECK_EQ(futex(&word_a, FUTEX_WAKE_OP, 1, 1, &word_b, FUTEX_OP(or_shifted, 4, FUTEX_OP_CMP_GT, 7)), 1);
    CHECK_EQ(word_b, 24u);
    CHECK_EQ(pthread_join(thread_b, NULL), 0);
    CHECK_EQ(on_a.result, 0);
    CHECK_EQ(on_b.result, 0);
    /* An unknown operation: ENOSYS, the word untouched. */
    CHECK_ERR(futex(&word_a, FUTEX_WAKE_OP, 1, 1, &word_b, FUTEX_OP(6, 1, FUTEX_OP_CMP_EQ, 0)), ENOSYS);
    CHECK_EQ(word_b, 24u);
    /* An unknown comparison: ENOSYS after the word was changed (Linux's order). */
    CHECK_ERR(futex(&word_a, FUTEX_WAKE_OP, 1, 1, &word_b, FUTEX_OP(FUTEX_OP_SET, 9, 7, 0)), ENOSYS);
    CHECK_EQ(word_b, 9u);
    CHECK_ERR(futex(&word_a, FUTEX_WAKE_OP, 1, 1, (uint32_t *)8, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)), EFAULT);
    check_end();
}

static void test_quirks(void) {
    check_begin("quirks");
    word_a = 3;
    struct sleeper sleeper = { &word_a, FUTEX_BITSET_MATCH_ANY, -2, 0 };
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, sleep_on, &sleeper), 0);
    wait_for_sleepers(&word_a, 1);
    CHECK_EQ(futex(&word_a, FUTEX_WAKE, 0, 0, NULL, 0), 1);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    check_end();
}

static uint32_t waitv_a, waitv_b;

struct waitv_sleeper {
    long result;
    int error;
    volatile int started;
};

static long waitv(struct futex_waitv *entries, unsigned count, unsigned flags, struct timespec *timeout, int clock) {
    return syscall(SYS_futex_waitv, entries, count, flags, timeout, clock);
}

static void *waitv_on_both(void *arg) {
    struct waitv_sleeper *sleeper = arg;
    struct futex_waitv entries[2] = {
        { 1, (uint64_t)(uintptr_t)&waitv_a, FUTEX_32 | FUTEX_PRIVATE_FLAG, 0 },
        { 2, (uint64_t)(uintptr_t)&waitv_b, FUTEX_32, 0 },
    };
    sleeper->started = 1;
    sleeper->result = waitv(entries, 2, 0, NULL, 0);
    sleeper->error = errno;
    return NULL;
}

static void test_waitv(void) {
    check_begin("waitv");
    waitv_a = 1;
    waitv_b = 2;
    struct waitv_sleeper sleeper = { -2, 0, 0 };
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, waitv_on_both, &sleeper), 0);
    while (!sleeper.started)
        usleep(1000);
    /* A wake on the second word: index 1 (retried until it is asleep). */
    for (int i = 0; i < 5000 && futex(&waitv_b, FUTEX_WAKE, 1, 0, NULL, 0) == 0; i++)
        usleep(1000);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(sleeper.result, 1);

    struct futex_waitv entries[2] = {
        { 1, (uint64_t)(uintptr_t)&waitv_a, FUTEX_32, 0 },
        { 3, (uint64_t)(uintptr_t)&waitv_b, FUTEX_32, 0 },
    };
    CHECK_ERR(waitv(entries, 2, 0, NULL, 0), EAGAIN);  /* b holds 2, not 3 */
    entries[1].val = 2;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_nsec += 20000000;
    if (now.tv_nsec >= 1000000000) {
        now.tv_sec++;
        now.tv_nsec -= 1000000000;
    }
    CHECK_ERR(waitv(entries, 2, 0, &now, CLOCK_MONOTONIC), ETIMEDOUT);
    clock_gettime(CLOCK_REALTIME, &now);
    CHECK_ERR(waitv(entries, 2, 0, &now, CLOCK_REALTIME), ETIMEDOUT);  /* already passed */
    CHECK_ERR(waitv(entries, 2, 0, &now, CLOCK_BOOTTIME), EINVAL);
    CHECK_ERR(waitv(entries, 2, 1, NULL, 0), EINVAL);
    CHECK_ERR(waitv(entries, 0, 0, NULL, 0), EINVAL);
    CHECK_ERR(waitv(entries, 129, 0, NULL, 0), EINVAL);
    CHECK_ERR(waitv(NULL, 1, 0, NULL, 0), EINVAL);
    CHECK_ERR(waitv((struct futex_waitv *)8, 1, 0, NULL, 0), EFAULT);
    entries[0].flags = FUTEX_PRIVATE_FLAG;  /* no size */
    CHECK_ERR(waitv(entries, 2, 0, NULL, 0), EINVAL);
    entries[0].flags = FUTEX_32;
    entries[0].__reserved = 1;
    CHECK_ERR(waitv(entries, 2, 0, NULL, 0), EINVAL);
    entries[0].__reserved = 0;
    entries[0].uaddr += 1;
    CHECK_ERR(waitv(entries, 2, 0, NULL, 0), EINVAL);
    entries[0].uaddr -= 1;
    entries[0].val = UINT64_C(1) << 32;  /* compared whole: never equal */
    CHECK_ERR(waitv(entries, 2, 0, NULL, 0), EAGAIN);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "bitset", test_bitset }, { "requeue", test_requeue }, { "wake_op", test_wake_op }, { "quirks", test_quirks },
        { "waitv", test_waitv },
    };
    return check_run_tests("futexops", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
