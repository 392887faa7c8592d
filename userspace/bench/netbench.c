/* netbench: the network rows of ./akuma bench (tools/bench.sh, section
 * "net"; docs/PERFORMANCE.md, "Network").
 *
 *   netbench [COUNT | quick]       the loopback rows (127.0.0.1)
 *   netbench serve PORT [SECONDS]  the guest end of the forward throughput
 *                                  runs (tools/bench_forward.py drives it)
 *
 * Loopback rows, each printed as "[netbench] NAME: N ns, C times" (N is
 * virtual ns per operation, C the operations between the row's marks),
 * then "[netbench] done" (or FAILED, exit status 1):
 *   TCP ping-pong   1 byte each way between two processes, TCP_NODELAY on
 *                   both ends; COUNT round trips
 *   TCP connect     socket + connect, the server's accept + close, the
 *                   client's read of the end of file + close; COUNT/10
 *   UDP round trip  a 16-byte datagram each way between two processes
 *                   (the client's socket connected); COUNT
 *   epoll_wait      1,000 eventfds watched (level-triggered EPOLLIN), one
 *                   of them readable, timeout 0; 5 x COUNT calls
 *   TCP bulk        64 KiB writes into one connection, a reader draining
 *                   it with 64 KiB reads; COUNT/125 MiB (at least 1), per MiB
 * COUNT defaults to 2000; "quick" is 20 (the harness's smoke test). Each
 * row runs a tenth of its count untimed first. The same static binary runs
 * on Akuma and on Linux. Each row is bracketed by calls of bench_mark(),
 * an empty function whose address a QEMU plugin watches
 * (tools/profile/icount_marks.c): the instructions the whole machine
 * executes between the two calls (both processes, both kernels' network
 * paths, interrupts; a CPU idle in WFI counts nothing) are the row's
 * figure. Only the measuring process calls bench_mark(): the server
 * processes are forked copies of this program, at the same addresses.
 * Ports are the kernel's choice (bind to port 0).
 *
 * Linux's reference boot brings no interface up: the program brings `lo`
 * up itself when it is down (SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP;
 * Akuma's lo is up from boot).
 *
 * serve PORT: listens on 0.0.0.0:PORT, prints "[netbench] listening on
 * PORT", and serves one connection at a time by its first byte:
 *   'P'  probe: replies 'P' (the host's readiness check)
 *   'S'  sink: reads until end of file, then replies with the byte count
 *        (little-endian u64)
 *   'R'  source: reads a little-endian u64 N, sends N bytes and closes
 *   'Q'  quit: prints "[netbench] served N connections" and "[netbench]
 *        done", exit status 0
 * SECONDS (default 600) bounds the whole run (SIGALRM: FAILED, status 1). */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SA(p) ((struct sockaddr *)(p))
#define CHUNK (64 * 1024)
#define EPOLL_FDS 1000
#define UDP_BYTES 16

static int failed;
static unsigned char buffer[CHUNK];

static uint64_t now_ns(void) {
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((noinline, used)) void bench_mark(void) { __asm__ volatile("" ::: "memory"); }

/* Ends a row: its second mark, then its line. */
static void report(const char *name, uint64_t total_ns, uint64_t count) {
    bench_mark();
    printf("[netbench] %s: %llu ns, %llu times\n", name, (unsigned long long)(total_ns / (count ? count : 1)),
           (unsigned long long)count);
}

static void fail(const char *what) {
    printf("[netbench] %s: %s\n", what, strerror(errno));
    failed = 1;
}

static int write_all(int fd, const void *p, size_t n) {
    const unsigned char *bytes = p;
    while (n) {
        ssize_t done = write(fd, bytes, n);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return -1;
        bytes += done, n -= (size_t)done;
    }
    return 0;
}

/* Reads exactly n bytes; -1 on an error or an early end of file. */
static int read_all(int fd, void *p, size_t n) {
    unsigned char *bytes = p;
    while (n) {
        ssize_t done = read(fd, bytes, n);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return -1;
        bytes += done, n -= (size_t)done;
    }
    return 0;
}

static void put_u64(unsigned char *p, uint64_t value) {
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(value >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value |= (uint64_t)p[i] << (8 * i);
    return value;
}

/* Reads until end of file; the byte count, or -1 on an error. */
static int64_t drain(int fd) {
    int64_t total = 0;
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return total;
        total += n;
    }
}

static void set_nodelay(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        fail("setsockopt TCP_NODELAY");
}

/* Brings the loopback interface up if it is down (Linux's bare boot). */
static void loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail("socket for SIOCGIFFLAGS");
        return;
    }
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
        fail("SIOCGIFFLAGS lo");
    } else if (!(request.ifr_flags & IFF_UP)) {
        request.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &request) != 0)
            fail("SIOCSIFFLAGS lo up");
    }
    close(fd);
}

