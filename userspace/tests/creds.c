/* creds: user and group ids and the permission rules built on them, as
 * Linux 6.1 has them. The program starts as root; every group runs in a
 * forked child, whose own children drop to numeric ids (1000, 1001, 2000...:
 * no /etc/passwd is needed) so no change leaks between checks.
 *   ids         get/set[res][ug]id, setuid/setgid, setre[ug]id's saved-id
 *               rule, setfs[ug]id, getgroups/setgroups, capabilities
 *               following the uids, no way back to 0, /proc/self/status
 *   files       open/access/faccessat(AT_EACCESS) against the owner, group
 *               and other bits, directory search/read/write, sticky
 *               directories, root's overrides, new files' owner (fsuid,
 *               fsgid, setgid directories), umask
 *   attrs       chmod/chown/utimensat/truncate rules, set-id bits cleared by
 *               chmod, chown, write and truncate
 *   exec        setuid/setgid programs (ids, AT_SECURE, capabilities),
 *               nosuid mounts, EACCES for files without x and directories
 *   kill        who may signal whom (real/saved uid rule, SIGCONT in the
 *               same session, kill(-1) as non-root), root signals anyone;
 *               waitid's si_uid is the child's real user
 *   privileged  what uid 1000 may not do (mount, umount, sethostname,
 *               chroot, reboot, mknod, ports < 1024, rlimits, nice) and
 *               root may
 *   nproc       RLIMIT_NPROC counts the real user's tasks; root is exempt
 * Linux facts that are easy to miss (all checked below):
 *   - getgroups returns the groups sorted; /proc's Groups: line ends with a
 *     space, even when empty ("Groups:\t \n").
 *   - non-root setuid(euid) is EPERM when euid is neither real nor saved.
 *   - a nonzero fsuid drops CAP_FS_SET from root's effective set; access()
 *     with real uid 0 uses the permitted set even when euid is not 0.
 *   - chown, even chown(-1, -1) by root, clears S_ISUID (and S_ISGID if
 *     g+x); utimensat with one UTIME_NOW counts as explicit (owner only).
 *   - exec with euid != ruid (no set-id bits) sets AT_SECURE.
 *   - SIGCONT may go to any process of the same session; kill(-1, sig) by
 *     a user who may signal nobody still returns 0.
 * Everything lives under /tmp/creds_test (removed at start and end); /proc
 * is mounted if it is not. Usage: creds [GROUP | --exec-child FD]. */
#define _GNU_SOURCE
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/reboot.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>

#define SCRATCH "/tmp/creds_test"

static const char *g_argv0;
static int g_fork_base; /* check_failures when this process was forked */

/* ---- helpers ---------------------------------------------------------- */

/* fork() whose child remembers its starting failure count: the child ends
 * with check_child_done(g_fork_base), the parent reaps with wait_ok().
 * Every child has its own alarm, so nothing hangs on for good. */
static pid_t fork_child(void) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        g_fork_base = check_failures;
        alarm(60);
    }
    return pid;
}
static void wait_ok(pid_t pid) { check_child_status(pid, 0, 0); }

/* setfsuid/setfsgid return the previous value; -1 (an invalid id) only
 * queries. */
static long fsuid_set(long id) { return syscall(SYS_setfsuid, id); }
static long fsgid_set(long id) { return syscall(SYS_setfsgid, id); }

/* A string result that must equal `want` exactly. */
#define CHECK_STR(expr, want)                                                    \
    do {                                                                         \
        const char *got_ = (expr);                                               \
        if (strcmp(got_, want) != 0) {                                           \
            printf("  check failed: %s -> '%s', want '%s' (line %d)\n", #expr,   \
                   got_, want, __LINE__);                                        \
            check_failures++;                                                    \
            check_group_fails++;                                                 \
        }                                                                        \
    } while (0)

/* "real effective saved fs" uids or gids. */
static const char *uids(void) {
    static char text[64];
    uid_t r = 9, e = 9, s = 9;
    getresuid(&r, &e, &s);
    snprintf(text, sizeof text, "%u %u %u %ld", r, e, s, fsuid_set(-1));
    return text;
}
static const char *gids(void) {
    static char text[64];
    gid_t r = 9, e = 9, s = 9;
    getresgid(&r, &e, &s);
    snprintf(text, sizeof text, "%u %u %u %ld", r, e, s, fsgid_set(-1));
    return text;
}

/* The line of /proc/self/status starting with `key`, without its newline. */
static const char *status(const char *key) {
    static char text[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    ssize_t n = fd < 0 ? 0 : read(fd, text, sizeof text - 1);
    close(fd);
    text[n > 0 ? n : 0] = 0;
    for (char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, key, strlen(key)) == 0) {
            line[strcspn(line, "\n")] = 0;
            return line;
        }
    }
    return "(none)";
}

static const uint64_t k_all = (UINT64_C(1) << 41) - 1; /* CAP_LAST_CAP 40 in Linux 6.1 */
/* What a nonzero fsuid takes out of root's effective set (CAP_FS_SET). */
static const uint64_t k_fs_set = 1u << CAP_CHOWN | 1u << CAP_DAC_OVERRIDE | 1u << CAP_DAC_READ_SEARCH |
                                 1u << CAP_FOWNER | 1u << CAP_FSETID | 1u << CAP_LINUX_IMMUTABLE |
                                 1u << CAP_MKNOD | UINT64_C(1) << CAP_MAC_OVERRIDE;

static const char *cap_name(uint64_t set, char *text) {
    if (set == k_all || set == 0 || set == (k_all & ~k_fs_set))
        return set == k_all ? "all" : set == 0 ? "none" : "all-fs";
    sprintf(text, "%#llx", (unsigned long long)set);
    return text;
}
/* capget v3 of this process: "EFFECTIVE/PERMITTED", each "all", "none",
 * "all-fs" (all but CAP_FS_SET) or the mask. */
static const char *caps(void) {
    static char text[80];
    char eff[24], perm[24];
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0)
        return "(capget failed)";
    snprintf(text, sizeof text, "%s/%s",
             cap_name(data[0].effective | (uint64_t)data[1].effective << 32, eff),
             cap_name(data[0].permitted | (uint64_t)data[1].permitted << 32, perm));
    return text;
}

/* All ids (and the supplementary groups) to uid/gid; from root. */
static void become(uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups) {
    CHECK_EQ(setgroups(ngroups, groups), 0);
    CHECK_EQ(setresgid(gid, gid, gid), 0);
    CHECK_EQ(setresuid(uid, uid, uid), 0);
}
static const gid_t g_1000[] = { 1000 };

