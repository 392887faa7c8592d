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

    check_begin("chmod, fchmod, chown");
    CHECK_EQ(chmod(k_path, 0600), 0);
    CHECK_EQ(stat(k_path, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0600);
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(fchmod(fd, 0640), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_mode & 07777, 0640);
    CHECK_EQ(chown(k_path, (uid_t)-1, (gid_t)-1), 0);
    CHECK_EQ(fchown(fd, 0, 0), 0);
    CHECK_ERR(chmod("/tmp/does-not-exist", 0600), ENOENT);
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
    CHECK_EQ(fsync(fd), 0);
    CHECK_EQ(fdatasync(fd), 0);
    CHECK_ERR(fsync(-1), EBADF);
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