/* A socket of type bound to 127.0.0.1 on a port the kernel picks; its
 * address in *address. -1 on failure (reported). */
static int bound_socket(int type, struct sockaddr_in *address) {
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    memset(address, 0, sizeof *address);
    address->sin_family = AF_INET;
    address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof *address;
    if (fd < 0 || bind(fd, SA(address), sizeof *address) != 0 || getsockname(fd, SA(address), &length) != 0) {
        fail("socket/bind on 127.0.0.1");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int listener(struct sockaddr_in *address) {
    int fd = bound_socket(SOCK_STREAM, address);
    if (fd >= 0 && listen(fd, 128) != 0) {
        fail("listen");
        close(fd);
        return -1;
    }
    return fd;
}

static int connect_to(const struct sockaddr_in *address) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)address, sizeof *address) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Forks a server process running serve(argument, fd); the parent gets
 * its pid (or -1, reported). The server never calls bench_mark(). */
static pid_t spawn_server(int (*serve)(int, uint64_t), int fd, uint64_t argument) {
    pid_t pid = fork();
    if (pid < 0) {
        fail("fork");
        return -1;
    }
    if (pid == 0) {
        alarm(300); /* not inherited across fork: its own bound on a hang */
        _exit(serve(fd, argument));
    }
    return pid;
}

static void reap(const char *row, pid_t pid) {
    int status = 0;
    if (pid < 0)
        return;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("[netbench] %s: the server process ended with wait status 0x%x\n", row, status);
        failed = 1;
    }
}

/* ---- TCP ping-pong */
static int serve_ping_pong(int listen_fd, uint64_t unused) {
    (void)unused;
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0)
        return 2;
    set_nodelay(fd);
    char byte;
    for (;;) {
        ssize_t n = read(fd, &byte, 1);
        if (n == 0)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || write_all(fd, &byte, 1) < 0)
            return 3;
    }
}

static void bench_ping_pong(uint64_t count) {
    const char *row = "TCP ping-pong round trip, 1 byte, TCP_NODELAY (per round trip)";
    struct sockaddr_in address;
    int listen_fd = listener(&address);
    if (listen_fd < 0)
        return;
    pid_t pid = spawn_server(serve_ping_pong, listen_fd, 0);
    close(listen_fd);
    int fd = connect_to(&address);
    if (fd < 0) {
        fail("ping-pong connect");
    } else {
        set_nodelay(fd);
        char byte = 'x';
        uint64_t warm = count / 10 + 1, t0 = 0;
        for (uint64_t i = 0; i < warm + count; i++) {
            if (i == warm) {
                bench_mark();
                t0 = now_ns();
            }
            if (write_all(fd, &byte, 1) < 0 || read_all(fd, &byte, 1) < 0) {
                fail("ping-pong round trip");
                break;
            }
        }
        if (!failed)
            report(row, now_ns() - t0, count);
        close(fd);
    }
    reap(row, pid);
}

/* ---- TCP connection setup and teardown */
static int serve_connections(int listen_fd, uint64_t connections) {
    for (uint64_t i = 0; i < connections; i++) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                i--;
                continue;
            }
            return 2;
        }
        close(fd);
    }
    return 0;
}

static void bench_connect(uint64_t count) {
    const char *row = "TCP connect+accept+close (per connection)";
    struct sockaddr_in address;
    int listen_fd = listener(&address);
    if (listen_fd < 0)
        return;
    uint64_t warm = count / 10 + 1, t0 = 0;
    pid_t pid = spawn_server(serve_connections, listen_fd, warm + count);
    close(listen_fd);
    for (uint64_t i = 0; i < warm + count; i++) {
        if (i == warm) {
            bench_mark();
            t0 = now_ns();
        }
        int fd = connect_to(&address);
        char byte;
        if (fd < 0 || read(fd, &byte, 1) != 0) {
            fail("connect, or the server's close");
            if (fd >= 0)
                close(fd);
            break;
        }
        close(fd);
    }
    if (!failed)
        report(row, now_ns() - t0, count);
    reap(row, pid);
}

