/* pty: pseudo-terminals as Linux has them.
 *   open      posix_openpt/grantpt/unlockpt/ptsname, the slave locked until
 *             unlockpt (EIO), its node in /dev/pts, isatty on both sides,
 *             TIOCGPTN, TIOCGPTPEER, openpty
 *   echo      canonical input with echo and output processing both ways
 *   raw       cfmakeraw: bytes as they come, no echo
 *   sigint    ^C from the master kills the foreground group of the session
 *             whose controlling terminal the slave is (opened without
 *             O_NOCTTY by a session leader); /dev/tty is that slave
 *   winsize   TIOCSWINSZ on the master: SIGWINCH and the new size
 *   hangup    closing the master: SIGHUP to the session leader, EIO after
 *   closed    the master reads EIO and polls POLLHUP once the slave closed
 * Usage: pty [GROUP]. */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER 0x5441
#endif

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* Linux's reference machine has no devpts mounted; Akuma mounts it at boot
 * (a second mount is EBUSY there): either way /dev/pts works after this,
 * with Debian's options (nodes in group tty, mode 0620), which Akuma's has. */
static void ensure_devpts(void) {
    mkdir("/dev/pts", 0755);
    mount("devpts", "/dev/pts", "devpts", 0, "gid=5,mode=620");
}

/* Reads from the master until `want` bytes came (or a timeout). */
static ssize_t read_master(int master, char *buf, size_t want) {
    size_t got = 0;
    for (int tries = 0; got < want && tries < 200; tries++) {
        struct pollfd p = { master, POLLIN, 0 };
        if (poll(&p, 1, 10) == 1) {
            ssize_t n = read(master, buf + got, want - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
    }
    return (ssize_t)got;
}

static int open_pair(int *slave_out, char *name, size_t name_size) {
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0)
        return -1;
    if (grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, name, name_size) != 0) {
        close(master);
        return -1;
    }
    *slave_out = open(name, O_RDWR | O_NOCTTY);
    return master;
}

