/* sysvipc: System V message queues, semaphores and shared memory, as
 * Linux 6.1 answers them (raw results and errno values).
 *   msg        msgget keys and flags, typed messages (msgtyp 0, > 0, < 0,
 *              MSG_EXCEPT, MSG_NOERROR, MSG_COPY), the errors, IPC_STAT
 *              fields, IPC_SET, IPC_RMID, IPC_INFO/MSG_INFO/MSG_STAT
 *   msg_block  a sender waits on a full queue until a receive makes room;
 *              IPC_NOWAIT is EAGAIN
 *   msg_wake   a blocked receiver gets EIDRM when the queue is removed and
 *              EINTR from a signal with a handler
 *   sem        semget, SETVAL/GETVAL/SETALL/GETALL/GETPID/IPC_STAT, ERANGE,
 *              EFBIG, E2BIG, all-or-nothing operation lists, IPC_NOWAIT,
 *              semtimedop's timeout
 *   sem_block  a semop waits for another process's semop (GETNCNT counts
 *              it), wait-for-zero (GETZCNT), EIDRM and EINTR while blocked
 *   sem_undo   SEM_UNDO adjustments applied at exit; SETVAL clears them
 *   shm        shmget, shmat/shmdt (NULL, given, SHM_RND, SHM_RDONLY,
 *              SHM_REMAP), data shared across fork and between two
 *              attaches, shm_nattch, IPC_RMID lifetime, /proc/self/maps
 *   procfs     /proc/sys/kernel limits and /proc/sysvipc
 * Blocked processes are found through /proc/PID/stat (state S after they
 * said they are about to block), every child has an alarm, and every wait
 * is bounded. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <time.h>

#include "check.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *info;
};

struct msg {
    long type;
    char text[64];
};

static volatile int *g_ready; /* a child sets it just before it blocks */

static void pause_ms(long ms) {
    struct timespec pause = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
}

static char process_state(pid_t pid) {
    char path[64], text[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return '?';
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return '?';
    text[n] = 0;
    char *end = strrchr(text, ')');
    return end && end[1] == ' ' ? end[2] : '?';
}

/* Returns once the child said it is about to block and sleeps. */
static void wait_blocked(pid_t pid) {
    for (int i = 0; i < 5000; ++i) {
        if (*g_ready && process_state(pid) == 'S')
            return;
        pause_ms(1);
    }
    printf("  child %d never blocked\n", (int)pid);
}

static void on_signal(int signal) { (void)signal; }

static void install_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal; /* no SA_RESTART */
    sigaction(SIGUSR1, &action, NULL);
}

static int send_text(int id, long type, const char *text, int flags) {
    struct msg m;
    m.type = type;
    strncpy(m.text, text, sizeof m.text);
    return msgsnd(id, &m, strlen(text) + 1, flags);
}

