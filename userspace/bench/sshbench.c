/* sshbench: the guest end of ./akuma bench ssh's boot row, run from the
 * Debian root disk right after /etc/akuma/rc.d (Akuma's init runs the
 * scripts, then this as its program; on Linux the initramfs runs the same
 * scripts chrooted into the disk, then this). It connects to 127.0.0.1:22
 * until sshd's banner ("SSH-") arrives, then calls bench_mark(), whose
 * address a QEMU plugin watches (tools/profile/icount_marks.c): the
 * instructions from reset to that mark are the boot to sshd accepting. The
 * retries sleep (an idle CPU counts nothing under -icount sleep=off).
 * Prints "[sshbench] done" and exits 0 once sshd answered. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline, used)) void bench_mark(void) { __asm__ volatile("" ::: "memory"); }

/* Whether sshd's banner came over a fresh connection. */
static int sshd_answers(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(22);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char banner[4];
    size_t have = 0;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) {
        while (have < sizeof banner) {
            ssize_t got = read(fd, banner + have, sizeof banner - have);
            if (got <= 0) break;
            have += (size_t)got;
        }
    }
    close(fd);
    return have == sizeof banner && memcmp(banner, "SSH-", 4) == 0;
}

int main(void) {
    const struct timespec pause = { 0, 50 * 1000 * 1000 };
    for (int attempt = 1; attempt <= 2400; attempt++) {
        if (sshd_answers()) {
            bench_mark();
            printf("[sshbench] sshd answered (attempt %d)\n[sshbench] done\n", attempt);
            return 0;
        }
        nanosleep(&pause, NULL);
    }
    printf("[sshbench] sshd did not answer in 2 minutes\n");
    return 1;
}
