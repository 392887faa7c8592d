/* /proc's formats and key values, as busybox ps/top/free/uptime read them:
 * the calling process's own files (stat, status, cmdline, environ, comm,
 * maps, exe, fd/) and the system ones (meminfo, uptime, loadavg), and
 * /proc/sys/vm/drop_caches.
 * The program re-executes itself once with an extra environment variable so
 * that environ has a known entry. Validated on Linux (linux-ref). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "check.h"

#define MARK_NAME "AKUMA_PROCFS_MARK"
#define MARK_VALUE "proc-text-42"

static int g_argc;
static char **g_argv;

/* The whole file (NUL-terminated for convenience; *length has the bytes). */
static char *slurp(const char *path, size_t *length) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    size_t capacity = 4096, used = 0;
    char *data = malloc(capacity + 1);
    for (;;) {
        if (used == capacity) {
            capacity *= 2;
            data = realloc(data, capacity + 1);
        }
        ssize_t got = read(fd, data + used, capacity - used);
        if (got <= 0)
            break;
        used += (size_t)got;
    }
    close(fd);
    data[used] = '\0';
    if (length)
        *length = used;
    return data;
}

/* The value after "Name:\t" on the line starting with `name`, or NULL. */
static const char *status_field(const char *status, const char *name) {
    size_t length = strlen(name);
    for (const char *line = status; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, name, length) == 0 && line[length] == ':')
            return line + length + 1 + strspn(line + length + 1, " \t");
    }
    return NULL;
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void test_self_stat(void) {
    check_begin("self_stat");
    char *stat = slurp("/proc/self/stat", NULL);
    CHECK(stat != NULL);
    if (stat) {
        char *open_paren = strchr(stat, '(');
        char *close_paren = strrchr(stat, ')');
        CHECK(open_paren && close_paren && close_paren > open_paren);
        if (open_paren && close_paren) {
            CHECK_EQ(atoi(stat), getpid());
            char comm[64] = {0};
            size_t comm_length = (size_t)(close_paren - open_paren - 1);
            memcpy(comm, open_paren + 1, comm_length < 63 ? comm_length : 63);
            char expected[16] = {0};
            strncpy(expected, base_name(g_argv[0]), 15);
            CHECK(strcmp(comm, expected) == 0);
            /* Fields 3..52 follow the comm. */
            unsigned long long field[53] = {0};
            char *cursor = close_paren + 2;
            char state = *cursor++;
            int count = 3;
            while (*cursor == ' ') {
                cursor++;
                field[++count] = strtoull(cursor, &cursor, 10);
            }
            CHECK_EQ(count, 52);
            CHECK(state == 'R');
            CHECK_EQ((long)field[4], getppid());
            CHECK_EQ((long)field[5], getpgrp());
            CHECK_EQ((long)field[6], getsid(0));
            CHECK_EQ((long)field[20], 1);  /* num_threads */
            CHECK(field[23] > 0);          /* vsize */
            CHECK(field[24] > 0);          /* rss */
            /* arg_start..arg_end holds argv's strings. */
            size_t args = 0;
            for (int i = 0; i < g_argc; i++)
                args += strlen(g_argv[i]) + 1;
            CHECK_EQ((long)(field[49] - field[48]), (long)args);
            CHECK(field[48] == (uintptr_t)g_argv[0]);
            /* starttime is in clock ticks after boot: not after now. */
            double uptime = 0;
            char *text = slurp("/proc/uptime", NULL);
            CHECK(text && sscanf(text, "%lf", &uptime) == 1);
            free(text);
            CHECK(field[22] <= (unsigned long long)(uptime * 100) + 1);
        }
        free(stat);
    }
    char *statm = slurp("/proc/self/statm", NULL);
    unsigned long size = 0, resident = 0, shared = 0, text = 0, lib = 1, data = 0, dt = 1;
    CHECK(statm && sscanf(statm, "%lu %lu %lu %lu %lu %lu %lu", &size, &resident, &shared, &text, &lib, &data,
                          &dt) == 7);
    CHECK(size > 0 && resident > 0 && resident <= size && lib == 0 && dt == 0);
    free(statm);
    check_end();
}