static void test_msg(void) {
    check_begin("msg");
    key_t key = 0x5a5a0001;
    int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(id >= 0);
    CHECK_EQ(msgget(key, 0), id);
    CHECK_EQ(msgget(key, IPC_CREAT | 0600), id);
    CHECK_ERR(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    CHECK_ERR(msgget(0x5a5a0002, 0600), ENOENT);
    int other = msgget(IPC_PRIVATE, 0600);
    CHECK(other >= 0 && other != id);

    struct msg m;
    CHECK_EQ(send_text(id, 3, "three", 0), 0);
    CHECK_EQ(send_text(id, 1, "one", 0), 0);
    CHECK_EQ(send_text(id, 2, "two", 0), 0);
    CHECK_EQ(send_text(id, 1, "uno", 0), 0);
    struct msqid_ds ds;
    CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.msg_qnum, 4);
    CHECK_EQ(ds.msg_cbytes, 6 + 4 + 4 + 4);
    CHECK_EQ(ds.msg_qbytes, 16384);
    CHECK_EQ(ds.msg_lspid, getpid());
    CHECK_EQ(ds.msg_lrpid, 0);
    CHECK_EQ(ds.msg_perm.__key, key);
    CHECK_EQ(ds.msg_perm.mode, 0600);
    CHECK_EQ(ds.msg_perm.uid, geteuid());
    CHECK(ds.msg_stime > 0 && ds.msg_ctime > 0 && ds.msg_rtime == 0);

    /* MSG_COPY peeks by position, IPC_NOWAIT required. */
    CHECK_EQ(msgrcv(id, &m, sizeof m.text, 1, MSG_COPY | IPC_NOWAIT), 4);
    CHECK(strcmp(m.text, "one") == 0 && m.type == 1);
    CHECK_ERR(msgrcv(id, &m, sizeof m.text, 4, MSG_COPY | IPC_NOWAIT), ENOMSG);
    CHECK_ERR(msgrcv(id, &m, sizeof m.text, 0, MSG_COPY), EINVAL);
    CHECK_ERR(msgrcv(id, &m, sizeof m.text, 0, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT), EINVAL);
    /* msgtyp < 0: the lowest type up to |msgtyp|, first of it. */
    CHECK_EQ(msgrcv(id, &m, sizeof m.text, -2, 0), 4);
    CHECK(m.type == 1 && strcmp(m.text, "one") == 0);
    /* msgtyp > 0 with MSG_EXCEPT: the first of another type. */
    CHECK_EQ(msgrcv(id, &m, sizeof m.text, 3, MSG_EXCEPT), 4);
    CHECK(m.type == 2 && strcmp(m.text, "two") == 0);
    /* msgtyp > 0: that type. */
    CHECK_EQ(msgrcv(id, &m, sizeof m.text, 1, IPC_NOWAIT), 4);
    CHECK(strcmp(m.text, "uno") == 0);
    CHECK_ERR(msgrcv(id, &m, sizeof m.text, 7, IPC_NOWAIT), ENOMSG);
    /* Too small a buffer: E2BIG and the message stays, or cut with
     * MSG_NOERROR. */
    CHECK_ERR(msgrcv(id, &m, 2, 0, IPC_NOWAIT), E2BIG);
    CHECK_EQ(msgrcv(id, &m, 2, 0, IPC_NOWAIT | MSG_NOERROR), 2);
    CHECK(m.type == 3 && m.text[0] == 't' && m.text[1] == 'h');
    CHECK_ERR(msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT), ENOMSG);
    CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.msg_qnum, 0);
    CHECK_EQ(ds.msg_cbytes, 0);
    CHECK_EQ(ds.msg_lrpid, getpid());
    CHECK(ds.msg_rtime > 0);

    /* Argument errors. */
    m.type = 0;
    CHECK_ERR(msgsnd(id, &m, 4, 0), EINVAL);
    m.type = 1;
    CHECK_ERR(msgsnd(id, &m, 8193, 0), EINVAL);
    CHECK_ERR(msgsnd(id, &m, (size_t)-1, 0), EINVAL);
    CHECK_ERR(msgsnd(id, (void *)8, 4, 0), EFAULT);
    CHECK_ERR(msgrcv(id, &m, (size_t)-1, 0, 0), EINVAL);
    CHECK_ERR(msgsnd(-1, &m, 4, 0), EINVAL);
    CHECK_ERR(msgsnd(id + 1000, &m, 4, 0), EINVAL);
    CHECK_ERR(msgctl(id, 99, &ds), EINVAL);
    /* glibc on arm64 passes commands without IPC_64; Linux refuses it. */
    CHECK_ERR(syscall(SYS_msgctl, id, IPC_STAT | 0x100, &ds), EINVAL);
    CHECK_ERR(msgctl(id, IPC_STAT, (void *)8), EFAULT);

    /* IPC_SET: mode and queue size. */
    CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
    ds.msg_perm.mode = 0640;
    ds.msg_qbytes = 100;
    CHECK_EQ(msgctl(id, IPC_SET, &ds), 0);
    CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.msg_perm.mode, 0640);
    CHECK_EQ(ds.msg_qbytes, 100);

    /* IPC_INFO, MSG_INFO and MSG_STAT. */
    struct msginfo info;
    CHECK(msgctl(0, IPC_INFO, (struct msqid_ds *)&info) >= 0);
    CHECK_EQ(info.msgmax, 8192);
    CHECK_EQ(info.msgmnb, 16384);
    CHECK_EQ(info.msgmni, 32000);
    CHECK(msgctl(0, MSG_INFO, (struct msqid_ds *)&info) >= 0);
    CHECK(info.msgpool >= 2);
    CHECK_EQ(msgctl(id % 32768, MSG_STAT, &ds), id);

    CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
    CHECK_ERR(msgctl(id, IPC_STAT, &ds), EINVAL);
    CHECK_ERR(msgsnd(id, &m, 4, 0), EINVAL);
    CHECK_ERR(msgget(key, 0), ENOENT);
    CHECK_EQ(msgctl(other, IPC_RMID, NULL), 0);
    /* A new queue does not reuse the removed ID at once. */
    int again = msgget(IPC_PRIVATE, 0600);
    CHECK(again >= 0 && again != id && again != other);
    CHECK_EQ(msgctl(again, IPC_RMID, NULL), 0);
    check_end();
}