/* ---- UDP round trip */
static int serve_udp(int fd, uint64_t datagrams) {
    unsigned char datagram[UDP_BYTES];
    for (uint64_t i = 0; i < datagrams; i++) {
        struct sockaddr_in peer;
        socklen_t length = sizeof peer;
        ssize_t n = recvfrom(fd, datagram, sizeof datagram, 0, SA(&peer), &length);
        if (n < 0 && errno == EINTR) {
            i--;
            continue;
        }
        if (n != UDP_BYTES || sendto(fd, datagram, (size_t)n, 0, SA(&peer), length) != n)
            return 2;
    }
    return 0;
}

static void bench_udp(uint64_t count) {
    const char *row = "UDP round trip, 16-byte datagram (per round trip)";
    struct sockaddr_in server_address, client_address;
    int server = bound_socket(SOCK_DGRAM, &server_address);
    int client = bound_socket(SOCK_DGRAM, &client_address);
    if (server < 0 || client < 0)
        return;
    if (connect(client, SA(&server_address), sizeof server_address) != 0) {
        fail("UDP connect");
        return;
    }
    uint64_t warm = count / 10 + 1, t0 = 0;
    pid_t pid = spawn_server(serve_udp, server, warm + count);
    close(server);
    unsigned char datagram[UDP_BYTES] = "netbench udp rt";
    for (uint64_t i = 0; i < warm + count; i++) {
        if (i == warm) {
            bench_mark();
            t0 = now_ns();
        }
        if (send(client, datagram, sizeof datagram, 0) != UDP_BYTES ||
            recv(client, datagram, sizeof datagram, 0) != UDP_BYTES) {
            fail("UDP round trip");
            break;
        }
    }
    if (!failed)
        report(row, now_ns() - t0, count);
    close(client);
    reap(row, pid);
}

/* ---- epoll_wait over many descriptors */
static void bench_epoll(uint64_t count) {
    const char *row = "epoll_wait, 1000 eventfds watched, 1 ready (per call)";
    /* Room for 1,000 descriptors and a few more under the default 1,024. */
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    static int fds[EPOLL_FDS];
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC), opened = 0;
    if (epoll_fd < 0) {
        fail("epoll_create1");
        return;
    }
    for (; opened < EPOLL_FDS; opened++) {
        fds[opened] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        struct epoll_event event = { .events = EPOLLIN, .data.u32 = (uint32_t)opened };
        if (fds[opened] < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fds[opened], &event) != 0) {
            fail("eventfd/epoll_ctl");
            if (fds[opened] >= 0)
                close(fds[opened]);
            break;
        }
    }
    uint64_t one = 1;
    if (!failed && write(fds[EPOLL_FDS / 2], &one, sizeof one) != sizeof one)
        fail("eventfd write");
    if (!failed) {
        struct epoll_event events[16];
        uint64_t warm = count / 10 + 1, t0 = 0;
        for (uint64_t i = 0; i < warm + count; i++) {
            if (i == warm) {
                bench_mark();
                t0 = now_ns();
            }
            int n = epoll_wait(epoll_fd, events, 16, 0);
            if (n != 1 || events[0].data.u32 != EPOLL_FDS / 2) {
                printf("[netbench] epoll_wait returned %d (expected the one ready eventfd)\n", n);
                failed = 1;
                break;
            }
        }
        if (!failed)
            report(row, now_ns() - t0, count);
    }
    for (int i = 0; i < opened; i++)
        close(fds[i]);
    close(epoll_fd);
}

/* ---- TCP bulk */
/* Serves two connections (a warm-up one, then the measured one): drains
 * each and replies with its byte count. */
static int serve_sink(int listen_fd, uint64_t connections) {
    for (uint64_t i = 0; i < connections; i++) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0)
            return 2;
        int64_t total = drain(fd);
        unsigned char reply[8];
        put_u64(reply, (uint64_t)total);
        if (total < 0 || write_all(fd, reply, sizeof reply) < 0)
            return 3;
        close(fd);
    }
    return 0;
}

/* Sends mib MiB through fd in 64 KiB writes, half-closes, and checks the
 * sink's count. 0 on success. */
