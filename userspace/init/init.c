/* init: Akuma's PID 1.
 *
 * The kernel starts /sbin/init as the first process, with the console as
 * file descriptors 0, 1 and 2. init then:
 *   1. makes sure descriptors 0-2 are open (on /dev/console if not);
 *   2. sets the default environment, umask 022 and chdir("/");
 *   3. ignores the keyboard and job-control signals for itself: PID 1 must
 *      never be stopped or ended from the console (Linux already drops
 *      signals PID 1 has no handler for; Akuma may not);
 *   4. forks the shell: the child starts a new session, takes the console as
 *      its controlling terminal and makes itself the foreground process
 *      group, restores default signal handling and execs /bin/sh as a login
 *      shell (argv[0] "-sh", so busybox reads /etc/profile);
 *   5. reaps every child, including orphans re-parented to it. When the
 *      shell exits it prints one line, syncs and powers the machine off
 *      with reboot(2). If that fails, init exits with the shell's status.
 * SIGUSR1 and SIGUSR2 (busybox `halt` / `poweroff`, which signal PID 1)
 * power off too.
 *
 * usage: init [/PROGRAM [ARGS...]]
 *   An absolute path as the first argument runs that program (with ARGS)
 *   instead of the login shell. Other arguments are ignored: Linux hands
 *   init the boot words it does not know, e.g. "single".
 *
 * Not PID 1 (run by hand, or for testing on Linux): init becomes a child
 * subreaper instead, and at the end exits with the shell's status rather
 * than powering off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char k_console[] = "/dev/console";
static const char k_shell[] = "/bin/sh";

/* Signals init ignores for itself; the shell gets them back at default. */
static const int k_ignored_signals[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP, SIGTERM, SIGPIPE };
/* Signals that ask init to power off. */
static const int k_poweroff_signals[] = { SIGUSR1, SIGUSR2 };

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static int is_pid1;

/* Messages go straight to the console with write(2): they must appear in
 * order with the shell's output, and the power-off path runs inside a signal
 * handler, where stdio is not allowed. */
static void say(const char *text) {
    size_t left = strlen(text);
    while (left > 0) {
        ssize_t done = write(STDERR_FILENO, text, left);
        if (done < 0 && errno == EINTR) continue;
        if (done <= 0) return;
        text += done;
        left -= (size_t)done;
    }
}

/* "[init] <what>: <strerror(err)>" */
static void say_error(const char *what, int err) {
    char line[256];
    snprintf(line, sizeof line, "[init] %s: %s\n", what, strerror(err));
    say(line);
}

/* Descriptors 0-2 on the console, if the kernel left any of them closed. */
static void open_console_fds(void) {
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0) continue;
        int console = open(k_console, O_RDWR | O_NOCTTY);
        if (console < 0) return;  /* nowhere to say so */
        if (console != fd) {
            dup2(console, fd);
            close(console);
        }
    }
}

static void set_environment(void) {
    setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
    setenv("HOME", "/root", 1);
    setenv("SHELL", k_shell, 1);
    setenv("USER", "root", 1);
    setenv("LOGNAME", "root", 1);
    setenv("TERM", "vt100", 0); /* keep what the kernel passed, if anything */
    umask(022);
    if (chdir("/") != 0) say_error("chdir /", errno);
}

static void set_disposition(const int *signals, size_t count, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < count; i++) sigaction(signals[i], &action, NULL);
}

/* Syncs and powers off. Nothing else needs ending first: the root file
 * system lives in memory, and powering off stops every process with the
 * machine. Returns only if reboot(2) failed (with its errno), or at once
 * (0) when not PID 1. Async-signal-safe: the SIGUSR1/SIGUSR2 handler runs it. */
static int power_off(void) {
    if (!is_pid1) return 0;
    sync();
    reboot(RB_POWER_OFF);
    return errno;
}

/* Set by the handler when its power-off failed; main reports it (stdio and
 * strerror are not for signal handlers). */