static void test_self_status(void) {
    check_begin("self_status");
    char *status = slurp("/proc/self/status", NULL);
    CHECK(status != NULL);
    if (status) {
        const char *name = status_field(status, "Name");
        char expected[16] = {0};
        strncpy(expected, base_name(g_argv[0]), 15);
        CHECK(name && strncmp(name, expected, strlen(expected)) == 0 && name[strlen(expected)] == '\n');
        const char *pid = status_field(status, "Pid");
        CHECK(pid && atoi(pid) == getpid());
        const char *tgid = status_field(status, "Tgid");
        CHECK(tgid && atoi(tgid) == getpid());
        const char *ppid = status_field(status, "PPid");
        CHECK(ppid && atoi(ppid) == getppid());
        const char *threads = status_field(status, "Threads");
        CHECK(threads && atoi(threads) == 1);
        const char *state = status_field(status, "State");
        CHECK(state && strncmp(state, "R (running)", 11) == 0);
        const char *umask_line = status_field(status, "Umask");
        mode_t mask = umask(022);
        umask(mask);
        CHECK(umask_line && strtoul(umask_line, NULL, 8) == mask);
        CHECK(status_field(status, "VmRSS") != NULL);
        CHECK(status_field(status, "SigBlk") != NULL && strlen(status_field(status, "SigBlk")) > 16);
        CHECK(strstr(status, "\nUid:\t") != NULL);
        free(status);
    }
    check_end();
}

static void test_cmdline_environ_comm(void) {
    check_begin("cmdline_environ_comm");
    size_t length = 0;
    char *cmdline = slurp("/proc/self/cmdline", &length);
    CHECK(cmdline != NULL);
    if (cmdline) {
        size_t at = 0;
        for (int i = 0; i < g_argc; i++) {
            size_t arg = strlen(g_argv[i]) + 1;
            CHECK(at + arg <= length && memcmp(cmdline + at, g_argv[i], arg) == 0);
            at += arg;
        }
        CHECK_EQ((long)length, (long)at);
        free(cmdline);
    }
    char *environ_text = slurp("/proc/self/environ", &length);
    CHECK(environ_text != NULL);
    int found = 0;
    for (size_t at = 0; environ_text && at < length; at += strlen(environ_text + at) + 1)
        found |= strcmp(environ_text + at, MARK_NAME "=" MARK_VALUE) == 0;
    CHECK(found);
    free(environ_text);
    char *comm = slurp("/proc/self/comm", NULL);
    char expected[20] = {0};
    strncpy(expected, base_name(g_argv[0]), 15);
    strcat(expected, "\n");
    CHECK(comm && strcmp(comm, expected) == 0);
    free(comm);
    check_end();
}

/* The maps line covering `address`: its permissions and path. */
static int maps_line_for(const char *maps, uintptr_t address, char perms[5], char *path, size_t path_size) {
    for (const char *line = maps; line && *line;) {
        unsigned long start, end, offset, inode;
        unsigned major, minor;
        int consumed = 0;
        if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &start, &end, perms, &offset, &major, &minor, &inode,
                   &consumed) < 7)
            return 0;
        const char *newline = strchr(line, '\n');
        if (address >= start && address < end) {
            size_t name_length = newline ? (size_t)(newline - line) - (size_t)consumed : strlen(line + consumed);
            if (name_length >= path_size)
                name_length = path_size - 1;
            memcpy(path, line + consumed, name_length);
            path[name_length] = '\0';
            return 1;
        }
        line = newline ? newline + 1 : NULL;
    }
    return 0;
}