static void make_file(const char *path, uid_t uid, gid_t gid, mode_t mode) {
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "data", 4), 4);
    close(fd);
    CHECK_EQ(chown(path, uid, gid), 0);
    CHECK_EQ(chmod(path, mode), 0); /* after chown, which clears set-id bits */
}
static void make_dir(const char *path, uid_t uid, gid_t gid, mode_t mode) {
    CHECK_EQ(mkdir(path, 0700), 0);
    CHECK_EQ(chown(path, uid, gid), 0);
    CHECK_EQ(chmod(path, mode), 0);
}
/* A copy of this program (for exec), owned uid:gid with `mode`. */
static void copy_self(const char *path, uid_t uid, gid_t gid, mode_t mode) {
    int in = open("/proc/self/exe", O_RDONLY);
    if (in < 0)
        in = open(g_argv0, O_RDONLY);
    int out = open(path, O_CREAT | O_EXCL | O_WRONLY, 0700);
    CHECK(in >= 0 && out >= 0);
    static char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        CHECK_EQ(write(out, buf, n), n);
    close(in);
    close(out);
    CHECK_EQ(chown(path, uid, gid), 0);
    CHECK_EQ(chmod(path, mode), 0);
}
static long mode_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)(st.st_mode & 07777) : -1;
}
/* "uid:gid" of a file. */
static const char *owner_of(const char *path) {
    static char text[32];
    struct stat st;
    if (stat(path, &st) != 0)
        return "(none)";
    snprintf(text, sizeof text, "%u:%u", st.st_uid, st.st_gid);
    return text;
}
/* open (or create) and close: 0, or -1 with open's errno. */
static int opens(const char *path, int flags) {
    int fd = open(path, flags);
    return fd < 0 ? -1 : close(fd);
}
static int creates(const char *path, mode_t mode) {
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, mode);
    return fd < 0 ? -1 : close(fd);
}

/* ---- ids -------------------------------------------------------------- */

static void ids_body(void) {
    pid_t p;
    CHECK(getuid() == 0 && geteuid() == 0 && getgid() == 0 && getegid() == 0);
    CHECK_STR(uids(), "0 0 0 0");
    CHECK_STR(gids(), "0 0 0 0");
    CHECK_STR(caps(), "all/all");
    CHECK_STR(status("Uid:"), "Uid:\t0\t0\t0\t0");
    CHECK_STR(status("Gid:"), "Gid:\t0\t0\t0\t0");

    /* Supplementary groups: root sets any list; Linux keeps it sorted;
     * size 0 asks for the count, a smaller buffer is EINVAL; more than
     * NGROUPS_MAX (65536) is EINVAL; /proc shows them space separated with
     * a trailing space. */
    gid_t list[] = { 3000, 1000, 2000 }, got[8] = { 0 };
    CHECK_EQ(setgroups(3, list), 0);
    CHECK_EQ(getgroups(0, NULL), 3);
    CHECK_ERR(getgroups(2, got), EINVAL);
    CHECK_EQ(getgroups(8, got), 3);
    CHECK(got[0] == 1000 && got[1] == 2000 && got[2] == 3000);
    CHECK_STR(status("Groups:"), "Groups:\t1000 2000 3000 ");
    CHECK_ERR(setgroups(65537, list), EINVAL);
    CHECK_EQ(setgroups(0, NULL), 0);
    CHECK_EQ(getgroups(0, NULL), 0);
    CHECK_STR(status("Groups:"), "Groups:\t ");

    /* Root's setuid sets real, effective, saved and fs uid; with no uid 0
     * left, permitted and effective capabilities are cleared and nothing
     * gets uid 0 back. */
    if ((p = fork_child()) == 0) {
        CHECK_EQ(setuid(1000), 0);
        CHECK_STR(uids(), "1000 1000 1000 1000");
        CHECK_STR(caps(), "none/none");
        CHECK_STR(status("Uid:"), "Uid:\t1000\t1000\t1000\t1000");
        CHECK_ERR(setuid(0), EPERM);
        CHECK_ERR(setresuid(0, 0, 0), EPERM);
        CHECK_ERR(seteuid(0), EPERM);
        CHECK_ERR(setreuid(0, -1), EPERM);
        CHECK_EQ(fsuid_set(0), 1000); /* refused: returns the old value */
        CHECK_EQ(setuid(1000), 0);
        CHECK_ERR(setgroups(0, NULL), EPERM); /* needs CAP_SETGID */
        CHECK_EQ(setgid(0), 0);               /* gid 0 is still the real gid */
        CHECK_ERR(setgid(5), EPERM);
        CHECK_STR(uids(), "1000 1000 1000 1000");
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* seteuid keeps real and saved uid 0: effective capabilities go with
     * euid 0 and come back with it (permitted stays); fsuid follows euid. */
    if ((p = fork_child()) == 0) {
        CHECK_EQ(fsuid_set(1234), 0);
        CHECK_EQ(fsuid_set(-1), 1234);
        CHECK_EQ(seteuid(1000), 0);
        CHECK_STR(uids(), "0 1000 0 1000");
        CHECK_STR(caps(), "none/all");
        CHECK_STR(status("Uid:"), "Uid:\t0\t1000\t0\t1000");
        CHECK_EQ(seteuid(0), 0);
        CHECK_STR(uids(), "0 0 0 0");
        CHECK_STR(caps(), "all/all");
        CHECK_EQ(setresuid(-1, -1, -1), 0);
        CHECK_STR(uids(), "0 0 0 0");
        /* setreuid: a new euid other than the old ruid also becomes the
         * saved uid; ruid 0 keeps the permitted set. */
        CHECK_EQ(setreuid(-1, 1000), 0);
        CHECK_STR(uids(), "0 1000 1000 1000");
        CHECK_STR(caps(), "none/all");
        CHECK_EQ(setreuid(-1, 0), 0); /* back to the real uid: allowed */
        CHECK_STR(uids(), "0 0 1000 0");
        CHECK_STR(caps(), "all/all");
        CHECK_EQ(setreuid(1000, -1), 0); /* a ruid given: suid = euid */
        CHECK_STR(uids(), "1000 0 0 0");
        CHECK_STR(caps(), "all/all");
        CHECK_EQ(setreuid(2000, 3000), 0);
        CHECK_STR(uids(), "2000 3000 3000 3000");
        CHECK_STR(caps(), "none/none");
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* Non-root (1000, 1001, 1002): setuid only to the real or saved uid
     * (not the effective one) and then sets euid and fsuid only;
     * setresuid's ids must each be one of the three. */
    if ((p = fork_child()) == 0) {
        CHECK_EQ(setresuid(1000, 1001, 1002), 0);
        CHECK_STR(uids(), "1000 1001 1002 1001");
        CHECK_STR(caps(), "none/none");
        CHECK_STR(status("Uid:"), "Uid:\t1000\t1001\t1002\t1001");
        CHECK_ERR(setuid(1001), EPERM);
        CHECK_ERR(setuid(2000), EPERM);
        CHECK_ERR(setresuid(2000, -1, -1), EPERM);
        CHECK_ERR(setresuid(-1, -1, 0), EPERM);
        /* setfsuid: to one of real/effective/saved/fs, else ignored. */
        CHECK_EQ(fsuid_set(1000), 1001);
        CHECK_EQ(fsuid_set(2000), 1000);
        CHECK_EQ(fsuid_set(1002), 1000);
        CHECK_STR(status("Uid:"), "Uid:\t1000\t1001\t1002\t1002");
        CHECK_EQ(setuid(1002), 0);
        CHECK_STR(uids(), "1000 1002 1002 1002");
        CHECK_EQ(setuid(1000), 0);
        CHECK_STR(uids(), "1000 1000 1002 1000");
        CHECK_EQ(setresuid(1002, -1, 1000), 0);
        CHECK_STR(uids(), "1002 1000 1000 1000");
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* Non-root setreuid from (1000, 1001, 1002). */
    for (int c = 0; c < 4; c++) {
        if ((p = fork_child()) == 0) {
            CHECK_EQ(setresuid(1000, 1001, 1002), 0);
            if (c == 0) { /* euid to the old ruid: saved uid unchanged */
                CHECK_EQ(setreuid(-1, 1000), 0);
                CHECK_STR(uids(), "1000 1000 1002 1000");
                CHECK_EQ(setreuid(-1, -1), 0);
                CHECK_STR(uids(), "1000 1000 1002 1000");
            } else if (c == 1) { /* euid set, != old ruid: suid = euid */
                CHECK_EQ(setreuid(-1, 1001), 0);
                CHECK_STR(uids(), "1000 1001 1001 1001");
            } else if (c == 2) { /* ruid to the old euid; suid = euid */
                CHECK_EQ(setreuid(1001, -1), 0);
                CHECK_STR(uids(), "1001 1001 1001 1001");
            } else { /* ruid only to old ruid/euid, euid to r/e/s */
                CHECK_ERR(setreuid(1002, -1), EPERM);
                CHECK_ERR(setreuid(-1, 2000), EPERM);
                CHECK_STR(uids(), "1000 1001 1002 1001");
                CHECK_EQ(setreuid(1000, -1), 0);
                CHECK_STR(uids(), "1000 1001 1001 1001");
            }
            check_child_done(g_fork_base);
        }
        wait_ok(p);
    }

    /* The gid calls follow the same rules, with uid 1000 non-root. */
    if ((p = fork_child()) == 0) {
        CHECK_EQ(setgid(500), 0); /* root: all four */
        CHECK_STR(gids(), "500 500 500 500");
        CHECK_EQ(setresgid(1000, 1001, 1002), 0);
        CHECK_STR(gids(), "1000 1001 1002 1001");
        CHECK_EQ(setresuid(1000, 1000, 1000), 0);
        CHECK_ERR(setgid(1001), EPERM);
        CHECK_ERR(setresgid(2000, -1, -1), EPERM);
        CHECK_EQ(setregid(-1, 1001), 0);
        CHECK_STR(gids(), "1000 1001 1001 1001");
        CHECK_ERR(setregid(1002, -1), EPERM);
        CHECK_EQ(setgid(1000), 0);
        CHECK_STR(gids(), "1000 1000 1001 1000");
        CHECK_EQ(setresgid(1001, -1, -1), 0);
        CHECK_STR(gids(), "1001 1000 1001 1000");
        CHECK_EQ(fsgid_set(1001), 1000);
        CHECK_EQ(fsgid_set(2000), 1001);
        CHECK_STR(status("Gid:"), "Gid:\t1001\t1000\t1001\t1001");
        CHECK_EQ(setegid(1001), 0);
        CHECK_STR(gids(), "1001 1001 1001 1001");
        check_child_done(g_fork_base);
    }
    wait_ok(p);
}

/* ---- files ------------------------------------------------------------ */

#define F SCRATCH "/files"

static int dir_lists(const char *path, const char *name) {
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    int found = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)))
        found |= strcmp(entry->d_name, name) == 0;
    closedir(dir);
    return found;
}

