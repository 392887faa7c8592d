/* exec: execve/execveat, as Linux does it.
 *
 * usage: exec [hello|args|fds|signals|fresh|errors|e2big|script|interp|
 *              execveat|threaded|spawn|txtbsy|script-rewrite]   (default: all)
 * The program also serves as its own exec target: it re-executes argv[0]
 * (an absolute path: /bin/tests/exec on Akuma, /prog on linux-ref) with
 * EXEC_MODE in the environment saying what the new image must check.
 *
 * Linux facts checked here:
 *   - argv and envp reach the new image exactly (empty strings, long
 *     strings, argv[argc] == NULL); the pid and parent stay the same.
 *   - file descriptors survive exec (with their offsets) except
 *     close-on-exec ones (O_CLOEXEC, FD_CLOEXEC, dup3/pipe2 O_CLOEXEC).
 *   - handled signals are reset to SIG_DFL, ignored ones stay ignored, the
 *     mask and pending signals are kept, the alternate stack is dropped.
 *   - the old address space is gone.
 *   - failures return -1 to the caller with its image intact: ENOENT
 *     (missing file or directory), ENOTDIR, EACCES (no x bit, a
 *     directory), ENOEXEC (garbage with the x bit, an empty file, an ELF
 *     cut after 100 bytes, an ELF for another machine), E2BIG (one string over MAX_ARG_STRLEN = 128 KiB, or all of
 *     them over a quarter of the 8 MiB stack limit).
 *   - "#!interpreter [one-arg]" scripts: the interpreter gets argv
 *     [interpreter as written, the rest of the line as ONE argument if
 *     any, the script path as passed to execve, argv[1]...]; the
 *     script's own argv[0] is dropped. A missing interpreter is ENOENT.
 *   - execveat: AT_EMPTY_PATH runs an open fd; a dirfd + relative path.
 *   - ETXTBSY: a running program's file cannot be opened for writing or
 *     truncated; a file open for writing (program or script) cannot be
 *     executed; a script rewritten during execve runs whole or not at all.
 */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <spawn.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PAGE 4096L
/* Where the pre-exec image maps a page the new image must not see. */
#define OLD_MAPPING ((void *)0x5a5a000000UL)

static const char *self;

/* ---------------------------------------------------------------- the new image's side */

/* EXEC_EXPECT is the expected argv joined by '|' (empty fields allowed). */
static int argv_matches(int argc, char **argv, const char *expect) {
    int i = 0;
    const char *field = expect;
    for (;;) {
        const char *bar = strchr(field, '|');
        size_t len = bar ? (size_t)(bar - field) : strlen(field);
        if (i >= argc) {
            printf("  image: argc %d, want more (next \"%.*s\")\n", argc, (int)len, field);
            return 0;
        }
        if (strlen(argv[i]) != len || memcmp(argv[i], field, len) != 0) {
            printf("  image: argv[%d] = \"%.60s\", want \"%.*s\"\n", i, argv[i], (int)(len > 60 ? 60 : len), field);
            return 0;
        }
        i++;
        if (!bar) break;
        field = bar + 1;
    }
    if (i != argc) {
        printf("  image: argc %d, want %d\n", argc, i);
        return 0;
    }
    if (argv[argc] != NULL) {
        printf("  image: argv[argc] is not NULL\n");
        return 0;
    }
    return 1;
}

static sigjmp_buf probe_jump;
static void on_probe_segv(int sig) {
    (void)sig;
    siglongjmp(probe_jump, 1);
}