static int send_bulk(int fd, uint64_t mib) {
    for (uint64_t i = 0; i < mib * (1024 * 1024 / CHUNK); i++)
        if (write_all(fd, buffer, CHUNK) < 0)
            return -1;
    unsigned char reply[8];
    if (shutdown(fd, SHUT_WR) != 0 || read_all(fd, reply, sizeof reply) < 0)
        return -1;
    if (get_u64(reply) != (mib << 20)) {
        printf("[netbench] the sink counted %llu bytes, not %llu\n", (unsigned long long)get_u64(reply),
               (unsigned long long)(mib << 20));
        return -1;
    }
    return 0;
}

static void bench_bulk(uint64_t mib) {
    const char *row = "TCP bulk, 64 KiB writes and reads (per MiB)";
    struct sockaddr_in address;
    int listen_fd = listener(&address);
    if (listen_fd < 0)
        return;
    pid_t pid = spawn_server(serve_sink, listen_fd, 2);
    close(listen_fd);
    memset(buffer, 0x5a, sizeof buffer);
    int fd = connect_to(&address);
    if (fd < 0 || send_bulk(fd, 1) != 0) {
        fail("bulk warm-up");
    } else {
        close(fd);
        fd = connect_to(&address);
        if (fd < 0) {
            fail("bulk connect");
        } else {
            bench_mark();
            uint64_t t0 = now_ns();
            if (send_bulk(fd, mib) != 0)
                fail("bulk transfer");
            else
                report(row, now_ns() - t0, mib);
        }
    }
    if (fd >= 0)
        close(fd);
    reap(row, pid);
}

/* ---- serve PORT: the guest end of the forward throughput runs */
static void on_alarm(int signal) {
    (void)signal;
    static const char message[] = "[netbench] time limit reached\n[netbench] FAILED\n";
    (void)!write(1, message, sizeof message - 1);
    _exit(1);
}

static int serve_forward(int port, unsigned seconds) {
    struct sigaction alarm_action = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &alarm_action, NULL);
    alarm(seconds);
    signal(SIGPIPE, SIG_IGN);
    int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                   .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (listen_fd < 0 || setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(listen_fd, SA(&address), sizeof address) != 0 || listen(listen_fd, 16) != 0) {
        printf("[netbench] cannot listen on port %d: %s\n[netbench] FAILED\n", port, strerror(errno));
        return 1;
    }
    printf("[netbench] listening on %d\n", port);
    memset(buffer, 0xa5, sizeof buffer);
    long served = 0;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno != EINTR && errno != ECONNABORTED)
                printf("[netbench] accept: %s\n", strerror(errno));
            continue;
        }
        served++;
        unsigned char command = 0, number[8];
        if (read_all(fd, &command, 1) < 0) {
            close(fd);
            continue;
        }
        if (command == 'P') {
            (void)write_all(fd, "P", 1);
        } else if (command == 'S') {
            int64_t total = drain(fd);
            put_u64(number, (uint64_t)(total < 0 ? 0 : total));
            if (total >= 0)
                (void)write_all(fd, number, sizeof number);
        } else if (command == 'R' && read_all(fd, number, sizeof number) == 0) {
            uint64_t left = get_u64(number);
            while (left) {
                size_t piece = left < sizeof buffer ? (size_t)left : sizeof buffer;
                if (write_all(fd, buffer, piece) < 0)
                    break;
                left -= piece;
            }
        } else if (command == 'Q') {
            close(fd);
            break;
        }
        close(fd);
    }
    close(listen_fd);
    printf("[netbench] served %ld connections\n[netbench] done\n", served);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && !strcmp(argv[1], "serve"))
        return serve_forward(atoi(argv[2]), argc > 3 ? (unsigned)atoi(argv[3]) : 600);
    uint64_t count = 2000;
    if (argc > 1)
        count = !strcmp(argv[1], "quick") ? 20 : strtoull(argv[1], NULL, 10);
    if (count == 0) {
        printf("usage: netbench [COUNT | quick] | netbench serve PORT [SECONDS]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    alarm(600); /* a lost packet must not hang the machine */
    loopback_up();
    if (!failed)
        bench_ping_pong(count);
    if (!failed)
        bench_connect(count / 10 ? count / 10 : 1);
    if (!failed)
        bench_udp(count);
    if (!failed)
        bench_epoll(5 * count);
    if (!failed)
        bench_bulk(count / 125 ? count / 125 : 1);
    printf("[netbench] %s\n", failed ? "FAILED" : "done");
    return failed;
}