static void test_msg_block(void) {
    check_begin("msg_block");
    int id = msgget(IPC_PRIVATE, 0600);
    struct msqid_ds ds;
    CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
    ds.msg_qbytes = 16;
    CHECK_EQ(msgctl(id, IPC_SET, &ds), 0);
    CHECK_EQ(send_text(id, 1, "0123456789", 0), 0); /* 11 of 16 bytes */
    CHECK_ERR(send_text(id, 2, "abcdefgh", IPC_NOWAIT), EAGAIN);
    *g_ready = 0;
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        alarm(10);
        *g_ready = 1;
        CHECK_EQ(send_text(id, 2, "abcdefgh", 0), 0); /* waits for room */
        check_child_done(failures);
    }
    wait_blocked(child);
    int status;
    CHECK_EQ(waitpid(child, &status, WNOHANG), 0); /* still waiting */
    struct msg m;
    CHECK_EQ(msgrcv(id, &m, sizeof m.text, 0, 0), 11);
    check_child_status(child, 0, 0);
    CHECK_EQ(msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT), 9);
    CHECK(m.type == 2 && strcmp(m.text, "abcdefgh") == 0);
    CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.msg_lspid, child);
    /* A receiver waits for a sender. */
    *g_ready = 0;
    failures = check_failures;
    child = fork();
    if (child == 0) {
        alarm(10);
        struct msg got;
        *g_ready = 1;
        CHECK_EQ(msgrcv(id, &got, sizeof got.text, 5, 0), 5);
        CHECK(strcmp(got.text, "five") == 0);
        check_child_done(failures);
    }
    wait_blocked(child);
    CHECK_EQ(send_text(id, 4, "four", 0), 0); /* not the wanted type */
    pause_ms(20);
    CHECK_EQ(waitpid(child, &status, WNOHANG), 0);
    CHECK_EQ(send_text(id, 5, "five", 0), 0);
    check_child_status(child, 0, 0);
    CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
    check_end();
}

static void test_msg_wake(void) {
    check_begin("msg_wake");
    int id = msgget(IPC_PRIVATE, 0600);
    *g_ready = 0;
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        alarm(10);
        struct msg m;
        *g_ready = 1;
        CHECK_ERR(msgrcv(id, &m, sizeof m.text, 0, 0), EIDRM);
        check_child_done(failures);
    }
    wait_blocked(child);
    CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
    check_child_status(child, 0, 0);

    id = msgget(IPC_PRIVATE, 0600);
    *g_ready = 0;
    failures = check_failures;
    child = fork();
    if (child == 0) {
        alarm(10);
        install_handler();
        struct msg m;
        *g_ready = 1;
        CHECK_ERR(msgrcv(id, &m, sizeof m.text, 0, 0), EINTR);
        check_child_done(failures);
    }
    wait_blocked(child);
    CHECK_EQ(kill(child, SIGUSR1), 0);
    check_child_status(child, 0, 0);
    CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
    check_end();
}