static volatile sig_atomic_t g_poweroff_failed;

static void on_poweroff_signal(int signal) {
    int saved = errno;
    say(signal == SIGUSR1 ? "[init] halt requested; powering off\n" : "[init] poweroff requested; powering off\n");
    g_poweroff_failed = power_off();
    errno = saved;
}

static void power_off_or_report(void) {
    int err = power_off();
    if (err) say_error("reboot(RB_POWER_OFF)", err);
}

/* The forked child: becomes the console's session and foreground group,
 * gets default signal handling back, and execs the program. */
static void exec_session(char *const argv[]) {
    /* Ignored dispositions and the signal mask survive execve. */
    set_disposition(k_ignored_signals, COUNT(k_ignored_signals), SIG_DFL);
    set_disposition(k_poweroff_signals, COUNT(k_poweroff_signals), SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* After setsid() the child leads a new session and process group (so no
     * setpgid: a session leader may not change its group). TIOCSCTTY makes
     * the console its controlling terminal, with this group in the
     * foreground; tcsetpgrp states it explicitly. Without them the shell
     * still runs, without job control. */
    if (setsid() < 0)
        say_error("setsid", errno);
    else if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)
        say_error("TIOCSCTTY (no job control)", errno);
    else if (tcsetpgrp(STDIN_FILENO, getpid()) < 0)
        say_error("tcsetpgrp", errno);

    const char *path = argv[0][0] == '-' ? k_shell : argv[0];
    execve(path, argv, environ);
    int err = errno;
    char what[128];
    snprintf(what, sizeof what, "cannot run %s", path);
    say_error(what, err);
    _exit(err == ENOENT ? 127 : 126);
}

/* "[init] shell exited with status 0; powering off" */
static void report_end(const char *name, int status) {
    char line[256];
    const char *next = is_pid1 ? "powering off" : "exiting";
    if (WIFSIGNALED(status))
        snprintf(line, sizeof line, "[init] %s killed by signal %d (%s); %s\n", name, WTERMSIG(status),
                 strsignal(WTERMSIG(status)), next);
    else
        snprintf(line, sizeof line, "[init] %s exited with status %d; %s\n", name, WEXITSTATUS(status), next);
    say(line);
}

/* The shell's status as an exit code (128+N for a signal, like sh's $?). */
static int exit_code(int status) {
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int main(int argc, char *argv[]) {
    is_pid1 = getpid() == 1;
    open_console_fds();
    set_environment();
    set_disposition(k_ignored_signals, COUNT(k_ignored_signals), SIG_IGN);
    /* SIGCHLD stays at its default (ignore, but keep zombies for wait). */
    if (is_pid1)
        set_disposition(k_poweroff_signals, COUNT(k_poweroff_signals), on_poweroff_signal);
    else if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        say_error("PR_SET_CHILD_SUBREAPER", errno);

    static char *login_shell[] = { "-sh", NULL };
    char *const *program = login_shell;
    const char *name = "shell";
    if (argc > 1 && argv[1][0] == '/') {
        program = &argv[1];
        name = argv[1];
    }

    pid_t session = fork();
    if (session < 0) {
        say_error("fork", errno);
        power_off_or_report();
        return 1;
    }
    if (session == 0) exec_session(program);

    /* Reap until the session's program ends; any other pid is an orphan
     * (or a child of ours that the session left behind). */
    int status = 0;
    for (;;) {
        pid_t pid = wait(&status);
        if (pid == session) break;
        if (pid < 0 && errno != EINTR) {
            /* ECHILD cannot happen while the session runs: give up on it. */
            say_error("wait", errno);
            status = 255 << 8;
            break;
        }
        if (g_poweroff_failed) {
            say_error("reboot(RB_POWER_OFF)", g_poweroff_failed);
            g_poweroff_failed = 0;
        }
    }
    report_end(name, status);
    power_off_or_report();
    return exit_code(status);
}