static void test_maps(void) {
    check_begin("maps");
    char *maps = slurp("/proc/self/maps", NULL);
    CHECK(maps != NULL);
    if (maps) {
        volatile int local = 1;
        char perms[5] = {0}, path[PATH_MAX] = {0};
        CHECK(maps_line_for(maps, (uintptr_t)&local, perms, path, sizeof(path)));
        CHECK(strcmp(perms, "rw-p") == 0);
        CHECK(strcmp(path, "[stack]") == 0);
        CHECK(maps_line_for(maps, (uintptr_t)&test_maps, perms, path, sizeof(path)));
        CHECK(strcmp(perms, "r-xp") == 0);
        char real[PATH_MAX];
        CHECK(realpath(g_argv[0], real) != NULL);
        CHECK(strcmp(path, real) == 0);
        void *heap = malloc(64);
        CHECK(heap != NULL);
        free(heap);
        /* Every line: "start-end perms offset dev inode". */
        int lines = 0, good = 0;
        for (const char *line = maps; *line; line = strchr(line, '\n') + 1) {
            unsigned long start, end, offset, inode;
            unsigned major, minor;
            char p[5];
            lines++;
            if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu", &start, &end, p, &offset, &major, &minor, &inode) == 7 &&
                start < end && (p[3] == 'p' || p[3] == 's'))
                good++;
            if (!strchr(line, '\n'))
                break;
        }
        CHECK(lines > 3);
        CHECK_EQ(good, lines);
        free(maps);
    }
    check_end();
}

