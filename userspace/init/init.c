/* init: Akuma's PID 1.
 *
 * The kernel starts /sbin/init as the first process, with the console as
 * file descriptors 0, 1 and 2. init then:
 *   1. makes sure descriptors 0-2 are open (on /dev/console if not);
 *   2. sets the default environment, umask 022 and chdir("/");
 *   3. ignores the keyboard and job-control signals for itself: PID 1 must
 *      never be stopped or ended from the console (Linux already drops
 *      signals PID 1 has no handler for; Akuma may not);
 *   4. prepares the system: mounts what the kernel has not mounted of
 *      /proc, /sys, /dev, /tmp and /run, sets the host name from
 *      /etc/hostname, and runs the start-up scripts in /etc/akuma/rc.d/
 *      (executable files, in name order, each waited for);
 *   5. logs root in on the console, as a getty with automatic login would:
 *      forks the session, which starts a new session, takes the console as
 *      its controlling terminal and makes itself the foreground process
 *      group, restores default signal handling, changes to root's home and
 *      execs root's shell from /etc/passwd (/bin/sh if none) as a login
 *      shell (argv[0] "-bash", "-sh", ...: it reads /etc/profile);
 *   6. reaps every child, including orphans re-parented to it. When the
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
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char k_console[] = "/dev/console";

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

/* Root's home and login shell, from /etc/passwd (read by hand: a static
 * program has no NSS). */
static char g_home[256] = "/root";
static char g_shell[256] = "/bin/sh";

static void read_root_account(void) {
    FILE *passwd = fopen("/etc/passwd", "re");
    if (!passwd) return;
    char line[512];
    while (fgets(line, sizeof line, passwd)) {
        if (strncmp(line, "root:", 5) != 0) continue;
        line[strcspn(line, "\n")] = 0;
        /* root:x:0:0:gecos:home:shell */
        char *field[7] = { 0 };
        char *cursor = line;
        for (int i = 0; i < 7 && cursor; i++) {
            field[i] = cursor;
            cursor = strchr(cursor, ':');
            if (cursor) *cursor++ = 0;
        }
        if (field[5] && field[5][0] == '/') snprintf(g_home, sizeof g_home, "%s", field[5]);
        if (field[6] && field[6][0] == '/' && access(field[6], X_OK) == 0)
            snprintf(g_shell, sizeof g_shell, "%s", field[6]);
        break;
    }
    fclose(passwd);
}

static void set_environment(void) {
    setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    setenv("HOME", g_home, 1);
    setenv("SHELL", g_shell, 1);
    setenv("USER", "root", 1);
    setenv("LOGNAME", "root", 1);
    setenv("TERM", "vt100", 0); /* keep what the kernel passed, if anything */
    umask(022);
    if (chdir("/") != 0) say_error("chdir /", errno);
}

/* Is DIR a mount point? (/proc/self/mounts lists it.) */
static int is_mounted(const char *dir) {
    FILE *mounts = fopen("/proc/self/mounts", "re");
    if (!mounts) return 0;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, mounts)) {
        char *point = strchr(line, ' ');
        if (!point) continue;
        point++;
        size_t length = strcspn(point, " ");
        found = length == strlen(dir) && strncmp(point, dir, length) == 0;
    }
    fclose(mounts);
    return found;
}

/* The kernel mounts these at boot; a root file system may come without
 * them, and init does not count on it. */
static void mount_system_directories(void) {
    static const struct {
        const char *type, *dir, *options;
        mode_t mode;
    } k_mounts[] = {
        { "proc", "/proc", NULL, 0555 },       { "sysfs", "/sys", NULL, 0555 },
        { "devtmpfs", "/dev", NULL, 0755 },    { "tmpfs", "/tmp", "mode=1777", 01777 },
        { "tmpfs", "/run", "mode=0755", 0755 },
    };
    for (size_t i = 0; i < COUNT(k_mounts); i++) {
        if (is_mounted(k_mounts[i].dir)) continue;
        mkdir(k_mounts[i].dir, k_mounts[i].mode);
        if (mount(k_mounts[i].type, k_mounts[i].dir, k_mounts[i].type, 0, k_mounts[i].options) != 0) {
            char what[64];
            snprintf(what, sizeof what, "mount %s on %s", k_mounts[i].type, k_mounts[i].dir);
            say_error(what, errno);
        }
    }
}

static void set_host_name(void) {
    FILE *file = fopen("/etc/hostname", "re");
    if (!file) return;
    char name[256] = "";
    if (fgets(name, sizeof name, file)) {
        name[strcspn(name, " \t\n")] = 0;
        if (name[0] && sethostname(name, strlen(name)) != 0) say_error("sethostname", errno);
    }
    fclose(file);
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

/* /etc/akuma/rc.d/: each executable regular file, in name order, on the
 * console, waited for; a failure is reported and the boot goes on. */
static void run_start_scripts(void) {
    static const char k_dir[] = "/etc/akuma/rc.d";
    struct dirent **names;
    int count = scandir(k_dir, &names, NULL, by_name);
    if (count < 0) return;
    for (int i = 0; i < count; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", k_dir, names[i]->d_name);
        free(names[i]);
        struct stat info;
        if (stat(path, &info) != 0 || !S_ISREG(info.st_mode) || access(path, X_OK) != 0) continue;
        pid_t child = fork();
        if (child < 0) {
            say_error("fork", errno);
            continue;
        }
        if (child == 0) {
            char *argv[] = { path, "start", NULL };
            execv(path, argv);
            _exit(127);
        }
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            char line[640];
            snprintf(line, sizeof line, "[init] %s: %s %d\n", path,
                     WIFSIGNALED(status) ? "killed by signal" : "exited with status",
                     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            say(line);
        }
    }
    free(names);
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

    const char *path = argv[0][0] == '-' ? g_shell : argv[0];
    if (argv[0][0] == '-' && chdir(g_home) != 0) say_error(g_home, errno);
    execve(path, argv, environ);
    int err = errno;
    char what[sizeof g_shell + 16];
    snprintf(what, sizeof what, "cannot run %.255s", path);
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
    read_root_account();
    set_environment();
    set_disposition(k_ignored_signals, COUNT(k_ignored_signals), SIG_IGN);
    /* SIGCHLD stays at its default (ignore, but keep zombies for wait). */
    if (is_pid1)
        set_disposition(k_poweroff_signals, COUNT(k_poweroff_signals), on_poweroff_signal);
    else if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        say_error("PR_SET_CHILD_SUBREAPER", errno);

    if (is_pid1) {
        mount_system_directories();
        set_host_name();
        run_start_scripts();
    }

    /* argv[0] of a login shell: "-" and the shell's name. */
    static char login_name[sizeof g_shell + 1];
    const char *base = strrchr(g_shell, '/');
    snprintf(login_name, sizeof login_name, "-%s", base ? base + 1 : g_shell);
    char *login_shell[] = { login_name, NULL };
    char *const *program = login_shell;
    const char *name = "shell";
    if (argc > 1 && argv[1][0] == '/') {
        program = &argv[1];
        name = argv[1];
    } else {
        char host[65] = "";
        gethostname(host, sizeof host);
        char line[sizeof host + sizeof g_shell + 64];
        snprintf(line, sizeof line, "\n%s console: root logged in (%s)\n", host, g_shell);
        say(line);
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