/* Runs as the exec'd image; returns its exit status. */
static int image_main(int argc, char **argv, const char *mode) {
    int base = check_failures;
    const char *expect = getenv("EXEC_EXPECT");
    if (expect) CHECK(argv_matches(argc, argv, expect));
    const char *want_pid = getenv("EXEC_PID");
    if (want_pid) CHECK_EQ(getpid(), atol(want_pid));
    const char *want_ppid = getenv("EXEC_PPID");
    if (want_ppid) CHECK_EQ(getppid(), atol(want_ppid));

    if (strcmp(mode, "args") == 0) {
        /* The environment, exactly and in order. */
        const char *want[] = {"EXEC_MODE=args", "EMPTY=", "K=v=w", NULL};
        int n = 0;
        while (environ[n]) n++;
        int skip = 0; /* EXEC_EXPECT/EXEC_PID/EXEC_PPID come last */
        for (int i = 0; environ[i]; i++)
            if (strncmp(environ[i], "EXEC_EXPECT=", 12) == 0 || strncmp(environ[i], "EXEC_PID=", 9) == 0 ||
                strncmp(environ[i], "EXEC_PPID=", 10) == 0)
                skip++;
        CHECK_EQ(n - skip, 3);
        for (int i = 0; want[i] && environ[i]; i++) CHECK(strcmp(environ[i], want[i]) == 0);
    } else if (strcmp(mode, "fds") == 0) {
        /* 20: a plain file at offset 5; 21, 22, 24, 25: close-on-exec;
         * 23: a dup of 21 (dup clears the flag). */
        CHECK_EQ(fcntl(20, F_GETFD), 0);
        CHECK_EQ(lseek(20, 0, SEEK_CUR), 5);
        CHECK_ERR(fcntl(21, F_GETFD), EBADF);
        CHECK_ERR(fcntl(22, F_GETFD), EBADF);
        CHECK_EQ(fcntl(23, F_GETFD), 0);
        CHECK_ERR(fcntl(24, F_GETFD), EBADF);
        CHECK_ERR(fcntl(25, F_GETFD), EBADF);
        CHECK_EQ(fcntl(26, F_GETFD), 0); /* the pipe's other, inheritable end */
        CHECK_EQ(write(26, "ok", 2), 2);
        CHECK(fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0);
    } else if (strcmp(mode, "signals") == 0) {
        struct sigaction sa;
        CHECK_EQ(sigaction(SIGUSR1, NULL, &sa), 0);
        CHECK(sa.sa_handler == SIG_DFL); /* was handled: reset */
        CHECK_EQ(sigaction(SIGSEGV, NULL, &sa), 0);
        CHECK(sa.sa_handler == SIG_DFL);
        CHECK_EQ(sigaction(SIGUSR2, NULL, &sa), 0);
        CHECK(sa.sa_handler == SIG_IGN); /* was ignored: stays */
        CHECK_EQ(sigaction(SIGINT, NULL, &sa), 0);
        CHECK(sa.sa_handler == SIG_IGN);
        sigset_t mask, pending;
        sigprocmask(SIG_SETMASK, NULL, &mask);
        CHECK(sigismember(&mask, SIGTERM)); /* the mask is kept */
        CHECK(sigismember(&mask, SIGHUP));
        CHECK(!sigismember(&mask, SIGUSR1));
        sigemptyset(&pending);
        CHECK_EQ(sigpending(&pending), 0);
        CHECK(sigismember(&pending, SIGHUP)); /* pending is kept */
        stack_t ss;
        CHECK_EQ(sigaltstack(NULL, &ss), 0);
        CHECK(ss.ss_flags & SS_DISABLE);
    } else if (strcmp(mode, "fresh") == 0) {
        /* The pre-exec image's mapping must be gone. */
        signal(SIGSEGV, on_probe_segv);
        int faulted = 0;
        if (sigsetjmp(probe_jump, 1) == 0) {
            volatile char c = *(volatile char *)OLD_MAPPING;
            (void)c;
        } else {
            faulted = 1;
        }
        CHECK(faulted);
        signal(SIGSEGV, SIG_DFL);
    } else if (strcmp(mode, "exit") == 0) {
        const char *code = getenv("EXEC_CODE");
        fflush(stdout);
        return code ? atoi(code) : 0;
    } else if (strcmp(mode, "pause") == 0) {
        /* Runs until killed (the ETXTBSY test writes to its file meanwhile). */
        for (;;) pause();
    } else if (strcmp(mode, "thread") == 0) {
        /* Exec'd from a second thread: the image is the process's only
         * thread and has the process's ID (Linux's de_thread). */
        CHECK_EQ(syscall(SYS_gettid), getpid());
    } else if (strcmp(mode, "interp") != 0) {
        printf("  image: unknown EXEC_MODE %s\n", mode);
        return 2;
    }
    fflush(stdout);
    return check_failures != base ? 1 : 0;
}