static void test_exe_and_fds(void) {
    check_begin("exe_fd");
    char link[PATH_MAX] = {0}, real[PATH_MAX] = {0};
    ssize_t length = readlink("/proc/self/exe", link, sizeof(link) - 1);
    CHECK(length > 0);
    CHECK(realpath(g_argv[0], real) != NULL);
    CHECK(strcmp(link, real) == 0);

    int opened = open("/proc/self/status", O_RDONLY);
    CHECK(opened > 2);
    DIR *directory = opendir("/proc/self/fd");
    CHECK(directory != NULL);
    int seen[4] = {0};
    struct dirent *entry;
    while (directory && (entry = readdir(directory)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        int fd = atoi(entry->d_name);
        if (fd <= 2)
            seen[fd] = 1;
        if (fd == opened)
            seen[3] = 1;
    }
    if (directory)
        closedir(directory);
    CHECK(seen[0] && seen[1] && seen[2] && seen[3]);
    close(opened);
    check_end();
}

static void test_system_files(void) {
    check_begin("system_files");
    char *meminfo = slurp("/proc/meminfo", NULL);
    CHECK(meminfo != NULL);
    if (meminfo) {
        unsigned long total = 0, free_kb = ~0ul;
        CHECK(sscanf(meminfo, "MemTotal: %lu kB", &total) == 1);
        const char *free_line = strstr(meminfo, "\nMemFree:");
        CHECK(free_line && sscanf(free_line + 1, "MemFree: %lu kB", &free_kb) == 1);
        CHECK(total > 0 && free_kb <= total);
        CHECK(strstr(meminfo, "\nMemAvailable:") && strstr(meminfo, "\nBuffers:") && strstr(meminfo, "\nCached:"));
        CHECK(strstr(meminfo, "\nSwapTotal:") && strstr(meminfo, "\nSwapFree:"));
        free(meminfo);
    }
    char *uptime = slurp("/proc/uptime", NULL);
    double up = -1, idle = -1;
    CHECK(uptime && sscanf(uptime, "%lf %lf", &up, &idle) == 2 && up > 0 && idle >= 0);
    free(uptime);
    char *loadavg = slurp("/proc/loadavg", NULL);
    double one, five, fifteen;
    int running = 0, total = 0, last = 0;
    CHECK(loadavg && sscanf(loadavg, "%lf %lf %lf %d/%d %d", &one, &five, &fifteen, &running, &total, &last) == 6);
    CHECK(running >= 1 && total >= running && last >= getpid());
    free(loadavg);
    char *cpuinfo = slurp("/proc/cpuinfo", NULL);
    CHECK(cpuinfo && strncmp(cpuinfo, "processor\t: 0\n", 14) == 0 && strstr(cpuinfo, "\nCPU part\t: 0x"));
    free(cpuinfo);
    char *stat = slurp("/proc/stat", NULL);
    CHECK(stat && strncmp(stat, "cpu  ", 5) == 0 && strstr(stat, "\nbtime ") && strstr(stat, "\nprocs_running "));
    free(stat);
    char *boot_id = slurp("/proc/sys/kernel/random/boot_id", NULL);
    char *boot_id_again = slurp("/proc/sys/kernel/random/boot_id", NULL);
    char *uuid = slurp("/proc/sys/kernel/random/uuid", NULL);
    char *uuid_again = slurp("/proc/sys/kernel/random/uuid", NULL);
    CHECK(boot_id && boot_id_again && strcmp(boot_id, boot_id_again) == 0 && strlen(boot_id) == 37);
    CHECK(uuid && uuid_again && strcmp(uuid, uuid_again) != 0 && strlen(uuid) == 37 && uuid[14] == '4');
    free(boot_id);
    free(boot_id_again);
    free(uuid);
    free(uuid_again);
    check_end();
}

/* The links (self, fd/N, cwd, root), /proc/mounts and /proc/filesystems,
 * and the directory listing. */
static void test_links_and_mounts(void) {
    check_begin("links_mounts");
    char link[PATH_MAX] = {0}, expected[64];
    snprintf(expected, sizeof expected, "%d", (int)getpid());
    CHECK(readlink("/proc/self", link, sizeof(link) - 1) > 0 && strcmp(link, expected) == 0);

    mkdir("/tmp/procfs_test", 0755);
    int file = open("/tmp/procfs_test/file", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(file >= 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", file);
    memset(link, 0, sizeof link);
    CHECK(readlink(path, link, sizeof(link) - 1) > 0 && strcmp(link, "/tmp/procfs_test/file") == 0);
    /* The link opens the file itself. */
    CHECK_EQ(write(file, "via-fd", 6), 6);
    int again = open(path, O_RDONLY);
    char text[8] = {0};
    CHECK(again >= 0 && read(again, text, 6) == 6 && strcmp(text, "via-fd") == 0);
    if (again >= 0)
        close(again);
    CHECK_EQ(unlink("/tmp/procfs_test/file"), 0);
    memset(link, 0, sizeof link);
    CHECK(readlink(path, link, sizeof(link) - 1) > 0 && strcmp(link, "/tmp/procfs_test/file (deleted)") == 0);
    close(file);

    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fds[0]);
    memset(link, 0, sizeof link);
    CHECK(readlink(path, link, sizeof(link) - 1) > 0 && strncmp(link, "pipe:[", 6) == 0);
    close(fds[0]);
    close(fds[1]);

    CHECK_EQ(chdir("/tmp/procfs_test"), 0);
    memset(link, 0, sizeof link);
    CHECK(readlink("/proc/self/cwd", link, sizeof(link) - 1) > 0 && strcmp(link, "/tmp/procfs_test") == 0);
    CHECK_EQ(chdir("/"), 0);
    CHECK_EQ(rmdir("/tmp/procfs_test"), 0);
    memset(link, 0, sizeof link);
    CHECK(readlink("/proc/self/root", link, sizeof(link) - 1) > 0 && strcmp(link, "/") == 0);
    snprintf(path, sizeof path, "/proc/%d/fd/9999", (int)getpid());
    CHECK_ERR(readlink(path, link, sizeof link), ENOENT);
    CHECK_ERR(open("/proc/999999/stat", O_RDONLY), ENOENT);
    /* As root, a file without a write method opens for writing; writes are EINVAL. */
    int stat_fd = open("/proc/self/stat", O_WRONLY);
    CHECK(stat_fd >= 0);
    CHECK_ERR(write(stat_fd, "x", 1), EINVAL);
    if (stat_fd >= 0)
        close(stat_fd);

    char *mounts = slurp("/proc/mounts", NULL);
    CHECK(mounts && strstr(mounts, "proc /proc proc ") != NULL);
    CHECK(mounts && strstr(mounts, " /dev devtmpfs ") != NULL);
    char *own = slurp("/proc/self/mounts", NULL);
    CHECK(own && mounts && strcmp(own, mounts) == 0);
    char *filesystems = slurp("/proc/filesystems", NULL);
    CHECK(filesystems && strstr(filesystems, "nodev\ttmpfs\n") && strstr(filesystems, "nodev\tproc\n"));
    free(mounts);
    free(own);
    free(filesystems);

    /* /proc lists this process among the numbers, and self. */
    DIR *directory = opendir("/proc");
    int found_self = 0, found_pid = 0;
    struct dirent *entry;
    while (directory && (entry = readdir(directory)) != NULL) {
        found_self |= strcmp(entry->d_name, "self") == 0;
        found_pid |= strcmp(entry->d_name, expected) == 0 && entry->d_type == DT_DIR;
    }
    if (directory)
        closedir(directory);
    CHECK(found_self && found_pid);
    check_end();
}

/* Closing every descriptor /proc/self/fd lists while reading it a few
 * entries at a time (as CPython's subprocess does in a child when
 * close_range cannot help): the listing goes by descriptor number, so none
 * is skipped. */
static void test_close_while_listing(void) {
    check_begin("/proc/self/fd read while closing what it lists skips nothing");
    for (int i = 0; i < 12; i++) CHECK(dup2(1, 20 + i) == 20 + i);
    int dir_fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
    CHECK(dir_fd >= 0);
    char buffer[64]; /* one or two records a call */
    for (;;) {
        long got = syscall(SYS_getdents64, dir_fd, buffer, sizeof buffer);
        if (got <= 0) break;
        for (long at = 0; at < got;) {
            unsigned short length = *(unsigned short *)(buffer + at + 16);
            const char *name = buffer + at + 19;
            int fd = atoi(name);
            if (name[0] != '.' && fd >= 20) close(fd);
            at += length;
        }
    }
    close(dir_fd);
    for (int i = 0; i < 12; i++) CHECK(fcntl(20 + i, F_GETFD) == -1 && errno == EBADF);
    check_end();
}

/* /proc/sys/vm/drop_caches: root writes 1..4 (also through the O_TRUNC
 * of a shell's '>'); other values are EINVAL, writes past offset 0 are
 * ignored; nobody may read it, root included; another user may not write
 * it. */
static void test_drop_caches(void) {
    check_begin("/proc/sys/vm/drop_caches: root writes 1..4; nobody reads it");
    const char *path = "/proc/sys/vm/drop_caches";
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0200);
    /* 1..4 (4 only silences Linux's log line); each value from offset 0. */
    static const struct { const char *text; int ok; } values[] = {
        { "3\n", 1 }, { "1", 1 }, { "2", 1 }, { "4", 1 }, { "5", 0 }, { "0", 0 }, { "x", 0 },
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        int fd = open(path, O_WRONLY | O_TRUNC);
        CHECK(fd >= 0);
        ssize_t length = (ssize_t)strlen(values[i].text);
        if (values[i].ok)
            CHECK_EQ(write(fd, values[i].text, length), length);
        else
            CHECK_ERR(write(fd, values[i].text, length), EINVAL);
        close(fd);
    }
    /* Past offset 0 a write is ignored whole (sysctl_writes_strict). */
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "1", 1), 1);
    CHECK_EQ(write(fd, "junk", 4), 4);
    close(fd);
    CHECK_ERR(open(path, O_RDONLY), EACCES);
    CHECK_ERR(open(path, O_RDWR), EACCES);
    pid_t child = fork();
    if (child == 0) {
        if (setresuid(1000, 1000, 1000) != 0)
            _exit(2);
        _exit(open(path, O_WRONLY) < 0 && errno == EACCES ? 0 : 1);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check_end();
}

