/* sysinfo: file attributes (statx, chmod, chown, utimensat, fsync) and
 * system/resource information (sysinfo, times, getrusage,
 * sched_getaffinity, wait4/waitid without children), as Linux reports them.
 * Validated on Debian's Linux with ../shared/tools/linux-ref (exit 0). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static const char *k_path = "/tmp/sysinfo_test";
static const char *k_name = "sysinfo_test"; /* k_path relative to /tmp */
static const char *k_link = "/tmp/sysinfo_test_link";
static const char *k_dir = "/tmp/sysinfo_test_dir";

int main(void) {
    unlink(k_path);
    int fd = open(k_path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "0123456789", 10), 10);

    check_begin("statx matches fstat");
    struct statx sx;
    struct stat st;
    CHECK_EQ(statx(AT_FDCWD, k_path, 0, STATX_BASIC_STATS, &sx), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK((sx.stx_mask & (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_INO)) ==
          (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_INO));
    CHECK_EQ(sx.stx_size, 10);
    CHECK_EQ(sx.stx_mode, st.st_mode);
    CHECK_EQ(sx.stx_ino, st.st_ino);
    CHECK_EQ(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx), 0);
    CHECK_EQ(sx.stx_size, 10);
    CHECK_ERR(statx(AT_FDCWD, "", 0, STATX_BASIC_STATS, &sx), ENOENT);
    CHECK_ERR(statx(AT_FDCWD, "/tmp/does-not-exist", 0, STATX_BASIC_STATS, &sx), ENOENT);
    check_end();

    check_begin("chmod, fchmod");
    CHECK_EQ(chmod(k_path, 0600), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0600);
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(fchmod(fd, 0640), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0640);
    CHECK_ERR(chmod("/tmp/does-not-exist", 0600), ENOENT);
    int path_fd = open(k_path, O_PATH);
    CHECK(path_fd >= 0);
    CHECK_ERR(fchmod(path_fd, 0600), EBADF); /* O_PATH opens no file for changing */
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0640);
    check_end();

    check_begin("chown, fchown, lchown, fchownat");
    CHECK_EQ(chown(k_path, 1000, 2000), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 1000);
    CHECK_EQ(st.st_gid, 2000);
    CHECK_EQ(chown(k_path, (uid_t)-1, 3000), 0); /* -1 keeps that id */
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 1000);
    CHECK_EQ(st.st_gid, 3000);
    CHECK_EQ(fchown(fd, 4000, (gid_t)-1), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_uid, 4000);
    CHECK_EQ(st.st_gid, 3000);
    CHECK_EQ(chown(k_path, (uid_t)-1, (gid_t)-1), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 4000);
    CHECK_EQ(st.st_gid, 3000);
    CHECK_EQ(st.st_mode & 07777, 0640); /* ownership changes leave plain permissions */
    /* lchown and AT_SYMLINK_NOFOLLOW change the link; chown follows it. */
    unlink(k_link);
    CHECK_EQ(symlink(k_path, k_link), 0);
    CHECK_EQ(lchown(k_link, 5000, 6000), 0);
    CHECK_EQ(lstat(k_link, &st), 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_EQ(st.st_uid, 5000);
    CHECK_EQ(st.st_gid, 6000);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 4000);
    CHECK_EQ(chown(k_link, 7, 8), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 7);
    CHECK_EQ(st.st_gid, 8);
    CHECK_EQ(lstat(k_link, &st), 0);
    CHECK_EQ(st.st_uid, 5000);
    CHECK_EQ(fchownat(AT_FDCWD, k_link, 9, 10, AT_SYMLINK_NOFOLLOW), 0);
    CHECK_EQ(lstat(k_link, &st), 0);
    CHECK_EQ(st.st_uid, 9);
    CHECK_EQ(st.st_gid, 10);
    int tmp_dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK(tmp_dir >= 0);
    CHECK_EQ(fchownat(tmp_dir, k_name, 11, 12, 0), 0); /* relative to a directory fd */
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 11);
    CHECK_EQ(st.st_gid, 12);
    CHECK_EQ(fchownat(path_fd, "", 13, 14, AT_EMPTY_PATH), 0); /* an O_PATH fd names the file */
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 13);
    CHECK_EQ(st.st_gid, 14);
    CHECK_ERR(fchown(path_fd, 0, 0), EBADF);
    CHECK_ERR(fchownat(AT_FDCWD, k_path, 0, 0, AT_SYMLINK_FOLLOW), EINVAL); /* not a fchownat flag */
    CHECK_ERR(fchown(-1, 0, 0), EBADF);
    CHECK_ERR(chown("/tmp/does-not-exist", 0, 0), ENOENT);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_uid, 13); /* the failed calls changed nothing */
    CHECK_EQ(st.st_gid, 14);
    /* Changing the owner of a non-directory clears set-user-ID, and
     * set-group-ID if group-executable, even for root and even with -1 -1;
     * without group execute S_ISGID (mandatory locking) stays; directories
     * keep both. */
    CHECK_EQ(fchmod(fd, 06755), 0);
    CHECK_EQ(chown(k_path, 0, 0), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0755);
    CHECK_EQ(fchmod(fd, 06755), 0);
    CHECK_EQ(fchown(fd, (uid_t)-1, (gid_t)-1), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0755);
    CHECK_EQ(fchmod(fd, 02640), 0);
    CHECK_EQ(chown(k_path, 0, 0), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 02640);
    rmdir(k_dir);
    CHECK_EQ(mkdir(k_dir, 0755), 0);
    CHECK_EQ(chmod(k_dir, 06755), 0);
    CHECK_EQ(chown(k_dir, 15, 16), 0);
    CHECK_EQ(stat(k_dir, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 06755);
    CHECK_EQ(st.st_uid, 15);
    CHECK_EQ(rmdir(k_dir), 0);
    CHECK_EQ(fchmod(fd, 0640), 0);
    CHECK_EQ(unlink(k_link), 0);
    close(tmp_dir);
    close(path_fd);
    check_end();

    check_begin("utimensat, UTIME_OMIT");
    struct timespec explicit_times[2] = { { 1000, 0 }, { 2000, 500 } };
    CHECK_EQ(utimensat(AT_FDCWD, k_path, explicit_times, 0), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_atim.tv_sec, 1000);
    CHECK_EQ(st.st_mtim.tv_sec, 2000);
    CHECK_EQ(st.st_mtim.tv_nsec, 500);
    struct timespec keep_atime[2] = { { 0, UTIME_OMIT }, { 3000, 0 } };
    CHECK_EQ(futimens(fd, keep_atime), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_atim.tv_sec, 1000);
    CHECK_EQ(st.st_mtim.tv_sec, 3000);
    CHECK_EQ(utimensat(AT_FDCWD, k_path, NULL, 0), 0);  /* now */
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK(st.st_mtim.tv_sec > 3000);
    struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
    CHECK_ERR(utimensat(AT_FDCWD, k_path, bad, 0), EINVAL);
    check_end();

    check_begin("fsync, fdatasync, sync");
    /* What fsync'd is there for another open of the file. */
    CHECK_EQ(pwrite(fd, "synced", 6, 10), 6);
    CHECK_EQ(fsync(fd), 0);
    CHECK_EQ(pwrite(fd, "data", 4, 16), 4);
    CHECK_EQ(fdatasync(fd), 0);
    int reader = open(k_path, O_RDONLY);
    CHECK(reader >= 0);
    char contents[32] = {0};
    CHECK_EQ(read(reader, contents, sizeof contents), 20);
    CHECK(memcmp(contents, "0123456789synceddata", 20) == 0);
    CHECK_EQ(fsync(reader), 0); /* read-only descriptors may sync too */
    CHECK_EQ(fdatasync(reader), 0);
    close(reader);
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK_EQ(fsync(dir), 0);
    CHECK_EQ(fdatasync(dir), 0);
    close(dir);
    /* Pipes and character devices have no fsync: EINVAL; O_PATH: EBADF. */
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    CHECK_ERR(fsync(pipe_fds[0]), EINVAL);
    CHECK_ERR(fsync(pipe_fds[1]), EINVAL);
    CHECK_ERR(fdatasync(pipe_fds[0]), EINVAL);
    CHECK_ERR(fdatasync(pipe_fds[1]), EINVAL);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    int null_fd = open("/dev/null", O_RDWR);
    CHECK(null_fd >= 0);
    CHECK_ERR(fsync(null_fd), EINVAL);
    CHECK_ERR(fdatasync(null_fd), EINVAL);
    close(null_fd);
    int opath_fd = open(k_path, O_PATH);
    CHECK_ERR(fsync(opath_fd), EBADF);
    CHECK_ERR(fdatasync(opath_fd), EBADF);
    close(opath_fd);
    CHECK_ERR(fsync(-1), EBADF);
    CHECK_ERR(fdatasync(-1), EBADF);
    CHECK_ERR(fsync(999), EBADF);
    sync();
    check_end();

    check_begin("sysinfo");
    struct sysinfo info;
    CHECK_EQ(sysinfo(&info), 0);
    CHECK((unsigned long long)info.totalram * info.mem_unit > (1ull << 20));
    CHECK(info.freeram <= info.totalram);
    CHECK(info.procs >= 1);
    CHECK_ERR(sysinfo(NULL), EFAULT);
    check_end();

    check_begin("times, getrusage");
    struct tms t;
    CHECK(times(&t) != (clock_t)-1);
    struct rusage usage;
    CHECK_EQ(getrusage(RUSAGE_SELF, &usage), 0);
    CHECK(usage.ru_maxrss > 0);
    CHECK_EQ(getrusage(RUSAGE_CHILDREN, &usage), 0);
    CHECK_EQ(usage.ru_utime.tv_sec, 0);
    CHECK_ERR(syscall(SYS_getrusage, 5, &usage), EINVAL);
    check_end();

    check_begin("sched_getaffinity");
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
    CHECK(CPU_ISSET(0, &set));
    CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= 1);
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 4, &set), EINVAL);
    check_end();

    check_begin("wait4, waitid without children");
    int status;
    CHECK_ERR(wait4(-1, &status, WNOHANG, NULL), ECHILD);
    CHECK_ERR(waitpid(-1, &status, 0), ECHILD);
    siginfo_t siginfo;
    CHECK_ERR(waitid(P_ALL, 0, &siginfo, WEXITED | WNOHANG), ECHILD);
    check_end();

    close(fd);
    unlink(k_path);
    check_exit();
}