/* ---------------------------------------------------------------- the caller's side */

typedef void (*SetupFn)(void);

/* Forks; the child runs setup (if any) and execve(path, argv, envp).
 * Returns the wait status; 127 << 8 if execve itself failed. */
static int run_exec(const char *path, char *const argv[], char *const envp[], SetupFn setup) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (setup) setup();
        execve(path, argv, envp);
        printf("  execve(%s) failed: %s\n", path, strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    int status = -1;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return status;
}

static void expect_exit(int status, int code) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != code) {
        printf("  status 0x%x, want exit %d\n", status, code);
        check_failures++;
        check_group_fails++;
    }
}

static void write_file(const char *path, const void *data, size_t size, mode_t mode) {
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0);
    if (fd < 0) return;
    CHECK_EQ(write(fd, data, size), (long)size);
    close(fd);
    CHECK_EQ(chmod(path, mode), 0);
}

static void test_hello(void) {
    check_begin("execve /bin/tests/hello (Akuma's initrd)");
    if (access("/bin/tests/hello", X_OK) != 0) {
        printf("  (no /bin/tests/hello here: skipped)\n");
        check_end();
        return;
    }
    char *argv[] = {"hello", "7", "arg", NULL};
    char *envp[] = {"AKUMA_TEST_ENV=from-exec", NULL};
    expect_exit(run_exec("/bin/tests/hello", argv, envp, NULL), 7);
    check_end();
}

static char pid_env[32], ppid_env[32];

static void setup_ids(void) {
    snprintf(pid_env, sizeof pid_env, "EXEC_PID=%d", (int)getpid());
    snprintf(ppid_env, sizeof ppid_env, "EXEC_PPID=%d", (int)getppid());
}

static void test_args(void) {
    check_begin("argv and envp reach the new image exactly; pid and parent kept");
    static char long_arg[3001];
    memset(long_arg, 'x', 3000);
    char expect[4096];
    snprintf(expect, sizeof expect, "EXEC_EXPECT=%s|a b||%s|last", self, long_arg);
    char *argv[] = {(char *)self, "a b", "", long_arg, "last", NULL};
    /* EXEC_PID/EXEC_PPID are filled in by the child before exec. */
    char *envp[] = {"EXEC_MODE=args", "EMPTY=", "K=v=w", expect, pid_env, ppid_env, NULL};
    expect_exit(run_exec(self, argv, envp, setup_ids), 0);
    /* No arguments beyond argv[0], no environment but the mode. */
    char *argv2[] = {(char *)self, NULL};
    char *envp2[] = {"EXEC_MODE=exit", "EXEC_CODE=33", NULL};
    expect_exit(run_exec(self, argv2, envp2, NULL), 33);
    check_end();
}

static void setup_fds(void) {
    int fd = open("/tmp/exec-fds", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "hello", 5) != 5) _exit(120);
    if (dup2(fd, 20) != 20) _exit(121);
    close(fd);
    int cloexec = open("/tmp/exec-fds", O_RDONLY | O_CLOEXEC);
    if (dup3(cloexec, 21, O_CLOEXEC) != 21) _exit(122);
    close(cloexec);
    if (dup2(20, 22) != 22 || fcntl(22, F_SETFD, FD_CLOEXEC) != 0) _exit(123);
    if (dup2(21, 23) != 23) _exit(124); /* dup2 clears close-on-exec */
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) _exit(125);
    if (dup3(p[0], 24, O_CLOEXEC) != 24 || dup3(p[1], 25, O_CLOEXEC) != 25) _exit(126);
    close(p[0]);
    close(p[1]);
}

static int fds_report[2];

static void setup_fds_and_report(void) {
    setup_fds();
    if (dup2(fds_report[1], 26) != 26) _exit(119);
    close(fds_report[0]);
    close(fds_report[1]);
}