static void files_body(void) {
    pid_t p;
    make_dir(F, 0, 0, 0755);
    make_file(F "/own0600", 1000, 1000, 0600);
    make_file(F "/own0077", 1000, 1000, 0077);
    make_file(F "/grp0640", 1001, 1000, 0640);
    make_file(F "/grp0604", 1001, 1000, 0604);
    make_file(F "/oth0604", 1001, 1001, 0604);
    make_file(F "/oth0600", 1001, 1001, 0600);
    make_file(F "/zero", 1001, 1001, 0);
    make_file(F "/noexec", 0, 0, 0644);
    make_dir(F "/d0600", 1000, 1000, 0700);
    make_file(F "/d0600/f", 1000, 1000, 0644);
    CHECK_EQ(chmod(F "/d0600", 0600), 0);
    make_dir(F "/d0300", 1000, 1000, 0300);
    make_dir(F "/d0500", 1000, 1000, 0700);
    make_file(F "/d0500/victim", 1000, 1000, 0644);
    CHECK_EQ(chmod(F "/d0500", 0500), 0);
    make_dir(F "/d0000", 0, 0, 0);
    make_dir(F "/sticky", 0, 0, 01777);
    make_file(F "/sticky/other", 1001, 1001, 0666);
    make_file(F "/sticky/mine", 1000, 1000, 0644);
    make_dir(F "/sgid", 0, 2000, 02777);
    make_dir(F "/w", 0, 0, 0777);

    /* uid 1000, gid 1000, groups {1000}: one class of bits applies, the
     * first that matches (owner, then group, then other), even when it
     * grants less than a later one. */
    if ((p = fork_child()) == 0) {
        become(1000, 1000, 1, g_1000);
        CHECK_EQ(opens(F "/own0600", O_RDONLY), 0);
        CHECK_EQ(opens(F "/own0600", O_WRONLY), 0);
        CHECK_EQ(opens(F "/own0600", O_RDWR), 0);
        CHECK_ERR(open(F "/own0077", O_RDONLY), EACCES);
        CHECK_ERR(open(F "/own0077", O_WRONLY), EACCES);
        CHECK_EQ(opens(F "/grp0640", O_RDONLY), 0);
        CHECK_ERR(open(F "/grp0640", O_WRONLY), EACCES);
        CHECK_ERR(open(F "/grp0640", O_RDWR), EACCES);
        CHECK_ERR(open(F "/grp0604", O_RDONLY), EACCES);
        CHECK_EQ(opens(F "/oth0604", O_RDONLY), 0);
        CHECK_ERR(open(F "/oth0604", O_WRONLY), EACCES);
        CHECK_ERR(open(F "/oth0604", O_RDONLY | O_TRUNC), EACCES); /* O_TRUNC needs w */
        CHECK_ERR(open(F "/oth0600", O_RDONLY), EACCES);
        CHECK_EQ(opens(F "/own0600", O_RDONLY | O_TRUNC), 0); /* truncates */
        struct stat st;
        CHECK_EQ(stat(F "/own0600", &st), 0);
        CHECK_EQ(st.st_size, 0);
        CHECK_EQ(access(F "/own0600", R_OK | W_OK), 0);
        CHECK_ERR(access(F "/own0600", X_OK), EACCES);
        CHECK_EQ(access(F "/own0077", F_OK), 0);
        CHECK_ERR(access(F "/own0077", R_OK), EACCES);
        CHECK_EQ(access(F "/oth0604", R_OK), 0);
        CHECK_ERR(access(F "/oth0604", W_OK), EACCES);
        /* Every directory on a path needs x; r alone lists names. */
        CHECK_ERR(open(F "/d0600/f", O_RDONLY), EACCES);
        CHECK_ERR(stat(F "/d0600/f", &st), EACCES);
        CHECK_ERR(access(F "/d0600/f", F_OK), EACCES);
        CHECK_EQ(stat(F "/d0600", &st), 0);
        CHECK_EQ(dir_lists(F "/d0600", "f"), 1);
        CHECK_ERR(creates(F "/d0600/new", 0644), EACCES); /* w without x */
        /* w+x without r: create and remove, but not list. */
        CHECK_ERR(open(F "/d0300", O_RDONLY | O_DIRECTORY), EACCES);
        CHECK_EQ(creates(F "/d0300/new", 0644), 0);
        CHECK_EQ(stat(F "/d0300/new", &st), 0);
        CHECK_EQ(unlink(F "/d0300/new"), 0);
        /* r+x without w: nothing created, removed or renamed there. */
        CHECK_ERR(creates(F "/d0500/new", 0644), EACCES);
        CHECK_ERR(mkdir(F "/d0500/new", 0755), EACCES);
        CHECK_ERR(unlink(F "/d0500/victim"), EACCES);
        CHECK_ERR(rename(F "/d0500/victim", F "/d0500/v2"), EACCES);
        CHECK_EQ(creates(F "/w/mine", 0644), 0);
        CHECK_ERR(rename(F "/w/mine", F "/d0500/mine"), EACCES);
        CHECK_ERR(rename(F "/d0500/victim", F "/w/victim"), EACCES);
        CHECK_EQ(unlink(F "/w/mine"), 0);
        /* Sticky directory: only the file's (or the directory's) owner
         * removes or renames it, or replaces it by rename: EPERM. */
        CHECK_ERR(unlink(F "/sticky/other"), EPERM);
        CHECK_ERR(rename(F "/sticky/other", F "/sticky/o2"), EPERM);
        CHECK_ERR(rename(F "/sticky/mine", F "/sticky/other"), EPERM);
        CHECK_EQ(creates(F "/sticky/new", 0644), 0);
        CHECK_STR(owner_of(F "/sticky/new"), "1000:1000");
        CHECK_EQ(rename(F "/sticky/new", F "/sticky/new2"), 0);
        CHECK_EQ(unlink(F "/sticky/new2"), 0);
        CHECK_EQ(unlink(F "/sticky/mine"), 0);
        CHECK_STR(owner_of(F "/sticky/other"), "1001:1001");
        /* Setgid directory: new files take its group, new directories its
         * group and setgid bit; a created file's S_ISGID (with g+x) is
         * dropped when the creator is not in that group. */
        umask(0);
        CHECK_EQ(creates(F "/sgid/f", 0644), 0);
        CHECK_STR(owner_of(F "/sgid/f"), "1000:2000");
        CHECK_EQ(mkdir(F "/sgid/sub", 0755), 0);
        CHECK_STR(owner_of(F "/sgid/sub"), "1000:2000");
        CHECK_EQ(mode_of(F "/sgid/sub"), 02755);
        CHECK_EQ(creates(F "/sgid/g", 02755), 0);
        CHECK_EQ(mode_of(F "/sgid/g"), 0755);
        CHECK_EQ(creates(F "/w/sg", 02755), 0); /* own group: kept */
        CHECK_EQ(mode_of(F "/w/sg"), 02755);
        /* umask: applied to creation, not to chmod. */
        CHECK_EQ(umask(022), 0);
        CHECK_EQ(creates(F "/w/u", 0666), 0);
        CHECK_EQ(mode_of(F "/w/u"), 0644);
        CHECK_EQ(mkdir(F "/w/ud", 0777), 0);
        CHECK_EQ(mode_of(F "/w/ud"), 0755);
        CHECK_EQ(umask(077), 022);
        CHECK_EQ(creates(F "/w/u2", 0666), 0);
        CHECK_EQ(mode_of(F "/w/u2"), 0600);
        CHECK_EQ(chmod(F "/w/u2", 0666), 0);
        CHECK_EQ(mode_of(F "/w/u2"), 0666);
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* access() checks the real ids, faccessat(AT_EACCESS) and open the
     * effective (fs) ones: real 1000, effective 1001. */
    if ((p = fork_child()) == 0) {
        CHECK_EQ(setgroups(1, g_1000), 0);
        CHECK_EQ(setresgid(1000, 1000, 1000), 0);
        CHECK_EQ(setresuid(1000, 1001, 1001), 0);
        CHECK_EQ(access(F "/own0600", R_OK), 0);
        CHECK_ERR(faccessat(AT_FDCWD, F "/own0600", R_OK, AT_EACCESS), EACCES);
        CHECK_ERR(open(F "/own0600", O_RDONLY), EACCES);
        CHECK_ERR(access(F "/oth0600", R_OK), EACCES);
        CHECK_EQ(faccessat(AT_FDCWD, F "/oth0600", R_OK, AT_EACCESS), 0);
        CHECK_EQ(opens(F "/oth0600", O_RDONLY), 0);
        /* faccessat2 with AT_EMPTY_PATH checks the descriptor's file. */
        int held = open(F "/oth0600", O_PATH);
        CHECK(held >= 0);
        CHECK_ERR(syscall(SYS_faccessat2, held, "", R_OK, AT_EMPTY_PATH), EACCES);
        CHECK_EQ(syscall(SYS_faccessat2, held, "", R_OK, AT_EMPTY_PATH | AT_EACCESS), 0);
        close(held);
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* Real uid 0, effective 1000: access() runs with real root's
     * (permitted) capabilities, open and AT_EACCESS without any. */
    if ((p = fork_child()) == 0) {
        CHECK_EQ(seteuid(1000), 0);
        CHECK_ERR(open(F "/zero", O_RDONLY), EACCES);
        CHECK_EQ(access(F "/zero", R_OK | W_OK), 0);
        CHECK_ERR(faccessat(AT_FDCWD, F "/zero", R_OK, AT_EACCESS), EACCES);
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* Root reads and writes anything and searches any directory, but
     * executes only files with at least one x bit. */
    if ((p = fork_child()) == 0) {
        CHECK_EQ(opens(F "/zero", O_RDWR), 0);
        CHECK_EQ(access(F "/zero", R_OK | W_OK), 0);
        CHECK_ERR(access(F "/zero", X_OK), EACCES);
        CHECK_ERR(access(F "/noexec", X_OK), EACCES);
        CHECK_ERR(execl(F "/noexec", "noexec", (char *)NULL), EACCES);
        CHECK_EQ(access(F "/d0000", R_OK | W_OK | X_OK), 0);
        CHECK_EQ(dir_lists(F "/d0000", "."), 1);
        CHECK_EQ(creates(F "/d0500/root", 0644), 0);
        CHECK_EQ(unlink(F "/d0500/root"), 0);
        /* New files are owned by fsuid:fsgid. A nonzero fsuid takes the
         * file-system capabilities (CAP_FS_SET) out of the effective set;
         * fsuid 0 again restores them from the permitted set. */
        CHECK_EQ(fsuid_set(1234), 0);
        CHECK_EQ(fsgid_set(4321), 0);
        CHECK_STR(caps(), "all-fs/all");
        CHECK_EQ(creates(F "/sticky/byfs", 0644), 0);
        CHECK_STR(owner_of(F "/sticky/byfs"), "1234:4321");
        CHECK_ERR(open(F "/oth0600", O_RDONLY), EACCES);
        CHECK_EQ(fsuid_set(0), 1234);
        CHECK_STR(caps(), "all/all");
        CHECK_EQ(opens(F "/oth0600", O_RDONLY), 0);
        CHECK_EQ(unlink(F "/sticky/byfs"), 0);
        check_child_done(g_fork_base);
    }
    wait_ok(p);
}

/* ---- attrs ------------------------------------------------------------ */

#define A SCRATCH "/attrs"

static int write_one(const char *path) {
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    int n = (int)write(fd, "x", 1);
    close(fd);
    return n;
}

static void attrs_body(void) {
    pid_t p;
    make_dir(A, 0, 0, 0755);
    make_file(A "/mine", 1000, 1000, 0644);
    make_file(A "/sup", 1000, 3000, 0644);
    make_file(A "/sg", 1000, 2000, 0755);
    make_file(A "/other", 1001, 1001, 0666);
    make_file(A "/ro", 1001, 1001, 0644);
    make_file(A "/mine_ro", 1000, 1000, 0444);
    make_file(A "/chsuid", 1000, 1000, 06755);
    make_file(A "/wsuid", 1000, 1000, 04755);
    make_file(A "/wsgx", 1000, 1000, 06775);
    make_file(A "/wsgnx", 1000, 1000, 02664);
    make_file(A "/tsuid", 1000, 1000, 04755);
    make_file(A "/rsuid", 1000, 1000, 06755);
    make_file(A "/rsgnx", 1000, 1000, 02644);
    make_file(A "/rwsuid", 1000, 1000, 04755);
    make_file(A "/rnochg", 1000, 1000, 04755);

    if ((p = fork_child()) == 0) {
        const gid_t groups[] = { 1000, 3000 };
        become(1000, 1000, 2, groups);
        /* chmod: owner only, even for a world-writable file. */
        CHECK_ERR(chmod(A "/other", 0600), EPERM);
        CHECK_EQ(mode_of(A "/other"), 0666);
        CHECK_EQ(chmod(A "/mine", 02755), 0); /* in the file's group: kept */
        CHECK_EQ(mode_of(A "/mine"), 02755);
        CHECK_EQ(chmod(A "/sup", 02755), 0); /* supplementary group counts */
        CHECK_EQ(mode_of(A "/sup"), 02755);
        CHECK_EQ(chmod(A "/sg", 02755), 0);  /* not in group 2000: S_ISGID */
        CHECK_EQ(mode_of(A "/sg"), 0755);    /* silently dropped */
        CHECK_EQ(chmod(A "/sg", 04755), 0);
        CHECK_EQ(mode_of(A "/sg"), 04755);
        /* chown: the uid only to itself; the group only to one of ours. */
        CHECK_ERR(chown(A "/mine", 1001, -1), EPERM);
        CHECK_EQ(chown(A "/mine", 1000, -1), 0);
        CHECK_EQ(chmod(A "/mine", 0644), 0);
        CHECK_EQ(chown(A "/mine", -1, 3000), 0);
        CHECK_STR(owner_of(A "/mine"), "1000:3000");
        CHECK_ERR(chown(A "/mine", -1, 4000), EPERM);
        CHECK_ERR(chown(A "/other", -1, 1000), EPERM);
        CHECK_ERR(chown(A "/other", 1000, -1), EPERM);
        /* chown clears S_ISUID, and S_ISGID when g+x, of regular files. */
        CHECK_EQ(chown(A "/chsuid", -1, 3000), 0);
        CHECK_EQ(mode_of(A "/chsuid"), 0755);
        /* A write (or truncate) by a process without CAP_FSETID clears
         * S_ISUID, and S_ISGID if g+x (without g+x it is a locking mark). */
        CHECK_EQ(write_one(A "/wsuid"), 1);
        CHECK_EQ(mode_of(A "/wsuid"), 0755);
        CHECK_EQ(write_one(A "/wsgx"), 1);
        CHECK_EQ(mode_of(A "/wsgx"), 0775);
        CHECK_EQ(write_one(A "/wsgnx"), 1);
        CHECK_EQ(mode_of(A "/wsgnx"), 02664);
        CHECK_EQ(truncate(A "/tsuid", 1), 0);
        CHECK_EQ(mode_of(A "/tsuid"), 0755);
        /* utimensat: "now" (NULL, or UTIME_NOW twice) needs owner or write
         * permission (else EACCES); explicit times need owner (EPERM). */
        struct timespec times[2] = { { 1000000, 0 }, { 2000000, 0 } };
        struct timespec nows[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
        CHECK_ERR(utimensat(AT_FDCWD, A "/ro", NULL, 0), EACCES);
        CHECK_ERR(utimensat(AT_FDCWD, A "/ro", nows, 0), EACCES);
        CHECK_ERR(utimensat(AT_FDCWD, A "/ro", times, 0), EPERM);
        CHECK_EQ(utimensat(AT_FDCWD, A "/other", NULL, 0), 0);
        CHECK_EQ(utimensat(AT_FDCWD, A "/other", nows, 0), 0);
        CHECK_ERR(utimensat(AT_FDCWD, A "/other", times, 0), EPERM);
        struct timespec now_omit[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
        struct timespec omit_omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
        /* One UTIME_NOW (with UTIME_OMIT) counts as explicit; two
         * UTIME_OMITs change nothing and need nothing. */
        CHECK_ERR(utimensat(AT_FDCWD, A "/other", now_omit, 0), EPERM);
        CHECK_EQ(utimensat(AT_FDCWD, A "/ro", omit_omit, 0), 0);
        CHECK_EQ(utimensat(AT_FDCWD, A "/mine_ro", NULL, 0), 0);
        CHECK_EQ(utimensat(AT_FDCWD, A "/mine_ro", times, 0), 0);
        struct stat st;
        CHECK_EQ(stat(A "/mine_ro", &st), 0);
        CHECK_EQ(st.st_mtime, 2000000);
        CHECK_EQ(st.st_atime, 1000000);
        /* truncate needs write permission (the owner's bits for the
         * owner); ftruncate needs a descriptor open for writing. */
        CHECK_ERR(truncate(A "/ro", 0), EACCES);
        CHECK_ERR(truncate(A "/mine_ro", 0), EACCES);
        CHECK_EQ(truncate(A "/other", 2), 0);
        int fd = open(A "/other", O_RDONLY);
        CHECK(fd >= 0);
        CHECK_ERR(ftruncate(fd, 0), EINVAL);
        close(fd);
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* Root: chown still clears the set-id bits (S_ISGID only with g+x);
     * root's own write keeps them (CAP_FSETID); DAC overrides. */
    if ((p = fork_child()) == 0) {
        CHECK_EQ(chown(A "/rsuid", 1001, 1001), 0);
        CHECK_EQ(mode_of(A "/rsuid"), 0755);
        CHECK_EQ(chown(A "/rsgnx", 1001, 1001), 0);
        CHECK_EQ(mode_of(A "/rsgnx"), 02644);
        CHECK_EQ(chown(A "/rnochg", -1, -1), 0); /* even changing nothing */
        CHECK_EQ(mode_of(A "/rnochg"), 0755);
        CHECK_EQ(write_one(A "/rwsuid"), 1);
        CHECK_EQ(mode_of(A "/rwsuid"), 04755);
        CHECK_EQ(truncate(A "/mine_ro", 0), 0);
        struct timespec times[2] = { { 5, 0 }, { 6, 0 } };
        CHECK_EQ(utimensat(AT_FDCWD, A "/ro", times, 0), 0);
        CHECK_EQ(chmod(A "/ro", 0600), 0);
        check_child_done(g_fork_base);
    }
    wait_ok(p);
}

/* ---- exec ------------------------------------------------------------- */

#define E SCRATCH "/exec"

/* Runs `path --exec-child FD` in a child and returns what the new image
 * reports through the pipe (see exec_child), or execve's errno name. */
static const char *run_exec(const char *path) {
    static char text[128];
    int fds[2];
    strcpy(text, "(no report)");
    if (pipe(fds) != 0)
        return text;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char fd_text[16];
        close(fds[0]);
        snprintf(fd_text, sizeof fd_text, "%d", fds[1]);
        execl(path, path, "--exec-child", fd_text, (char *)NULL);
        const char *name = strerrorname_np(errno);
        (void)!write(fds[1], name, strlen(name));
        _exit(0);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], text, sizeof text - 1);
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid || status != 0 || n <= 0)
        return "(child failed)";
    text[n] = 0;
    return text;
}

/* The exec'd image: "UIDS, GIDS, secure AT_SECURE, CAPS". */
static int exec_child(const char *fd_text) {
    char text[200];
    int n = snprintf(text, sizeof text, "%s, ", uids());
    n += snprintf(text + n, sizeof text - n, "%s, secure %lu, %s", gids(), getauxval(AT_SECURE), caps());
    return write(atoi(fd_text), text, n) == n ? 0 : 3;
}

static void exec_body(void) {
    pid_t p;
    make_dir(E, 0, 0, 0755);
    copy_self(E "/plain", 0, 0, 0755);
    copy_self(E "/suid", 0, 0, 04755);
    copy_self(E "/sgid", 0, 2000, 02755);
    copy_self(E "/suid1001", 1001, 1001, 04755);
    copy_self(E "/owneronly", 1001, 1001, 0700);
    copy_self(E "/nox", 0, 0, 0644);
    make_dir(E "/dir", 0, 0, 0755);
    make_dir(E "/ns", 0, 0, 0755);
    CHECK_EQ(mount("none", E "/ns", "tmpfs", MS_NOSUID, "size=4m"), 0);
    copy_self(E "/ns/suid", 0, 0, 04755);
    CHECK_EQ(mode_of(E "/ns/suid"), 04755);

    /* Root runs anything with an x bit; no AT_SECURE for plain root. */
    CHECK_STR(run_exec(E "/owneronly"), "0 0 0 0, 0 0 0 0, secure 0, all/all");
    CHECK_STR(run_exec(E "/nox"), "EACCES");
    CHECK_STR(run_exec(E "/dir"), "EACCES");

    if ((p = fork_child()) == 0) {
        become(1000, 1000, 1, g_1000);
        /* exec sets saved = effective; setuid/setgid files set the
         * effective id to the file's owner/group; AT_SECURE when the ids
         * changed; a setuid-root program gets every capability. */
        CHECK_STR(run_exec(E "/plain"), "1000 1000 1000 1000, 1000 1000 1000 1000, secure 0, none/none");
        CHECK_STR(run_exec(E "/suid"), "1000 0 0 0, 1000 1000 1000 1000, secure 1, all/all");
        CHECK_STR(run_exec(E "/sgid"), "1000 1000 1000 1000, 1000 2000 2000 2000, secure 1, none/none");
        CHECK_STR(run_exec(E "/suid1001"), "1000 1001 1001 1001, 1000 1000 1000 1000, secure 1, none/none");
        /* nosuid mounts: the set-id bits are ignored. */
        CHECK_STR(run_exec(E "/ns/suid"), "1000 1000 1000 1000, 1000 1000 1000 1000, secure 0, none/none");
        CHECK_STR(run_exec(E "/owneronly"), "EACCES");
        CHECK_STR(run_exec(E "/nox"), "EACCES");
        CHECK_STR(run_exec(E "/dir"), "EACCES");
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* euid != ruid before exec: saved uid := euid, and AT_SECURE even
     * for a plain file (Linux's secureexec: euid != real uid). */
    if ((p = fork_child()) == 0) {
        CHECK_EQ(setresgid(1000, 1000, 1000), 0);
        CHECK_EQ(setresuid(1000, 1001, 1002), 0);
        CHECK_STR(run_exec(E "/plain"), "1000 1001 1001 1001, 1000 1000 1000 1000, secure 1, none/none");
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    CHECK_EQ(umount(E "/ns"), 0);
}

/* ---- kill ------------------------------------------------------------- */

/* A target that sets its uids (root stays root when r < 0), optionally
 * becomes a session leader, reports ready through the pipe, and waits. */
static pid_t target(int r, int e, int s, int new_session) {
    int fds[2];
    char byte;
    CHECK_EQ(pipe(fds), 0);
    pid_t pid = fork_child();
    if (pid == 0) {
        if (r >= 0 && setresuid(r, e, s) != 0)
            _exit(5);
        if (new_session && setsid() < 0)
            _exit(6);
        (void)!write(fds[1], "r", 1);
        for (;;)
            pause();
    }
    close(fds[1]);
    CHECK_EQ(read(fds[0], &byte, 1), 1);
    close(fds[0]);
    return pid;
}

static volatile sig_atomic_t g_usr1;
static void on_usr1(int sig) { g_usr1 += sig == SIGUSR1; }

static void kill_body(void) {
    pid_t p;
    pid_t root_target = target(-1, 0, 0, 0);
    pid_t root_leader = target(-1, 0, 0, 1);
    pid_t by_suid = target(2000, 2000, 1000, 0);
    pid_t by_ruid = target(1000, 2000, 2000, 0);
    pid_t by_euid = target(2000, 1000, 2000, 0);

    /* Non-root may signal a process whose real or saved uid is its real
     * or effective uid; the target's effective uid does not count. */
    if ((p = fork_child()) == 0) {
        become(1000, 1000, 1, g_1000);
        CHECK_ERR(kill(root_target, 0), EPERM);
        CHECK_ERR(kill(root_target, SIGTERM), EPERM);
        CHECK_EQ(kill(by_suid, 0), 0);
        CHECK_EQ(kill(by_ruid, 0), 0);
        CHECK_ERR(kill(by_euid, 0), EPERM);
        /* SIGCONT goes to any process of the same session. */
        CHECK_EQ(kill(root_target, SIGCONT), 0);
        CHECK_ERR(kill(root_leader, SIGCONT), EPERM);
        CHECK_ERR(kill(root_leader, 0), EPERM);
        CHECK_ERR(kill(4000000, 0), ESRCH);
        pid_t sibling = fork_child();
        if (sibling == 0) {
            for (;;)
                pause();
        }
        CHECK_EQ(kill(sibling, 0), 0);
        CHECK_EQ(kill(sibling, SIGKILL), 0);
        check_child_status(sibling, 0, SIGKILL);
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* kill(-1, sig) as uid 4242: every process it may signal except
     * itself (the sibling), none it may not (the root targets are
     * SIGKILLed below, so a stray SIGUSR1 would show in their status). */
    if ((p = fork_child()) == 0) {
        become(4242, 4242, 0, NULL);
        pid_t sibling = fork_child();
        if (sibling == 0) {
            for (;;)
                pause();
        }
        signal(SIGUSR1, on_usr1); /* the sibling keeps the default: dies */
        CHECK_EQ(kill(-1, SIGUSR1), 0);
        check_child_status(sibling, 0, SIGUSR1);
        CHECK_EQ(g_usr1, 0);
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* With no process it may signal, kill(-1, 0) still returns 0: Linux
     * reports EPERM from single targets, not from the broadcast (only
     * ESRCH when there is no other process at all). */
    if ((p = fork_child()) == 0) {
        become(4343, 4343, 0, NULL);
        CHECK_EQ(kill(-1, 0), 0);
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* Root signals anyone. */
    pid_t targets[] = { root_target, root_leader, by_suid, by_ruid, by_euid };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        CHECK_EQ(kill(targets[i], 0), 0);
        CHECK_EQ(kill(targets[i], SIGKILL), 0);
        check_child_status(targets[i], 0, SIGKILL);
    }
    /* waitid reports the child's real user in si_uid (a child that became
     * uid 1234 before it exited). */
    pid_t child = fork();
    if (child == 0) {
        if (setresuid(1234, 1234, 1234) != 0)
            _exit(2);
        _exit(7);
    }
    CHECK(child > 0);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK_EQ(waitid(P_PID, (id_t)child, &info, WEXITED), 0);
    CHECK_EQ(info.si_pid, child);
    CHECK_EQ(info.si_uid, 1234);
    CHECK_EQ(info.si_code, CLD_EXITED);
    CHECK_EQ(info.si_status, 7);
}

/* ---- privileged ------------------------------------------------------- */

#define P SCRATCH "/priv"

static int bind_port(int type, int port) {
    int fd = socket(AF_INET, type, 0);
    if (fd < 0)
        return -2;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) }; /* INADDR_ANY */
    int r = bind(fd, (struct sockaddr *)&addr, sizeof addr);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

static long raw_reboot(unsigned magic, unsigned cmd) {
    return syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, magic, cmd, NULL);
}

static void privileged_body(void) {
    pid_t p;
    make_dir(P, 0, 0, 0755);
    make_dir(P "/w", 0, 0, 0777);
    make_dir(P "/m", 0, 0, 0755);
    struct rlimit lim;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
    CHECK(lim.rlim_max > 1);

    if ((p = fork_child()) == 0) {
        become(1000, 1000, 1, g_1000);
        CHECK_ERR(mount("none", P "/m", "tmpfs", 0, NULL), EPERM);
        CHECK_ERR(umount(P "/m"), EPERM);
        CHECK_ERR(sethostname("x", 1), EPERM);
        CHECK_ERR(setdomainname("x", 1), EPERM);
        /* (clock_settime/settimeofday are EPERM here on Linux; Akuma has
         * no settable clock at all: ENOSYS for everyone, docs/SECURITY.md.) */
        CHECK_ERR(chroot(P), EPERM);
        /* reboot checks the capability before the magic numbers. */
        CHECK_ERR(raw_reboot(LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF), EPERM);
        CHECK_ERR(raw_reboot(0x1234, LINUX_REBOOT_CMD_CAD_OFF), EPERM);
        /* mknod: devices need CAP_MKNOD; fifos and regular files do not. */
        CHECK_ERR(mknod(P "/w/cdev", S_IFCHR | 0600, makedev(1, 3)), EPERM);
        CHECK_ERR(mknod(P "/w/bdev", S_IFBLK | 0600, makedev(7, 0)), EPERM);
        CHECK_EQ(mknod(P "/w/fifo", S_IFIFO | 0600, 0), 0);
        struct stat st;
        CHECK_EQ(stat(P "/w/fifo", &st), 0);
        CHECK(S_ISFIFO(st.st_mode));
        CHECK_EQ(unlink(P "/w/fifo"), 0);
        CHECK_EQ(mknod(P "/w/reg", S_IFREG | 0600, 0), 0);
        CHECK_EQ(unlink(P "/w/reg"), 0);
        /* Ports below net.ipv4.ip_unprivileged_port_start (1024). */
        CHECK_ERR(bind_port(SOCK_STREAM, 80), EACCES);
        CHECK_ERR(bind_port(SOCK_STREAM, 1023), EACCES);
        CHECK_ERR(bind_port(SOCK_DGRAM, 1023), EACCES);
        CHECK_EQ(bind_port(SOCK_STREAM, 1024), 0);
        CHECK_EQ(bind_port(SOCK_DGRAM, 1024), 0);
        /* A hard limit goes down for good; soft above hard is EINVAL. */
        struct rlimit lower = { lim.rlim_max - 1, lim.rlim_max - 1 };
        CHECK_EQ(setrlimit(RLIMIT_NOFILE, &lower), 0);
        CHECK_ERR(setrlimit(RLIMIT_NOFILE, &lim), EPERM);
        struct rlimit inverted = { lim.rlim_max - 1, lim.rlim_max - 2 };
        CHECK_ERR(setrlimit(RLIMIT_NOFILE, &inverted), EINVAL);
        /* Nice: up freely, down needs CAP_SYS_NICE (RLIMIT_NICE is 0):
         * EACCES; another user's process: EPERM. */
        errno = 0;
        int nice = getpriority(PRIO_PROCESS, 0);
        CHECK_EQ(errno, 0);
        CHECK_ERR(setpriority(PRIO_PROCESS, 0, nice - 1), EACCES);
        CHECK_EQ(setpriority(PRIO_PROCESS, 0, nice + 1), 0);
        CHECK_ERR(setpriority(PRIO_PROCESS, 0, nice), EACCES);
        CHECK_ERR(setpriority(PRIO_PROCESS, getppid(), nice + 1), EPERM);
        check_child_done(g_fork_base);
    }
    wait_ok(p);

    /* Root may (only what is harmless to do is done). */
    if ((p = fork_child()) == 0) {
        CHECK_EQ(raw_reboot(LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF), 0);
        CHECK_EQ(raw_reboot(LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_ON), 0); /* the default */
        CHECK_ERR(raw_reboot(0x1234, LINUX_REBOOT_CMD_CAD_OFF), EINVAL);
        CHECK_EQ(mknod(P "/w/cdev", S_IFCHR | 0600, makedev(1, 3)), 0);
        CHECK_EQ(unlink(P "/w/cdev"), 0);
        CHECK_EQ(bind_port(SOCK_STREAM, 1023), 0);
        struct rlimit lower = { lim.rlim_max - 1, lim.rlim_max - 1 };
        CHECK_EQ(setrlimit(RLIMIT_NOFILE, &lower), 0);
        CHECK_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
        errno = 0;
        int nice = getpriority(PRIO_PROCESS, 0);
        CHECK_EQ(setpriority(PRIO_PROCESS, 0, nice - 1), 0);
        CHECK_EQ(chroot(P), 0);
        check_child_done(g_fork_base);
    }
    wait_ok(p);
}

/* ---- main ------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}
static void remove_scratch(void) {
    umount2(E "/ns", MNT_DETACH);
    nftw(SCRATCH, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void run_group(const char *title, void (*body)(void)) {
    check_begin(title);
    pid_t p = fork_child();
    if (p == 0) {
        body();
        check_child_done(g_fork_base);
    }
    wait_ok(p);
    check_end();
}

/* A child that exits at once, reaped: whether fork and waitpid both worked. */
static int fork_and_reap(void) {
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    return child > 0 && waitpid(child, NULL, 0) == child;
}

/* RLIMIT_NPROC counts the tasks of the real user (Linux's copy_process):
 * uid 4343 with a soft limit of 4 has itself and three children, then
 * fork is EAGAIN; a thread counts too; root is exempt. The children wait
 * on a pipe and are reaped before the group ends. */
static void nproc_body(void) {
    pid_t p;
    if ((p = fork_child()) == 0) {
        become(4343, 4343, 0, NULL);
        struct rlimit limit = { 4, 4 };
        CHECK_EQ(setrlimit(RLIMIT_NPROC, &limit), 0);
        int hold[2];
        CHECK_EQ(pipe(hold), 0);
        pid_t children[4];
        int made = 0;
        for (int i = 0; i < 4; i++) {
            pid_t child = fork();
            if (child == 0) {
                char byte;
                close(hold[1]);
                (void)!read(hold[0], &byte, 1);
                _exit(0);
            }
            if (child < 0) {
                int error = errno; /* (CHECK_EQ clears errno first) */
                CHECK_EQ(error, EAGAIN);
                break;
            }
            children[made++] = child;
        }
        CHECK_EQ(made, 3); /* with this process, four tasks of uid 4343 */
        CHECK_ERR(fork(), EAGAIN);
        close(hold[1]);
        for (int i = 0; i < made; i++)
            CHECK_EQ(waitpid(children[i], NULL, 0), children[i]);
        /* Reaped: room again. */
        CHECK(fork_and_reap());
        check_child_done(g_fork_base);
    }
    wait_ok(p);
    /* Root is exempt from its own RLIMIT_NPROC. */
    if ((p = fork_child()) == 0) {
        struct rlimit limit = { 1, 1 };
        CHECK_EQ(setrlimit(RLIMIT_NPROC, &limit), 0);
        CHECK(fork_and_reap());
        check_child_done(g_fork_base);
    }
    wait_ok(p);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_argv0 = argv[0];
    if (argc == 3 && strcmp(argv[1], "--exec-child") == 0)
        return exec_child(argv[2]);
    alarm(300);
    static const struct {
        const char *name, *title;
        void (*body)(void);
    } groups[] = {
        { "ids", "ids: set*id rules, setfs*id, groups, capabilities, /proc/self/status", ids_body },
        { "files", "files: permission bits, directories, sticky, root, new owners, umask", files_body },
        { "attrs", "attrs: chmod/chown/utimensat/truncate rules, set-id bits cleared", attrs_body },
        { "exec", "exec: setuid/setgid programs, AT_SECURE, nosuid, EACCES", exec_body },
        { "kill", "kill: who may signal whom", kill_body },
        { "privileged", "privileged: EPERM/EACCES for uid 1000, allowed for root", privileged_body },
        { "nproc", "nproc: RLIMIT_NPROC per real user, root exempt", nproc_body },
    };
    const char *only = argc > 1 ? argv[1] : NULL;
    int made_tmp = mkdir("/tmp", 01777) == 0, mounted_proc = 0;
    if (access("/proc/self/status", R_OK) != 0) {
        mkdir("/proc", 0555);
        mounted_proc = mount("proc", "/proc", "proc", 0, NULL) == 0;
    }
    remove_scratch();
    CHECK_EQ(mkdir(SCRATCH, 0755), 0);
    CHECK_EQ(chmod(SCRATCH, 0755), 0); /* whatever the umask */
    umask(022);
    int ran = 0;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        if (!only || strcmp(only, groups[i].name) == 0) {
            run_group(groups[i].title, groups[i].body);
            ran++;
        }
    }
    remove_scratch();
    if (mounted_proc)
        umount("/proc");
    if (made_tmp)
        rmdir("/tmp");
    if (!ran) {
        printf("creds: unknown test '%s'\n", only);
        return 2;
    }
    check_exit();
    return 0;
}
