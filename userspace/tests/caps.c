/* caps: capget/capset as Linux has them for root (creds.c checks what
 * other users hold).
 *   get     the version handshake, the full set, other processes, errors
 *   set     dropping and raising within the permitted set, EPERM beyond
 *           it or for another process, exec giving root its set back
 * Usage: caps [GROUP | --exec-child]. */
#define _GNU_SOURCE
#include "check.h"

#include <linux/capability.h>
#include <stdint.h>
#include <sys/syscall.h>

static int cap_get(int pid, uint32_t version, struct __user_cap_data_struct *data) {
    struct __user_cap_header_struct header = { version, pid };
    return (int)syscall(SYS_capget, &header, data);
}

static int cap_set(int pid, const struct __user_cap_data_struct *data) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, pid };
    return (int)syscall(SYS_capset, &header, data);
}

static uint64_t effective_of(const struct __user_cap_data_struct *data) {
    return data[0].effective | (uint64_t)data[1].effective << 32;
}
static uint64_t permitted_of(const struct __user_cap_data_struct *data) {
    return data[0].permitted | (uint64_t)data[1].permitted << 32;
}

static const uint64_t k_all = (UINT64_C(1) << 41) - 1;  /* CAP_LAST_CAP 40 in Linux 6.1 */

static void test_get(void) {
    check_begin("get: version handshake, the full set, other processes");
    struct __user_cap_header_struct header = { 0x12345678, 0 };
    struct __user_cap_data_struct data[2];
    CHECK_ERR(syscall(SYS_capget, &header, data), EINVAL);
    CHECK_EQ(header.version, _LINUX_CAPABILITY_VERSION_3);
    header.version = 0x12345678;
    CHECK_EQ(syscall(SYS_capget, &header, NULL), 0);  /* probing: 0, version written */
    CHECK_EQ(header.version, _LINUX_CAPABILITY_VERSION_3);
    CHECK_EQ(cap_get(0, _LINUX_CAPABILITY_VERSION_3, data), 0);
    CHECK_EQ(effective_of(data), k_all);
    CHECK_EQ(permitted_of(data), k_all);
    CHECK_EQ(data[0].inheritable | data[1].inheritable, 0);
    struct __user_cap_data_struct v1;
    CHECK_EQ(cap_get(0, _LINUX_CAPABILITY_VERSION_1, &v1), 0);
    CHECK_EQ(v1.effective, 0xffffffffu);
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    CHECK_EQ(cap_get(child, _LINUX_CAPABILITY_VERSION_3, data), 0);
    CHECK_EQ(permitted_of(data), k_all);
    kill(child, SIGKILL);
    check_child_status(child, 0, SIGKILL);
    CHECK_ERR(cap_get(-1, _LINUX_CAPABILITY_VERSION_3, data), EINVAL);
    CHECK_ERR(cap_get(4000000, _LINUX_CAPABILITY_VERSION_3, data), ESRCH);
    CHECK_ERR(cap_get(0, _LINUX_CAPABILITY_VERSION_3, (void *)8), EFAULT);
    check_end();
}

static void test_set(const char *self) {
    check_begin("set: drop and raise within the permitted set; exec restores root's");
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        struct __user_cap_data_struct data[2];
        CHECK_EQ(cap_get(0, _LINUX_CAPABILITY_VERSION_3, data), 0);
        data[0].effective &= ~(1u << CAP_NET_RAW);
        CHECK_EQ(cap_set(0, data), 0);
        CHECK_EQ(cap_get(0, _LINUX_CAPABILITY_VERSION_3, data), 0);
        CHECK_EQ(effective_of(data), k_all & ~(UINT64_C(1) << CAP_NET_RAW));
        data[0].effective |= 1u << CAP_NET_RAW;  /* still permitted: back */
        CHECK_EQ(cap_set(0, data), 0);
        data[0].permitted &= ~(1u << CAP_NET_RAW);
        CHECK_ERR(cap_set(0, data), EPERM);  /* effective beyond permitted */
        data[0].effective &= ~(1u << CAP_NET_RAW);
        CHECK_EQ(cap_set(0, data), 0);
        data[0].permitted |= 1u << CAP_NET_RAW;
        data[0].effective |= 1u << CAP_NET_RAW;
        CHECK_ERR(cap_set(0, data), EPERM);  /* gone from permitted for good */
        CHECK_ERR(cap_set(getppid(), data), EPERM);
        if (check_failures != failures)
            check_child_done(failures);
        execl(self, self, "--exec-child", (char *)NULL);
        _exit(99);
    }
    check_child_status(child, 0, 0);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "--exec-child") == 0) {
        struct __user_cap_data_struct data[2];
        int ok = cap_get(0, _LINUX_CAPABILITY_VERSION_3, data) == 0 && permitted_of(data) == k_all &&
                 effective_of(data) == k_all;
        return ok ? 0 : 1;
    }
    test_get();
    if (argc < 2 || strcmp(argv[1], "set") == 0)
        test_set(argv[0]);
    check_exit();
    return 0;
}