static void test_fds(void) {
    check_begin("fds survive exec with their offsets, except close-on-exec ones");
    CHECK_EQ(pipe2(fds_report, O_CLOEXEC), 0);
    char *argv[] = {(char *)self, NULL};
    char *envp[] = {"EXEC_MODE=fds", NULL};
    expect_exit(run_exec(self, argv, envp, setup_fds_and_report), 0);
    close(fds_report[1]);
    char buf[4] = {0};
    CHECK_EQ(read(fds_report[0], buf, sizeof buf), 2);
    CHECK(memcmp(buf, "ok", 2) == 0);
    close(fds_report[0]);
    unlink("/tmp/exec-fds");
    check_end();
}

static void on_any(int sig) { (void)sig; }

static void setup_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_any;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGHUP); /* pending across exec */
    static char alt[64 * 1024];
    stack_t ss = {.ss_sp = alt, .ss_flags = 0, .ss_size = sizeof alt};
    sigaltstack(&ss, NULL);
}

static void test_signals(void) {
    check_begin("exec: handlers reset, ignored stay ignored, mask and pending kept");
    char *argv[] = {(char *)self, NULL};
    char *envp[] = {"EXEC_MODE=signals", NULL};
    expect_exit(run_exec(self, argv, envp, setup_signals), 0);
    check_end();
}

static void setup_old_mapping(void) {
    void *p = mmap(OLD_MAPPING, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p != OLD_MAPPING) _exit(120);
    *(volatile char *)p = 1;
}

static void test_fresh(void) {
    check_begin("exec replaces the address space");
    char *argv[] = {(char *)self, NULL};
    char *envp[] = {"EXEC_MODE=fresh", NULL};
    expect_exit(run_exec(self, argv, envp, setup_old_mapping), 0);
    check_end();
}

/* The caller's image after a failed execve: all of this must still hold. */
static int survivor_global = 1234;

static void test_errors(void) {
    check_begin("failed execve returns to the caller: ENOENT, ENOTDIR, EACCES, ENOEXEC");
    char *heap = malloc(100);
    CHECK(heap != NULL);
    if (!heap) return;
    strcpy(heap, "still here");
    char *argv[] = {"x", NULL};
    char *envp[] = {NULL};
    CHECK_ERR(execve("/tmp/does-not-exist", argv, envp), ENOENT);
    CHECK_ERR(execve("/no-such-dir/prog", argv, envp), ENOENT);
    CHECK_ERR(execve("", argv, envp), ENOENT);

    write_file("/tmp/exec-plain", "#!/bin/sh\necho no\n", 18, 0644);
    CHECK_ERR(execve("/tmp/exec-plain/x", argv, envp), ENOTDIR);
    /* No x bit anywhere: EACCES even for root. */
    CHECK_ERR(execve("/tmp/exec-plain", argv, envp), EACCES);
    CHECK_ERR(execve("/tmp", argv, envp), EACCES);

    static const char garbage[] = "this is not an executable of any kind\n\x01\x02\x03";
    write_file("/tmp/exec-garbage", garbage, sizeof garbage, 0755);
    CHECK_ERR(execve("/tmp/exec-garbage", argv, envp), ENOEXEC);
    write_file("/tmp/exec-empty", "", 0, 0755);
    CHECK_ERR(execve("/tmp/exec-empty", argv, envp), ENOEXEC);

    /* Our own ELF cut after 100 bytes (program headers missing): ENOEXEC.
     * (Linux: cut after 1000 bytes the exec passes the point of no return
     * and the process dies instead; not tested.) */
    unsigned char header[100];
    int fd = open(self, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, header, sizeof header), (long)sizeof header);
    close(fd);
    write_file("/tmp/exec-truncated", header, sizeof header, 0755);
    CHECK_ERR(execve("/tmp/exec-truncated", argv, envp), ENOEXEC);
    /* Its header, for x86-64 (e_machine 62): ENOEXEC. */
    header[18] = 62;
    header[19] = 0;
    write_file("/tmp/exec-x86", header, 64, 0755);
    CHECK_ERR(execve("/tmp/exec-x86", argv, envp), ENOEXEC);

    CHECK_EQ(survivor_global, 1234);
    CHECK(strcmp(heap, "still here") == 0);
    free(heap);
    unlink("/tmp/exec-plain");
    unlink("/tmp/exec-garbage");
    unlink("/tmp/exec-empty");
    unlink("/tmp/exec-x86");
    unlink("/tmp/exec-truncated");
    check_end();
}