static void test_sem(void) {
    check_begin("sem");
    CHECK_ERR(semget(IPC_PRIVATE, 0, 0600), EINVAL);
    CHECK_ERR(semget(IPC_PRIVATE, 32001, 0600), EINVAL);
    CHECK_ERR(semget(IPC_PRIVATE, -1, 0600), EINVAL);
    key_t key = 0x5a5a0003;
    int id = semget(key, 3, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(id >= 0);
    CHECK_EQ(semget(key, 2, 0), id);
    CHECK_ERR(semget(key, 4, 0), EINVAL);
    CHECK_ERR(semget(key, 3, IPC_CREAT | IPC_EXCL), EEXIST);

    union semun arg;
    struct semid_ds ds;
    arg.buf = &ds;
    CHECK_EQ(semctl(id, 0, IPC_STAT, arg), 0);
    CHECK_EQ(ds.sem_nsems, 3);
    CHECK_EQ(ds.sem_perm.mode, 0600);
    CHECK_EQ(ds.sem_otime, 0);
    CHECK_EQ(semctl(id, 1, GETVAL), 0);
    arg.val = 5;
    CHECK_EQ(semctl(id, 1, SETVAL, arg), 0);
    CHECK_EQ(semctl(id, 1, GETVAL), 5);
    CHECK_EQ(semctl(id, 1, GETPID), getpid());
    arg.val = 32768;
    CHECK_ERR(semctl(id, 1, SETVAL, arg), ERANGE);
    arg.val = -1;
    CHECK_ERR(semctl(id, 1, SETVAL, arg), ERANGE);
    arg.val = 1;
    CHECK_ERR(semctl(id, 3, SETVAL, arg), EINVAL);
    CHECK_ERR(semctl(id, 3, GETVAL), EINVAL);
    CHECK_ERR(semctl(id, 0, 99), EINVAL);
    CHECK_ERR(syscall(SYS_semctl, id, 0, GETVAL | 0x100, 0), EINVAL);
    unsigned short values[3] = { 1, 2, 3 }, got[3] = { 9, 9, 9 };
    arg.array = values;
    CHECK_EQ(semctl(id, 0, SETALL, arg), 0);
    arg.array = got;
    CHECK_EQ(semctl(id, 0, GETALL, arg), 0);
    CHECK(got[0] == 1 && got[1] == 2 && got[2] == 3);
    unsigned short big[3] = { 1, 40000, 3 };
    arg.array = big;
    CHECK_ERR(semctl(id, 0, SETALL, arg), ERANGE);

    struct sembuf ops[3];
    CHECK_ERR(semop(id, ops, 0), EINVAL);
    CHECK_ERR(semop(id, ops, 501), E2BIG);
    ops[0] = (struct sembuf){ 3, 1, 0 };
    CHECK_ERR(semop(id, ops, 1), EFBIG);
    CHECK_ERR(semop(-1, ops, 1), EINVAL);
    CHECK_ERR(semop(id, (struct sembuf *)8, 1), EFAULT);
    /* All or nothing: the second operation cannot proceed, so the first
     * is not applied either. */
    ops[0] = (struct sembuf){ 0, 5, 0 };
    ops[1] = (struct sembuf){ 1, -3, IPC_NOWAIT };
    CHECK_ERR(semop(id, ops, 2), EAGAIN);
    CHECK_EQ(semctl(id, 0, GETVAL), 1);
    ops[1] = (struct sembuf){ 1, -2, 0 };
    ops[2] = (struct sembuf){ 2, 0, IPC_NOWAIT }; /* wait for zero: 3 */
    CHECK_ERR(semop(id, ops, 3), EAGAIN);
    CHECK_EQ(semctl(id, 0, GETVAL), 1);
    CHECK_EQ(semctl(id, 1, GETVAL), 2);
    CHECK_EQ(semop(id, ops, 2), 0);
    CHECK_EQ(semctl(id, 0, GETVAL), 6);
    CHECK_EQ(semctl(id, 1, GETVAL), 0);
    /* The same semaphore twice in one list. */
    ops[0] = (struct sembuf){ 0, -6, 0 };
    ops[1] = (struct sembuf){ 0, 2, 0 };
    CHECK_EQ(semop(id, ops, 2), 0);
    CHECK_EQ(semctl(id, 0, GETVAL), 2);
    /* Past SEMVMX. */
    arg.val = 32767;
    CHECK_EQ(semctl(id, 0, SETVAL, arg), 0);
    ops[0] = (struct sembuf){ 0, 1, 0 };
    CHECK_ERR(semop(id, ops, 1), ERANGE);
    /* semtimedop: EAGAIN when the time is up; EINVAL for a bad timeout. */
    ops[0] = (struct sembuf){ 1, -1, 0 };
    struct timespec timeout = { 0, 30 * 1000 * 1000 };
    CHECK_ERR(semtimedop(id, ops, 1, &timeout), EAGAIN);
    timeout.tv_nsec = 1000000000;
    CHECK_ERR(semtimedop(id, ops, 1, &timeout), EINVAL);
    timeout = (struct timespec){ 0, 0 };
    CHECK_ERR(semtimedop(id, ops, 1, &timeout), EAGAIN);
    arg.buf = &ds;
    CHECK_EQ(semctl(id, 0, IPC_STAT, arg), 0);
    CHECK(ds.sem_otime > 0);
    ds.sem_perm.mode = 0400;
    CHECK_EQ(semctl(id, 0, IPC_SET, arg), 0);
    CHECK_EQ(semctl(id, 0, IPC_STAT, arg), 0);
    CHECK_EQ(ds.sem_perm.mode, 0400);

    struct seminfo info;
    arg.info = &info;
    CHECK(semctl(0, 0, IPC_INFO, arg) >= 0);
    CHECK_EQ(info.semmsl, 32000);
    CHECK_EQ(info.semopm, 500);
    CHECK_EQ(info.semvmx, 32767);
    arg.buf = &ds;
    CHECK_EQ(semctl(id % 32768, 0, SEM_STAT, arg), id);

    CHECK_EQ(semctl(id, 0, IPC_RMID), 0);
    CHECK_ERR(semctl(id, 0, IPC_RMID), EINVAL);
    CHECK_ERR(semop(id, ops, 1), EINVAL);
    check_end();
}

static void test_sem_block(void) {
    check_begin("sem_block");
    int id = semget(IPC_PRIVATE, 2, 0600);
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        alarm(10);
        struct sembuf op = { 0, -2, 0 };
        CHECK_EQ(semop(id, &op, 1), 0); /* waits for two posts */
        check_child_done(failures);
    }
    for (int i = 0; i < 5000 && semctl(id, 0, GETNCNT) != 1; ++i)
        pause_ms(1);
    CHECK_EQ(semctl(id, 0, GETNCNT), 1);
    CHECK_EQ(semctl(id, 0, GETZCNT), 0);
    struct sembuf post = { 0, 1, 0 };
    CHECK_EQ(semop(id, &post, 1), 0); /* not enough yet */
    pause_ms(20);
    int status;
    CHECK_EQ(waitpid(child, &status, WNOHANG), 0);
    CHECK_EQ(semop(id, &post, 1), 0);
    check_child_status(child, 0, 0);
    CHECK_EQ(semctl(id, 0, GETVAL), 0);
    CHECK_EQ(semctl(id, 0, GETNCNT), 0);
    CHECK_EQ(semctl(id, 0, GETPID), child);

    /* Waiting for zero. */
    union semun arg;
    arg.val = 1;
    CHECK_EQ(semctl(id, 1, SETVAL, arg), 0);
    failures = check_failures;
    child = fork();
    if (child == 0) {
        alarm(10);
        struct sembuf op = { 1, 0, 0 };
        CHECK_EQ(semop(id, &op, 1), 0);
        check_child_done(failures);
    }
    for (int i = 0; i < 5000 && semctl(id, 1, GETZCNT) != 1; ++i)
        pause_ms(1);
    CHECK_EQ(semctl(id, 1, GETZCNT), 1);
    struct sembuf take = { 1, -1, 0 };
    CHECK_EQ(semop(id, &take, 1), 0);
    check_child_status(child, 0, 0);

    /* EIDRM for a waiter when the set goes, EINTR from a signal. */
    failures = check_failures;
    child = fork();
    if (child == 0) {
        alarm(10);
        struct sembuf op = { 0, -1, 0 };
        CHECK_ERR(semop(id, &op, 1), EIDRM);
        check_child_done(failures);
    }
    for (int i = 0; i < 5000 && semctl(id, 0, GETNCNT) != 1; ++i)
        pause_ms(1);
    CHECK_EQ(semctl(id, 0, IPC_RMID), 0);
    check_child_status(child, 0, 0);

    id = semget(IPC_PRIVATE, 1, 0600);
    failures = check_failures;
    child = fork();
    if (child == 0) {
        alarm(10);
        install_handler();
        struct sembuf op = { 0, -1, 0 };
        CHECK_ERR(semop(id, &op, 1), EINTR);
        check_child_done(failures);
    }
    for (int i = 0; i < 5000 && semctl(id, 0, GETNCNT) != 1; ++i)
        pause_ms(1);
    CHECK_EQ(kill(child, SIGUSR1), 0);
    check_child_status(child, 0, 0);
    CHECK_EQ(semctl(id, 0, GETNCNT), 0);
    CHECK_EQ(semctl(id, 0, IPC_RMID), 0);
    check_end();
}

