/* initsig: init is protected from signals it has no handler for.
 *
 * Linux's rule (SIGNAL_UNKILLABLE): a signal sent to init whose action is
 * the default is dropped, whoever sends it: kill(1, SIGKILL) returns 0 and
 * does nothing. Signals init has a handler for are delivered as usual.
 *
 * Run as init (Akuma: `init=/bin/tests/initsig`, the system test). Run
 * otherwise (Linux through linux-ref, where a shell is init), it makes
 * itself init of a new PID namespace with unshare(CLONE_NEWPID) and runs
 * the same checks there, so the rule is validated on Linux.
 */
#define _GNU_SOURCE
#include "check.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t usr1_seen;
static void on_usr1(int signal) { (void)signal; usr1_seen = 1; }

/* The checks, as PID 1. */
static int as_init(void) {
    check_begin("signals to init without a handler are dropped");
    struct sigaction action = { 0 };
    action.sa_handler = on_usr1;
    action.sa_flags = SA_RESTART;
    CHECK_EQ(sigaction(SIGUSR1, &action, NULL), 0);
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        CHECK_EQ(kill(1, 0), 0);
        CHECK_EQ(kill(1, SIGKILL), 0);
        CHECK_EQ(kill(1, SIGTERM), 0);
        CHECK_EQ(kill(1, SIGSTOP), 0);
        CHECK_EQ(kill(1, SIGINT), 0);
        CHECK_EQ(kill(1, SIGUSR1), 0); /* init has a handler for this one */
        check_child_done(failures);
    }
    CHECK(child > 0);
    check_child_status(child, 0, 0);
    /* Still here, after SIGKILL, SIGTERM and SIGSTOP; the handled signal
     * arrived (it is pending at the latest by the time the child is gone). */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    CHECK_EQ(usr1_seen, 1);
    /* init's own raise() of a default-action signal is dropped too. */
    CHECK_EQ(raise(SIGTERM), 0);
    check_end();
    return check_failures ? 1 : 0;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getpid() == 1)
        return as_init();
    if (unshare(CLONE_NEWPID) != 0) {
        printf("initsig: not init, and unshare(CLONE_NEWPID) failed: %s\n", strerror(errno));
        return 2;
    }
    pid_t init = fork();
    if (init == 0)
        _exit(as_init());
    int status = 0;
    waitpid(init, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