static int open_fd_link(int fd, int flags) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return open(path, flags, 0600);
}

/* /proc/self/fd/N are magic links: opening one opens what the descriptor
 * has open (a fresh description), even with no name left, and a pipe's
 * gives another end of that pipe. */
static void test_magic_links(void) {
    check_begin("/proc/self/fd magic links: memfd, unlinked file, pipe, directory; ENXIO for a socket");
    int memory = memfd_create("magic", 0);
    CHECK_EQ(write(memory, "data", 4), 4);
    int again = open_fd_link(memory, O_RDONLY);
    CHECK(again >= 0);
    char buf[16] = { 0 };
    CHECK_EQ(read(again, buf, sizeof buf), 4);  /* its own offset: from 0 */
    CHECK(memcmp(buf, "data", 4) == 0);
    close(again);
    struct stat st;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", memory);
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_size, 4);
    close(memory);
    /* An unlinked file. */
    int gone = open("/tmp/procfs-magic", O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECK_EQ(write(gone, "kept", 4), 4);
    CHECK_EQ(unlink("/tmp/procfs-magic"), 0);
    again = open_fd_link(gone, O_RDWR);
    CHECK(again >= 0);
    CHECK_EQ(fstat(again, &st), 0);
    CHECK_EQ(st.st_nlink, 0);
    CHECK_EQ(pread(again, buf, 4, 0), 4);
    CHECK(memcmp(buf, "kept", 4) == 0);
    close(again);
    close(gone);
    /* A pipe: another end, of the access mode asked for; stat sees the
     * pipe (diff <(...) stats /dev/fd/63 before opening it). */
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    struct stat pipe_stat;
    CHECK_EQ(fstat(pipe_fds[0], &pipe_stat), 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", pipe_fds[0]);
    CHECK_EQ(stat(path, &st), 0);
    CHECK(S_ISFIFO(st.st_mode) && st.st_ino == pipe_stat.st_ino);
    CHECK_EQ(write(pipe_fds[1], "hi", 2), 2);
    int reader = open_fd_link(pipe_fds[0], O_RDONLY);
    CHECK(reader >= 0);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(reader, buf, sizeof buf), 2);
    CHECK(memcmp(buf, "hi", 2) == 0);
    int writer = open_fd_link(pipe_fds[0], O_WRONLY);
    CHECK(writer >= 0);
    CHECK_EQ(write(writer, "x", 1), 1);
    CHECK_EQ(read(pipe_fds[0], buf, sizeof buf), 1);
    CHECK_EQ(buf[0], 'x');
    close(pipe_fds[1]);
    close(writer);
    CHECK_EQ(read(reader, buf, sizeof buf), 0);  /* every writer gone: end of file */
    close(reader);
    close(pipe_fds[0]);
    /* A directory: the walk goes on inside it. */
    mkdir("/tmp/procfs-magic-dir", 0755);
    int directory = open("/tmp/procfs-magic-dir", O_RDONLY | O_DIRECTORY);
    snprintf(path, sizeof path, "/proc/self/fd/%d/inside", directory);
    int inside = open(path, O_CREAT | O_WRONLY, 0600);
    CHECK(inside >= 0);
    close(inside);
    CHECK_EQ(access("/tmp/procfs-magic-dir/inside", F_OK), 0);
    unlink("/tmp/procfs-magic-dir/inside");
    close(directory);
    rmdir("/tmp/procfs-magic-dir");
    /* A socket's link does not open. */
    int pair[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    CHECK_ERR(open_fd_link(pair[0], O_RDWR), ENXIO);
    close(pair[0]);
    close(pair[1]);
    check_end();
}

static void run_all(void) {
    test_self_stat();
    test_self_status();
    test_cmdline_environ_comm();
    test_maps();
    test_exe_and_fds();
    test_system_files();
    test_links_and_mounts();
    test_close_while_listing();
    test_drop_caches();
    test_magic_links();
}

int main(int argc, char **argv, char **envp) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!getenv(MARK_NAME)) {
        /* Again with a known variable in the environment. */
        size_t count = 0;
        while (envp[count])
            count++;
        char **env = calloc(count + 2, sizeof(char *));
        memcpy(env, envp, count * sizeof(char *));
        env[count] = MARK_NAME "=" MARK_VALUE;
        execve(argv[0], argv, env);
        printf("execve %s: %s\n", argv[0], strerror(errno));
        return 1;
    }
    g_argc = argc;
    g_argv = argv;
    run_all();
    check_exit();
    return 0;
}