static void test_sem_undo(void) {
    check_begin("sem_undo");
    int id = semget(IPC_PRIVATE, 2, 0600);
    union semun arg;
    arg.val = 5;
    CHECK_EQ(semctl(id, 1, SETVAL, arg), 0);
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        struct sembuf ops[2] = { { 0, 3, SEM_UNDO }, { 1, -2, SEM_UNDO } };
        CHECK_EQ(semop(id, ops, 2), 0);
        CHECK_EQ(semctl(id, 0, GETVAL), 3);
        CHECK_EQ(semctl(id, 1, GETVAL), 3);
        check_child_done(failures); /* the exit undoes both */
    }
    check_child_status(child, 0, 0);
    CHECK_EQ(semctl(id, 0, GETVAL), 0);
    CHECK_EQ(semctl(id, 1, GETVAL), 5);
    CHECK_EQ(semctl(id, 0, GETPID), child);

    /* SETVAL clears the adjustment of that semaphore only. */
    failures = check_failures;
    child = fork();
    if (child == 0) {
        struct sembuf ops[2] = { { 0, 2, SEM_UNDO }, { 1, 1, SEM_UNDO } };
        CHECK_EQ(semop(id, ops, 2), 0);
        union semun value;
        value.val = 10;
        CHECK_EQ(semctl(id, 0, SETVAL, value), 0);
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    CHECK_EQ(semctl(id, 0, GETVAL), 10);
    CHECK_EQ(semctl(id, 1, GETVAL), 5);

    /* The adjustment is clamped at 0 on exit; too large an adjustment is
     * ERANGE. */
    failures = check_failures;
    child = fork();
    if (child == 0) {
        struct sembuf op = { 0, 4, SEM_UNDO };
        CHECK_EQ(semop(id, &op, 1), 0);
        union semun value;
        value.val = 1;
        /* Another process lowers it past what the undo removes. */
        pid_t grandchild = fork();
        if (grandchild == 0) {
            struct sembuf take = { 0, -13, 0 };
            _exit(semop(id, &take, 1) == 0 ? 0 : 1);
        }
        int status;
        waitpid(grandchild, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK_EQ(semctl(id, 0, GETVAL), 1);
        struct sembuf huge = { 1, -32767, SEM_UNDO | IPC_NOWAIT };
        value.val = 32767;
        CHECK_EQ(semctl(id, 1, SETVAL, value), 0);
        CHECK_EQ(semop(id, &huge, 1), 0);
        huge.sem_op = -1;
        value.val = 10;
        CHECK_EQ(semctl(id, 1, SETVAL, value), 0); /* clears it */
        struct sembuf up = { 1, 2, SEM_UNDO };
        CHECK_EQ(semop(id, &up, 1), 0);
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    CHECK_EQ(semctl(id, 0, GETVAL), 0); /* 1 - 4, clamped */
    CHECK_EQ(semctl(id, 1, GETVAL), 10);
    CHECK_EQ(semctl(id, 0, IPC_RMID), 0);
    check_end();
}

static void test_shm(void) {
    check_begin("shm");
    CHECK_ERR(shmget(IPC_PRIVATE, 0, 0600), EINVAL);
    key_t key = 0x5a5a0004;
    int id = shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(id >= 0);
    CHECK_EQ(shmget(key, 5000, 0), id);
    CHECK_ERR(shmget(key, 20000, 0), EINVAL);
    CHECK_ERR(shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    CHECK_ERR(shmget(0x5a5a0005, 100, 0), ENOENT);
    CHECK_ERR(syscall(SYS_shmctl, id, IPC_STAT | 0x100, 0), EINVAL);

    struct shmid_ds ds;
    CHECK_EQ(shmctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.shm_segsz, 10000);
    CHECK_EQ(ds.shm_nattch, 0);
    CHECK_EQ(ds.shm_cpid, getpid());
    CHECK_EQ(ds.shm_lpid, 0);
    CHECK_EQ(ds.shm_atime, 0);
    CHECK_EQ(ds.shm_perm.mode, 0600);

    char *a = shmat(id, NULL, 0);
    CHECK(a != (void *)-1);
    CHECK(a[0] == 0 && a[9999] == 0); /* zero-filled */
    strcpy(a, "hello");
    a[9999] = 'z';
    char *b = shmat(id, NULL, 0); /* a second attach sees the same bytes */
    CHECK(b != (void *)-1 && b != a);
    CHECK(strcmp(b, "hello") == 0 && b[9999] == 'z');
    b[1] = 'a';
    CHECK(a[1] == 'a');
    CHECK_EQ(shmctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.shm_nattch, 2);
    CHECK_EQ(ds.shm_lpid, getpid());
    CHECK(ds.shm_atime > 0);

    /* /proc/self/maps names it as Linux does. */
    char maps[8192], name[64];
    int fd = open("/proc/self/maps", O_RDONLY);
    ssize_t n = read(fd, maps, sizeof maps - 1);
    close(fd);
    maps[n > 0 ? n : 0] = 0;
    snprintf(name, sizeof name, "/SYSV%08x (deleted)", (unsigned)key);
    CHECK(strstr(maps, name) != NULL);

    /* fork: the child's attachments count, and it sees and writes the
     * same memory. */
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        struct shmid_ds mine;
        CHECK_EQ(shmctl(id, IPC_STAT, &mine), 0);
        CHECK_EQ(mine.shm_nattch, 4);
        CHECK(strcmp(a, "hallo") == 0);
        strcpy(a + 100, "from the child");
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    CHECK(strcmp(b + 100, "from the child") == 0);
    CHECK_EQ(shmctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.shm_nattch, 2); /* the child's exit detached its two */

    /* shmdt: only the address an attach returned. */
    CHECK_ERR(shmdt(b + 4096), EINVAL);
    CHECK_ERR(shmdt(b + 1), EINVAL);
    CHECK_EQ(shmdt(b), 0);
    CHECK_ERR(shmdt(b), EINVAL);
    CHECK_EQ(shmctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.shm_nattch, 1);
    CHECK(ds.shm_dtime > 0);

    /* A given address: taken as is, SHM_RND rounds down, a busy range
     * needs SHM_REMAP. */
    char *fixed = (char *)0x30000000;
    CHECK(shmat(id, fixed, 0) == fixed);
    CHECK(strcmp(fixed, "hallo") == 0);
    CHECK(shmat(id, fixed + 1, 0) == (void *)-1 && errno == EINVAL);
    CHECK(shmat(id, fixed, 0) == (void *)-1 && errno == EINVAL);
    CHECK(shmat(id, fixed + 1, SHM_RND | SHM_REMAP) == fixed);
    CHECK(shmat(id, NULL, SHM_REMAP) == (void *)-1 && errno == EINVAL);
    CHECK_EQ(shmdt(fixed), 0);

    /* SHM_RDONLY: readable; a write kills, mprotect cannot make it
     * writable. */
    char *ro = shmat(id, NULL, SHM_RDONLY);
    CHECK(ro != (void *)-1 && strcmp(ro, "hallo") == 0);
    CHECK_ERR(mprotect(ro, 4096, PROT_READ | PROT_WRITE), EACCES);
    child = fork();
    if (child == 0) {
        ro[0] = 'x';
        _exit(0);
    }
    check_child_status(child, 0, SIGSEGV);
    CHECK_EQ(shmdt(ro), 0);

    /* IPC_RMID: the key is free at once, the segment lives while attached
     * (and can still be attached by ID), then goes. */
    CHECK_EQ(shmctl(id, IPC_RMID, NULL), 0);
    CHECK_EQ(shmctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.shm_perm.__key, 0);
    CHECK_EQ(ds.shm_perm.mode, 01600); /* SHM_DEST */
    CHECK_ERR(shmget(key, 100, 0), ENOENT);
    CHECK(strcmp(a, "hallo") == 0);
    char *late = shmat(id, NULL, 0);
    CHECK(late != (void *)-1 && strcmp(late, "hallo") == 0);
    CHECK_EQ(shmdt(late), 0);
    CHECK_EQ(shmdt(a), 0);
    CHECK_ERR(shmctl(id, IPC_STAT, &ds), EINVAL);
    CHECK(shmat(id, NULL, 0) == (void *)-1 && errno == EINVAL);

    /* Removed while unattached: gone at once. */
    id = shmget(IPC_PRIVATE, 4096, 0600);
    CHECK_EQ(shmctl(id, IPC_RMID, NULL), 0);
    CHECK_ERR(shmctl(id, IPC_STAT, &ds), EINVAL);

    /* Unrelated processes attach by key. */
    id = shmget(key, 4096, IPC_CREAT | 0600);
    failures = check_failures;
    child = fork();
    if (child == 0) {
        int same = shmget(key, 0, 0);
        CHECK_EQ(same, id);
        char *mine = shmat(same, NULL, 0);
        CHECK(mine != (void *)-1);
        strcpy(mine, "written by key");
        CHECK_EQ(shmdt(mine), 0);
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    char *c = shmat(id, NULL, 0);
    CHECK(c != (void *)-1 && strcmp(c, "written by key") == 0);
    CHECK_EQ(shmctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.shm_lpid, getpid());
    CHECK_EQ(ds.shm_nattch, 1);
    /* SHM_LOCK/SHM_UNLOCK for root; IPC_INFO and SHM_STAT. */
    CHECK_EQ(shmctl(id, SHM_LOCK, NULL), 0);
    CHECK_EQ(shmctl(id, IPC_STAT, &ds), 0);
    CHECK_EQ(ds.shm_perm.mode, 02600);
    CHECK_EQ(shmctl(id, SHM_UNLOCK, NULL), 0);
    struct shminfo info;
    CHECK(shmctl(0, IPC_INFO, (struct shmid_ds *)&info) >= 0);
    CHECK_EQ(info.shmmni, 4096);
    CHECK_EQ(info.shmmin, 1);
    CHECK_EQ(info.shmmax, 18446744073692774399UL);
    CHECK_EQ(shmctl(id % 32768, SHM_STAT, &ds), id);
    CHECK_EQ(shmctl(id, IPC_RMID, NULL), 0);
    CHECK_EQ(shmdt(c), 0);
    check_end();
}

static void expect_file(const char *path, const char *want) {
    char text[256];
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    text[n > 0 ? n : 0] = 0;
    if (strcmp(text, want) != 0) {
        printf("  %s: \"%s\", want \"%s\"\n", path, text, want);
        check_failures++;
        check_group_fails++;
    }
}

static void test_procfs(void) {
    check_begin("procfs");
    expect_file("/proc/sys/kernel/shmmax", "18446744073692774399\n");
    expect_file("/proc/sys/kernel/shmall", "18446744073692774399\n");
    expect_file("/proc/sys/kernel/shmmni", "4096\n");
    expect_file("/proc/sys/kernel/msgmax", "8192\n");
    expect_file("/proc/sys/kernel/msgmnb", "16384\n");
    expect_file("/proc/sys/kernel/msgmni", "32000\n");
    expect_file("/proc/sys/kernel/sem", "32000\t1024000000\t500\t32000\n");
    int id = msgget(IPC_PRIVATE, 0640);
    char text[4096], row[128];
    int fd = open("/proc/sysvipc/msg", O_RDONLY);
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    text[n > 0 ? n : 0] = 0;
    CHECK(strncmp(text, "       key      msqid perms      cbytes       qnum lspid lrpid", 62) == 0);
    snprintf(row, sizeof row, "         0 %10d   640           0          0     0     0", id);
    CHECK(strstr(text, row) != NULL);
    msgctl(id, IPC_RMID, NULL);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_ready = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    static const struct check_test tests[] = {
        { "msg", test_msg },     { "msg_block", test_msg_block }, { "msg_wake", test_msg_wake },
        { "sem", test_sem },     { "sem_block", test_sem_block }, { "sem_undo", test_sem_undo },
        { "shm", test_shm },     { "procfs", test_procfs },
    };
    return check_run_tests("sysvipc", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