static void test_open(void) {
    check_begin("open: ptmx, unlockpt, ptsname, /dev/pts, TIOCGPTPEER, openpty");
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK(master >= 0);
    unsigned number = 999;
    CHECK_EQ(ioctl(master, TIOCGPTN, &number), 0);
    char name[64];
    CHECK_EQ(ptsname_r(master, name, sizeof name), 0);
    char want[64];
    snprintf(want, sizeof want, "/dev/pts/%u", number);
    CHECK(strcmp(name, want) == 0);
    CHECK_ERR(open(name, O_RDWR | O_NOCTTY), EIO);  /* locked */
    CHECK_EQ(grantpt(master), 0);
    CHECK_EQ(unlockpt(master), 0);
    int slave = open(name, O_RDWR | O_NOCTTY);
    CHECK(slave >= 0);
    struct stat st;
    CHECK_EQ(fstat(slave, &st), 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ(major(st.st_rdev), 136);
    CHECK_EQ(minor(st.st_rdev), number);
    /* The node's times are its creation's (not 1970) and its owner the
     * opener (root here), group tty (5), mode 0620. */
    struct timespec now;
    CHECK_EQ(clock_gettime(CLOCK_REALTIME, &now), 0);
    CHECK(st.st_mtime > now.tv_sec - 600 && st.st_mtime <= now.tv_sec + 1);
    CHECK_EQ(st.st_uid, getuid());
    CHECK_EQ(st.st_gid, 5);
    CHECK_EQ(st.st_mode & 07777, 0620);
    CHECK(isatty(slave));
    CHECK(isatty(master));
    int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    CHECK(peer >= 0);
    const char *peer_name = ttyname(peer);  /* the peer is the devpts node, as if opened by name */
    CHECK(peer_name && strcmp(peer_name, name) == 0);
    CHECK_EQ(write(peer, "p\n", 2), 2);
    char buf[16];
    CHECK_EQ(read_master(master, buf, 3), 3);
    CHECK(memcmp(buf, "p\r\n", 3) == 0);
    close(peer);
    close(slave);
    close(master);
    CHECK_ERR(stat(name, &st), ENOENT);  /* the node goes with the master */

    int m2, s2;
    CHECK_EQ(openpty(&m2, &s2, NULL, NULL, NULL), 0);
    CHECK(isatty(s2));
    close(s2);
    close(m2);
    CHECK_ERR(ioctl(0 > 1 ? 0 : open("/dev/null", O_RDONLY), TIOCGPTN, &number), ENOTTY);
    check_end();
}

static void test_echo(void) {
    check_begin("echo: canonical input, echo and output processing");
    char name[64];
    int slave = -1;
    int master = open_pair(&slave, name, sizeof name);
    CHECK(master >= 0 && slave >= 0);
    CHECK_EQ(write(master, "hello\n", 6), 6);
    char buf[64];
    CHECK_EQ(read(slave, buf, sizeof buf), 6);
    CHECK(memcmp(buf, "hello\n", 6) == 0);
    CHECK_EQ(read_master(master, buf, 7), 7);  /* the echo, with ONLCR */
    CHECK(memcmp(buf, "hello\r\n", 7) == 0);
    CHECK_EQ(write(slave, "out\n", 4), 4);
    CHECK_EQ(read_master(master, buf, 5), 5);
    CHECK(memcmp(buf, "out\r\n", 5) == 0);
    /* Erase in canonical mode: "ab<DEL>c\n" reads as "ac\n". */
    CHECK_EQ(write(master, "ab\177c\n", 5), 5);
    CHECK_EQ(read(slave, buf, sizeof buf), 3);
    CHECK(memcmp(buf, "ac\n", 3) == 0);
    int pending = -1;
    CHECK_EQ(ioctl(slave, FIONREAD, &pending), 0);
    CHECK_EQ(pending, 0);
    close(slave);
    close(master);
    check_end();
}

static void test_raw(void) {
    check_begin("raw: bytes as they come, no echo");
    char name[64];
    int slave = -1;
    int master = open_pair(&slave, name, sizeof name);
    struct termios t;
    CHECK_EQ(tcgetattr(slave, &t), 0);
    cfmakeraw(&t);
    CHECK_EQ(tcsetattr(slave, TCSANOW, &t), 0);
    CHECK_EQ(write(master, "abc", 3), 3);
    char buf[16];
    CHECK_EQ(read(slave, buf, sizeof buf), 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    struct pollfd p = { master, POLLIN, 0 };
    CHECK_EQ(poll(&p, 1, 50), 0);  /* nothing echoed */
    CHECK_EQ(write(slave, "x\n", 2), 2);
    CHECK_EQ(read_master(master, buf, 2), 2);  /* no output processing either */
    CHECK(memcmp(buf, "x\n", 2) == 0);
    close(slave);
    close(master);
    check_end();
}

static void test_sigint(void) {
    check_begin("sigint: ^C reaches the foreground group of the slave's session");
    char name[64];
    int slave = -1;
    int master = open_pair(&slave, name, sizeof name);
    close(slave);
    int ready[2];
    CHECK_EQ(pipe(ready), 0);
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        close(master);
        setsid();
        int tty = open(name, O_RDWR);  /* no O_NOCTTY: becomes the controlling terminal */
        CHECK(tty >= 0);
        CHECK_EQ(tcgetpgrp(tty), getpid());
        CHECK_EQ(tcgetsid(tty), getpid());
        /* /proc/self/stat's tty_nr (field 7) and tpgid (8) name it. */
        struct stat st;
        CHECK_EQ(fstat(tty, &st), 0);
        unsigned want_nr = (minor(st.st_rdev) & 0xff) | (major(st.st_rdev) << 8) | ((minor(st.st_rdev) & ~0xffu) << 12);
        FILE *stat_file = fopen("/proc/self/stat", "r");
        int tty_nr = -1, tpgid = -1;
        if (stat_file) {
            char line[512];
            if (fgets(line, sizeof line, stat_file)) {
                char *after = strrchr(line, ')');
                if (after)
                    sscanf(after + 2, "%*c %*d %*d %*d %d %d", &tty_nr, &tpgid);
            }
            fclose(stat_file);
        }
        CHECK_EQ(tty_nr, (int)want_nr);
        CHECK_EQ(tpgid, getpid());
        int again = open("/dev/tty", O_RDWR);
        CHECK(again >= 0);
        CHECK_EQ(write(again, "T", 1), 1);
        if (check_failures != failures)
            check_child_done(failures);
        CHECK_EQ(write(ready[1], "r", 1), 1);
        for (;;)
            pause();
    }
    close(ready[1]);
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    char buf[8];
    CHECK_EQ(read_master(master, buf, 1), 1);  /* what the child wrote to /dev/tty */
    CHECK_EQ(buf[0], 'T');
    CHECK_EQ(write(master, "\003", 1), 1);
    check_child_status(child, 0, SIGINT);
    close(ready[0]);
    close(master);
    check_end();
}

static volatile sig_atomic_t g_winch;
static void on_winch(int signal) { g_winch = signal; }

static void test_winsize(void) {
    check_begin("winsize: TIOCSWINSZ on the master sends SIGWINCH");
    char name[64];
    int slave = -1;
    int master = open_pair(&slave, name, sizeof name);
    close(slave);
    int ready[2];
    CHECK_EQ(pipe(ready), 0);
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        close(master);
        signal(SIGWINCH, on_winch);
        setsid();
        int tty = open(name, O_RDWR);
        CHECK(tty >= 0);
        CHECK_EQ(write(ready[1], "r", 1), 1);
        for (int i = 0; i < 500 && !g_winch; i++)
            sleep_ms(10);
        CHECK_EQ(g_winch, SIGWINCH);
        struct winsize size;
        CHECK_EQ(ioctl(tty, TIOCGWINSZ, &size), 0);
        CHECK_EQ(size.ws_row, 33);
        CHECK_EQ(size.ws_col, 101);
        check_child_done(failures);
    }
    close(ready[1]);
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    struct winsize size = { .ws_row = 33, .ws_col = 101 };
    CHECK_EQ(ioctl(master, TIOCSWINSZ, &size), 0);
    check_child_status(child, 0, 0);
    close(ready[0]);
    close(master);
    check_end();
}