static void test_e2big(void) {
    check_begin("E2BIG: one 200 KiB string; 3 MiB of strings in all");
    size_t big = 200 * 1024;
    char *huge = malloc(big + 1);
    CHECK(huge != NULL);
    if (!huge) return;
    memset(huge, 'a', big);
    huge[big] = 0;
    char *argv[] = {(char *)self, huge, NULL};
    char *envp[] = {"EXEC_MODE=exit", NULL};
    CHECK_ERR(execve(self, argv, envp), E2BIG);
    char *envp_big[] = {"EXEC_MODE=exit", huge, NULL};
    char *argv_small[] = {(char *)self, NULL};
    CHECK_ERR(execve(self, argv_small, envp_big), E2BIG);

    /* Each string under 128 KiB, together 3 MiB (limit: 8 MiB / 4). */
    enum { k_strings = 30 };
    huge[100 * 1024] = 0;
    char *many[k_strings + 2];
    many[0] = (char *)self;
    for (int i = 1; i <= k_strings; i++) many[i] = huge;
    many[k_strings + 1] = NULL;
    CHECK_ERR(execve(self, many, envp), E2BIG);
    /* Half a MiB in 5 strings is fine: the image runs. */
    many[6] = NULL;
    char *envp_code[] = {"EXEC_MODE=exit", "EXEC_CODE=44", NULL};
    expect_exit(run_exec(self, many, envp_code, NULL), 44);
    CHECK_EQ(survivor_global, 1234);
    free(huge);
    check_end();
}

static int script_out[2];

static void setup_capture(void) {
    dup2(script_out[1], 1);
    close(script_out[0]);
    close(script_out[1]);
}

