/* prctl's PR_SET/GET_PDEATHSIG and PR_SET/GET_CHILD_SUBREAPER: a signal at
 * the parent's death, and orphans adopted by the nearest subreaper.
 * Validated on Linux (../shared/tools/linux-ref). Waits are bounded by
 * alarm(), so a lost signal fails instead of hanging. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/prctl.h>

#include "check.h"

static int get_int_option(int option) {
    int value = -1;
    if (prctl(option, &value, 0, 0, 0) != 0)
        return -2;
    return value;
}

/* Polls until our parent is no longer `old_parent` (bounded). */
static pid_t wait_for_new_parent(pid_t old_parent) {
    for (int i = 0; i < 5000; i++) {
        pid_t parent = getppid();
        if (parent != old_parent)
            return parent;
        usleep(1000);
    }
    return old_parent;
}

static volatile sig_atomic_t death_signal_from;
static void on_death_signal(int signal, siginfo_t *info, void *context) {
    (void)signal;
    (void)context;
    death_signal_from = info->si_pid;
}

static void test_pdeathsig(void) {
    check_begin("pdeathsig");
    CHECK_EQ(get_int_option(PR_GET_PDEATHSIG), 0);
    CHECK_EQ(prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0), 0);
    CHECK_EQ(get_int_option(PR_GET_PDEATHSIG), SIGUSR2);
    CHECK_ERR(prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0), EINVAL);
    CHECK_ERR(prctl(PR_SET_PDEATHSIG, -1, 0, 0, 0), EINVAL);
    CHECK_ERR(prctl(PR_GET_PDEATHSIG, (int *)8, 0, 0, 0), EFAULT);
    int at_fork = check_failures;
    pid_t child = fork();
    if (child == 0) {
        CHECK_EQ(get_int_option(PR_GET_PDEATHSIG), 0);  /* not inherited */
        check_child_done(at_fork);
    }
    check_child_status(child, 0, 0);
    CHECK_EQ(prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0), 0);
    CHECK_EQ(get_int_option(PR_GET_PDEATHSIG), 0);

    /* A middle process forks a grandchild that asks for SIGUSR1 at its
     * parent's death; the middle one exits; the grandchild must get it,
     * from the middle one, and reports by its exit status. */
    int report[2];
    CHECK_EQ(pipe(report), 0);
    pid_t middle = fork();
    if (middle == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) {
            alarm(10);
            struct sigaction action;
            memset(&action, 0, sizeof action);
            action.sa_sigaction = on_death_signal;
            action.sa_flags = SA_SIGINFO;
            sigaction(SIGUSR1, &action, NULL);
            pid_t parent = getppid();
            int ok = prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) == 0;
            (void)!write(report[1], "r", 1);  /* ready: the middle one may go */
            while (!death_signal_from)
                pause();
            char verdict = ok && death_signal_from == parent ? 'y' : 'n';
            (void)!write(report[1], &verdict, 1);
            _exit(0);
        }
        char ready;
        (void)!read(report[0], &ready, 1);
        _exit(0);
    }
    check_child_status(middle, 0, 0);
    char verdict = 0;  /* the middle one took the "ready" byte */
    CHECK_EQ(read(report[0], &verdict, 1), 1);
    CHECK_EQ(verdict, 'y');
    close(report[0]);
    close(report[1]);
    check_end();
}

static void test_subreaper(void) {
    check_begin("subreaper");
    CHECK_EQ(get_int_option(PR_GET_CHILD_SUBREAPER), 0);
    CHECK_ERR(prctl(PR_GET_CHILD_SUBREAPER, (int *)8, 0, 0, 0), EFAULT);
    /* A reaper process below us (we may be PID 1, who adopts anyway). */
    int at_fork = check_failures;
    pid_t reaper = fork();
    if (reaper == 0) {
        alarm(20);
        CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
        CHECK_EQ(get_int_option(PR_GET_CHILD_SUBREAPER), 1);
        pid_t self = getpid();
        int report[2];
        CHECK_EQ(pipe(report), 0);
        pid_t middle = fork();
        if (middle == 0) {
            CHECK_EQ(get_int_option(PR_GET_CHILD_SUBREAPER), 0);  /* not inherited */
            pid_t first = getpid();  /* the grandchild's parent until it exits */
            pid_t grandchild = fork();
            if (grandchild == 0) {
                pid_t adopter = wait_for_new_parent(first);
                char verdict = adopter == self ? 'y' : 'n';
                (void)!write(report[1], &verdict, 1);
                _exit(7);
            }
            _exit(0);
        }
        check_child_status(middle, 0, 0);
        char verdict = 0;
        CHECK_EQ(read(report[0], &verdict, 1), 1);
        CHECK_EQ(verdict, 'y');
        /* The orphan is ours to reap now. */
        int status = 0;
        pid_t reaped = wait(&status);
        CHECK(reaped > 0 && reaped != middle);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
        CHECK_ERR(wait(&status), ECHILD);

        /* Cleared again: orphans go past us. */
        CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
        CHECK_EQ(get_int_option(PR_GET_CHILD_SUBREAPER), 0);
        middle = fork();
        if (middle == 0) {
            pid_t first = getpid();  /* the grandchild's parent until it exits */
            pid_t grandchild = fork();
            if (grandchild == 0) {
                pid_t adopter = wait_for_new_parent(first);
                char verdict = adopter != self && adopter != first ? 'y' : 'n';
                (void)!write(report[1], &verdict, 1);
                _exit(0);
            }
            _exit(0);
        }
        check_child_status(middle, 0, 0);
        CHECK_EQ(read(report[0], &verdict, 1), 1);
        CHECK_EQ(verdict, 'y');
        CHECK_ERR(wait(&status), ECHILD);
        check_child_done(at_fork);
    }
    check_child_status(reaper, 0, 0);
    /* Any non-zero value sets it. */
    CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 42, 0, 0, 0), 0);
    CHECK_EQ(get_int_option(PR_GET_CHILD_SUBREAPER), 1);
    CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(60);
    static const struct check_test tests[] = {
        { "pdeathsig", test_pdeathsig },
        { "subreaper", test_subreaper },
    };
    return check_run_tests("reaper", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