static void test_hangup(void) {
    check_begin("hangup: closing the master sends SIGHUP to the session leader");
    char name[64];
    int slave = -1;
    int master = open_pair(&slave, name, sizeof name);
    close(slave);
    int ready[2];
    CHECK_EQ(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        close(master);
        setsid();
        int tty = open(name, O_RDWR);
        (void)write(ready[1], "r", 1);
        char buf[4];
        (void)read(tty, buf, sizeof buf);  /* until the hang-up */
        sleep_ms(3000);  /* Linux may wake the reader before it signals */
        _exit(0);
    }
    close(ready[1]);
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    sleep_ms(20);
    close(master);
    check_child_status(child, 0, SIGHUP);
    close(ready[0]);

    /* A slave kept open across the hang-up: end of file, then EIO. */
    master = open_pair(&slave, name, sizeof name);
    signal(SIGHUP, SIG_IGN);
    close(master);
    char buf[4];
    CHECK_EQ(read(slave, buf, sizeof buf), 0);
    CHECK_ERR(write(slave, "x", 1), EIO);
    close(slave);
    signal(SIGHUP, SIG_DFL);
    check_end();
}

static void test_closed(void) {
    check_begin("closed: the master after the slave's last close");
    char name[64];
    int slave = -1;
    int master = open_pair(&slave, name, sizeof name);
    struct pollfd p = { master, POLLIN, 0 };
    CHECK_EQ(poll(&p, 1, 0), 0);
    close(slave);
    CHECK_EQ(poll(&p, 1, 0), 1);
    CHECK(p.revents & POLLHUP);
    char buf[4];
    CHECK_ERR(read(master, buf, sizeof buf), EIO);
    close(master);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    ensure_devpts();
    static const struct check_test tests[] = {
        { "open", test_open },         { "echo", test_echo },     { "raw", test_raw },
        { "sigint", test_sigint },     { "winsize", test_winsize }, { "hangup", test_hangup },
        { "closed", test_closed },
    };
    return check_run_tests("pty", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