static void test_script(void) {
    check_begin("#!/bin/sh script");
    static const char script[] = "#!/bin/sh\necho script-ok \"$1\" \"$0\"\nexit 3\n";
    write_file("/tmp/exec-script.sh", script, sizeof script - 1, 0755);
    CHECK_EQ(pipe(script_out), 0);
    char *argv[] = {"ignored-argv0", "arg one", NULL};
    char *envp[] = {"PATH=/bin", NULL};
    expect_exit(run_exec("/tmp/exec-script.sh", argv, envp, setup_capture), 3);
    close(script_out[1]);
    char buf[128] = {0};
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read(script_out[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
    close(script_out[0]);
    CHECK(strcmp(buf, "script-ok arg one /tmp/exec-script.sh\n") == 0);
    if (strcmp(buf, "script-ok arg one /tmp/exec-script.sh\n") != 0) printf("  script said: \"%s\"\n", buf);

    /* A missing interpreter: ENOENT, reported by execve itself. */
    static const char nointerp[] = "#!/no/such/interpreter\n";
    write_file("/tmp/exec-nointerp", nointerp, sizeof nointerp - 1, 0755);
    CHECK_ERR(execve("/tmp/exec-nointerp", argv, envp), ENOENT);
    unlink("/tmp/exec-script.sh");
    unlink("/tmp/exec-nointerp");
    check_end();
}

static void setup_chdir_tmp(void) {
    if (chdir("/tmp") != 0) _exit(120);
}

/* Writes "#!<self><rest>\n" to path, mode 0755. */
static void write_interp_script(const char *path, const char *rest) {
    char text[512];
    int n = snprintf(text, sizeof text, "#!%s%s\nthis line is never read as code\n", self, rest);
    write_file(path, text, (size_t)n, 0755);
}

static void test_interp(void) {
    check_begin("#! interpreter argv: [interp, one optional arg, script path, args...]");
    char expect[512];
    char *envp[] = {"EXEC_MODE=interp", expect, NULL};

    /* With an argument. */
    write_interp_script("/tmp/exec-interp", " interp-arg");
    snprintf(expect, sizeof expect, "EXEC_EXPECT=%s|interp-arg|/tmp/exec-interp|x|y", self);
    char *argv[] = {"dropped", "x", "y", NULL};
    expect_exit(run_exec("/tmp/exec-interp", argv, envp, NULL), 0);

    /* Without one (trailing blanks do not make an empty argument). */
    write_interp_script("/tmp/exec-interp", "   ");
    snprintf(expect, sizeof expect, "EXEC_EXPECT=%s|/tmp/exec-interp|x|y", self);
    expect_exit(run_exec("/tmp/exec-interp", argv, envp, NULL), 0);

    /* Everything after the interpreter, blanks inside, is ONE argument. */
    write_interp_script("/tmp/exec-interp", "  two  words ");
    snprintf(expect, sizeof expect, "EXEC_EXPECT=%s|two  words|/tmp/exec-interp", self);
    char *argv_none[] = {"dropped", NULL};
    expect_exit(run_exec("/tmp/exec-interp", argv_none, envp, NULL), 0);

    /* A relative script path is passed on as given. */
    write_interp_script("/tmp/exec-interp", " r");
    snprintf(expect, sizeof expect, "EXEC_EXPECT=%s|r|exec-interp|z", self);
    char *argv_z[] = {"dropped", "z", NULL};
    expect_exit(run_exec("exec-interp", argv_z, envp, setup_chdir_tmp), 0);
    unlink("/tmp/exec-interp");
    check_end();
}

/* execve from a second thread while others block or run: the other threads
 * end, the new image runs with the thread group's PID. */
static void *blocked_reader(void *arg) {
    int *fds = arg;
    char c;
    (void)!read(fds[0], &c, 1); /* never returns: nobody writes */
    return NULL;
}

static void *spinner(void *arg) {
    (void)arg;
    for (volatile unsigned long i = 0;; i++) {
    }
    return NULL;
}

static void *exec_from_thread(void *arg) {
    (void)arg;
    static char pid_var[32];
    snprintf(pid_var, sizeof pid_var, "EXEC_PID=%d", (int)getpid());
    char *argv[] = {(char *)self, NULL};
    char *envp[] = {"EXEC_MODE=thread", pid_var, NULL};
    execve(self, argv, envp);
    printf("  execve from a thread failed: %s\n", strerror(errno));
    fflush(stdout);
    _exit(127);
}

static void start_threads_then_exec(void) {
    static int fds[2];
    pthread_t thread;
    if (pipe(fds) != 0 || pthread_create(&thread, NULL, blocked_reader, fds) != 0 ||
        pthread_create(&thread, NULL, spinner, NULL) != 0 ||
        pthread_create(&thread, NULL, exec_from_thread, NULL) != 0)
        _exit(126);
    for (;;) pause(); /* the main thread waits in a signal-interruptible sleep */
}

static void test_threaded(void) {
    check_begin("execve from a second thread of a process with three");
    expect_exit(run_exec(self, NULL, NULL, start_threads_then_exec), 0);
    check_end();
}

/* The library paths that create processes: posix_spawn (clone with
 * CLONE_VM|CLONE_VFORK in glibc), system() and popen() (through /bin/sh). */
static void test_spawn(void) {
    check_begin("posix_spawn, system, popen");
    pid_t pid = -1;
    char *argv[] = {(char *)self, NULL};
    char *envp[] = {"EXEC_MODE=exit", "EXEC_CODE=21", NULL};
    CHECK_EQ(posix_spawn(&pid, self, NULL, NULL, argv, envp), 0);
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    expect_exit(status, 21);
    CHECK_EQ(posix_spawn(&pid, "/nonexistent/program", NULL, NULL, argv, envp), ENOENT);
    fflush(stdout);
    status = system("exit 7");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    FILE *pipe_in = popen("echo popen-ok", "r");
    CHECK(pipe_in != NULL);
    if (pipe_in) {
        char line[32] = {0};
        CHECK(fgets(line, sizeof line, pipe_in) != NULL);
        CHECK(strcmp(line, "popen-ok\n") == 0);
        CHECK_EQ(pclose(pipe_in), 0);
    }
    check_end();
}

static void test_execveat(void) {
    check_begin("execveat: AT_EMPTY_PATH on an fd; dirfd + relative path");
    int fd = open(self, O_RDONLY);
    CHECK(fd >= 0);
    char *argv[] = {"via-fd", NULL};
    char *envp[] = {"EXEC_MODE=exit", "EXEC_CODE=55", NULL};
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
        _exit(127);
    }
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    expect_exit(status, 55);
    close(fd);

    /* dirfd + name: split self into its directory and base name. */
    char dir[256];
    snprintf(dir, sizeof dir, "%s", self);
    char *slash = strrchr(dir, '/');
    CHECK(slash != NULL);
    if (!slash) return;
    const char *base = self + (slash - dir) + 1;
    if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(dirfd >= 0);
    char *envp2[] = {"EXEC_MODE=exit", "EXEC_CODE=56", NULL};
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        syscall(SYS_execveat, dirfd, base, argv, envp2, 0);
        _exit(127);
    }
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    expect_exit(status, 56);
    CHECK_ERR(syscall(SYS_execveat, dirfd, "no-such-program", argv, envp2, 0), ENOENT);
    CHECK_ERR(syscall(SYS_execveat, dirfd, base, argv, envp2, 0x12345678), EINVAL);
    close(dirfd);
    check_end();
}

/* Copies this program to `path` (mode 0755). */
static void copy_self(const char *path) {
    int in = open(self, O_RDONLY);
    CHECK(in >= 0);
    unlink(path);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    CHECK(out >= 0);
    char buf[8192];
    ssize_t n;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0) CHECK_EQ(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
}

/* The child's execve result as its exit status: 0 if it failed with
 * `want`, 1 if it failed otherwise; an image that runs exits 0 itself
 * (EXEC_MODE=exit), so callers pass want = 0 to mean "must run". */
static int exec_status(const char *path, int want) {
    char *argv[] = {(char *)path, NULL};
    char *envp[] = {"EXEC_MODE=exit", "EXEC_CODE=7", NULL};
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execve(path, argv, envp);
        _exit(errno == want ? 0 : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    return status;
}

static void test_txtbsy(void) {
    check_begin("ETXTBSY: a running program cannot be written, a file open for writing cannot run");
    /* This very program is running. */
    CHECK_ERR(open(self, O_WRONLY), ETXTBSY);
    CHECK_ERR(open(self, O_RDWR), ETXTBSY);
    CHECK_ERR(open(self, O_WRONLY | O_TRUNC), ETXTBSY);
    int fd = open(self, O_RDONLY);
    CHECK(fd >= 0);
    close(fd);

    static const char copy[] = "/tmp/exec-txtbsy";
    copy_self(copy);
    /* Open for writing: execve refuses it. Closed again: it runs. */
    int writer = open(copy, O_WRONLY);
    CHECK(writer >= 0);
    expect_exit(exec_status(copy, ETXTBSY), 0);
    close(writer);
    expect_exit(exec_status(copy, 0), 7);

    /* While a process runs the copy, nobody may open it for writing or
     * truncate it; once it is gone, they may. */
    fflush(stdout);
    pid_t runner = fork();
    if (runner == 0) {
        char *argv[] = {(char *)copy, NULL};
        char *envp[] = {"EXEC_MODE=pause", NULL};
        /* The parent's probe below holds the file open for writing for a
         * moment now and then: an execve that meets it is ETXTBSY (on
         * Linux too), so try again. */
        while (execve(copy, argv, envp) != 0 && errno == ETXTBSY)
            usleep(1000);
        _exit(127);
    }
    int busy = 0;
    int runner_status = 0;
    for (;;) { /* until the child has exec'd (or died, which fails the test) */
        int probe = open(copy, O_WRONLY);
        if (probe < 0) {
            busy = errno == ETXTBSY;
            break;
        }
        close(probe);
        if (waitpid(runner, &runner_status, WNOHANG) == runner) break;
        usleep(10000);
    }
    CHECK(busy);
    CHECK_ERR(open(copy, O_RDWR), ETXTBSY);
    CHECK_ERR(truncate(copy, 0), ETXTBSY);
    kill(runner, SIGKILL);
    waitpid(runner, NULL, 0);
    fd = open(copy, O_WRONLY);
    CHECK(fd >= 0);
    close(fd);
    CHECK_EQ(truncate(copy, 0), 0);
    struct stat st;
    CHECK_EQ(stat(copy, &st), 0);
    CHECK_EQ(st.st_size, 0);
    unlink(copy);

    /* A script open for writing cannot run either. */
    static const char script_path[] = "/tmp/exec-txtbsy.sh";
    int script = open(script_path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    CHECK(script >= 0);
    CHECK_EQ(write(script, "#!/bin/sh\nexit 0\n", 17), 17);
    expect_exit(exec_status(script_path, ETXTBSY), 0);
    close(script);
    unlink(script_path);
    check_end();
}

/* execve of a "#!" script while another process keeps rewriting it: every
 * exec either runs the interpreter with the whole line or fails with
 * ETXTBSY (the rewriter has it open); never ENOENT or EINVAL from a line
 * read half-written or from freed memory. */
static void test_script_rewrite(void) {
    check_begin("#! script rewritten during execve: runs or ETXTBSY, nothing else");
    static const char path[] = "/tmp/exec-rewritten";
    char line[400];
    int length = snprintf(line, sizeof line, "#!%s %0200d\n", self, 0);
    write_file(path, line, (size_t)length, 0755);
    fflush(stdout);
    pid_t rewriter = fork();
    if (rewriter == 0) {
        for (;;) {
            int fd = open(path, O_WRONLY | O_TRUNC);
            if (fd < 0) continue; /* (cannot fail: a script is never the running program) */
            /* In two pieces, so a reader could see half a line. */
            if (write(fd, line, (size_t)length / 2) < 0 ||
                write(fd, line + length / 2, (size_t)(length - length / 2)) < 0)
                _exit(3);
            close(fd);
        }
    }
    int ran = 0, busy = 0, other = 0;
    for (int i = 0; i < 150; i++) {
        char *argv[] = {(char *)path, NULL};
        char *envp[] = {"EXEC_MODE=exit", "EXEC_CODE=9", NULL};
        pid_t pid = fork();
        if (pid == 0) {
            execve(path, argv, envp);
            _exit(errno == ETXTBSY ? 10 : 100 + errno);
        }
        int status = -1;
        waitpid(pid, &status, 0);
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (code == 9) {
            ran++;
        } else if (code == 10) {
            busy++;
        } else {
            if (other++ < 5) printf("  exec %d: status 0x%x (errno %d if >= 100)\n", i, status, code - 100);
        }
    }
    kill(rewriter, SIGKILL);
    waitpid(rewriter, NULL, 0);
    printf("  %d ran, %d ETXTBSY, %d other\n", ran, busy, other);
    CHECK_EQ(other, 0);
    CHECK_EQ(ran + busy, 150);
    unlink(path);
    check_end();
}

int main(int argc, char **argv) {
    const char *mode = getenv("EXEC_MODE");
    if (mode) return image_main(argc, argv, mode);
    self = argv[0];
    if (self[0] != '/') {
        printf("exec: run me by absolute path (argv[0] is %s)\n", self);
        return 2;
    }
    static const struct check_test tests[] = {
        {"hello", test_hello},
        {"args", test_args},
        {"fds", test_fds},
        {"signals", test_signals},
        {"fresh", test_fresh},
        {"errors", test_errors},
        {"e2big", test_e2big},
        {"script", test_script},
        {"interp", test_interp},
        {"execveat", test_execveat},
        {"threaded", test_threaded},
        {"spawn", test_spawn},
        {"txtbsy", test_txtbsy},
        {"script-rewrite", test_script_rewrite},
    };
    return check_run_tests("exec", argc, argv, tests, sizeof tests / sizeof *tests);
}
