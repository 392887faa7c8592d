/* inet: AF_INET and AF_INET6 sockets over the loopback interface, as Linux
 * has them.
 *   tcp        listen/connect/accept4, names, options (SO_TYPE, SO_DOMAIN,
 *              SO_PROTOCOL, SO_ACCEPTCONN, TCP_NODELAY, SO_KEEPALIVE,
 *              SO_REUSEADDR), echo, FIONREAD, MSG_PEEK, MSG_DONTWAIT,
 *              MSG_WAITALL, EPIPE/SIGPIPE and MSG_NOSIGNAL
 *   big        4 MiB through one connection, checksummed on both ends
 *   many       64 connections open at once; 200 connections one after another
 *   halfclose  shutdown(SHUT_WR): end of file one way, data the other way
 *   refused    ECONNREFUSED, non-blocking connect, EADDRINUSE, autobind by
 *              listen, EISCONN, accept/recv/send on the wrong socket
 *   timeout    SO_RCVTIMEO, O_NONBLOCK and FIONBIO
 *   epoll      a listener, a connection (level and edge triggered), the
 *              peer's shutdown, close and reset
 *   udp        datagrams: addresses, connect, boundaries, MSG_TRUNC,
 *              MSG_PEEK, FIONREAD, ECONNREFUSED, sendmmsg/recvmmsg
 *   ifreq      SIOCGIFCONF, SIOCGIFADDR, SIOCGIFFLAGS
 *   ipv6       TCP and UDP on ::1, IPV6_V6ONLY, v4-mapped peers
 *   netlink    NETLINK_ROUTE: getifaddrs, if_nametoindex/if_nameindex, a raw
 *              RTM_GETLINK dump ending in NLMSG_DONE, NLMSG_ERROR for an
 *              unknown request, getsockname's port
 * Usage: inet [GROUP]... (no argument: every group). Setup brings `lo` up
 * when it is down (SIOCGIFFLAGS, then SIOCSIFFLAGS only if IFF_UP is clear).
 * Waits for events are bounded (WAIT_MS) and each group runs under alarm(60);
 * nothing asserts how long anything took. */
#define _GNU_SOURCE
#include "check.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

#define WAIT_MS 5000 /* bound on a wait for something that must happen */
#define SA(p) ((struct sockaddr *)(p))

static const char *current_group = "setup";

static void on_timeout(int signal) {
    (void)signal;
    static const char prefix[] = "[inet] timed out in group ";
    (void)!write(1, prefix, sizeof prefix - 1);
    (void)!write(1, current_group, strlen(current_group));
    (void)!write(1, "\n[Test] inet FAILED\n", 20);
    _exit(3);
}

/* A forked child: its own bound on hangs (alarms are not inherited). */
static void child_start(void) { alarm(60); }

/* revents of fd after waiting up to ms for any of events (0: none came). */
static int wait_for(int fd, short events, int ms) {
    struct pollfd p = { fd, events, 0 };
    int r = poll(&p, 1, ms);
    return r < 0 ? -1 : r == 0 ? 0 : p.revents;
}

static ssize_t read_full(int fd, void *buf, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(fd, (char *)buf + done, n - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return done ? (ssize_t)done : -1;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

static ssize_t write_full(int fd, const void *buf, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(fd, (const char *)buf + done, n - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return done ? (ssize_t)done : -1;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

static int int_option(int fd, int level, int name) {
    int value = -12345;
    socklen_t size = sizeof value;
    if (getsockopt(fd, level, name, &value, &size) != 0 || size != sizeof value)
        return -12345;
    return value;
}

static struct sockaddr_in loopback4(in_port_t port) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = port;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

static int same4(const struct sockaddr_in *a, const struct sockaddr_in *b) {
    return a->sin_family == AF_INET && b->sin_family == AF_INET && a->sin_port == b->sin_port &&
           a->sin_addr.s_addr == b->sin_addr.s_addr;
}

static int same6(const struct sockaddr_in6 *a, const struct sockaddr_in6 *b) {
    return a->sin6_family == AF_INET6 && b->sin6_family == AF_INET6 && a->sin6_port == b->sin6_port &&
           memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
}

/* A socket of the given type bound to 127.0.0.1 on a port the kernel picks;
 * its address (with the port) in *address. */
static int bound4(int type, struct sockaddr_in *address) {
    int fd = socket(AF_INET, type, 0);
    CHECK(fd >= 0);
    *address = loopback4(0);
    CHECK_EQ(bind(fd, SA(address), sizeof *address), 0);
    socklen_t length = sizeof *address;
    CHECK_EQ(getsockname(fd, SA(address), &length), 0);
    CHECK_EQ(length, sizeof *address);
    CHECK(address->sin_port != 0);
    return fd;
}

static int listener4(struct sockaddr_in *address, int backlog) {
    int fd = bound4(SOCK_STREAM, address);
    CHECK_EQ(listen(fd, backlog), 0);
    return fd;
}

static int connect4(const struct sockaddr_in *address) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    CHECK_EQ(connect(fd, (const struct sockaddr *)address, sizeof *address), 0);
    return fd;
}

/* A connected pair of TCP sockets (blocking) over 127.0.0.1. */
static void pair4(int *client, int *server) {
    struct sockaddr_in address;
    int listener = listener4(&address, 4);
    *client = connect4(&address);
    *server = accept(listener, NULL, NULL);
    CHECK(*server >= 0);
    close(listener);
}

static void setup_loopback(void) {
    check_begin("setup: the loopback interface is up");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "lo");
    CHECK_EQ(ioctl(fd, SIOCGIFFLAGS, &request), 0);
    if (!(request.ifr_flags & IFF_UP)) {
        request.ifr_flags |= IFF_UP;
        CHECK_EQ(ioctl(fd, SIOCSIFFLAGS, &request), 0);
        CHECK_EQ(ioctl(fd, SIOCGIFFLAGS, &request), 0);
        CHECK(request.ifr_flags & IFF_UP);
    }
    close(fd);
    check_end();
}

static void test_tcp(void) {
    check_begin("tcp: connect/accept4, names, options, echo, FIONREAD, MSG_PEEK/DONTWAIT/WAITALL, EPIPE");
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(listener >= 0);
    int one = 1;
    CHECK_EQ(int_option(listener, SOL_SOCKET, SO_REUSEADDR), 0);
    CHECK_EQ(setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    CHECK_EQ(int_option(listener, SOL_SOCKET, SO_REUSEADDR), 1);
    struct sockaddr_in address = loopback4(0);
    CHECK_EQ(bind(listener, SA(&address), sizeof address), 0);
    CHECK_EQ(int_option(listener, SOL_SOCKET, SO_ACCEPTCONN), 0);
    CHECK_EQ(listen(listener, 8), 0);
    CHECK_EQ(int_option(listener, SOL_SOCKET, SO_ACCEPTCONN), 1);
    socklen_t length = sizeof address;
    CHECK_EQ(getsockname(listener, SA(&address), &length), 0);
    CHECK_EQ(length, sizeof address);
    CHECK_EQ(address.sin_family, AF_INET);
    CHECK_EQ(ntohl(address.sin_addr.s_addr), INADDR_LOOPBACK);
    CHECK(address.sin_port != 0);

    int client = connect4(&address);
    struct sockaddr_in peer;
    length = sizeof peer;
    int server = accept4(listener, SA(&peer), &length, SOCK_CLOEXEC | SOCK_NONBLOCK);
    CHECK(server >= 0);
    CHECK_EQ(length, sizeof peer);
    CHECK_EQ(fcntl(server, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(server, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    CHECK_EQ(fcntl(client, F_GETFD), 0);
    CHECK_EQ(fcntl(client, F_GETFL) & O_NONBLOCK, 0);
    CHECK_EQ(fcntl(server, F_SETFL, fcntl(server, F_GETFL) & ~O_NONBLOCK), 0);

    /* Each end's own name is the other's peer name. */
    struct sockaddr_in client_name, client_peer, server_name, server_peer;
    length = sizeof client_name;
    CHECK_EQ(getsockname(client, SA(&client_name), &length), 0);
    length = sizeof client_peer;
    CHECK_EQ(getpeername(client, SA(&client_peer), &length), 0);
    CHECK_EQ(length, sizeof client_peer);
    length = sizeof server_name;
    CHECK_EQ(getsockname(server, SA(&server_name), &length), 0);
    length = sizeof server_peer;
    CHECK_EQ(getpeername(server, SA(&server_peer), &length), 0);
    CHECK(same4(&client_name, &server_peer));
    CHECK(same4(&client_name, &peer));
    CHECK(same4(&server_name, &client_peer));
    CHECK(same4(&server_name, &address));
    CHECK_EQ(ntohl(client_name.sin_addr.s_addr), INADDR_LOOPBACK);
    CHECK(client_name.sin_port != address.sin_port);

    CHECK_EQ(int_option(client, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
    CHECK_EQ(int_option(server, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
    CHECK_EQ(int_option(client, SOL_SOCKET, SO_DOMAIN), AF_INET);
    CHECK_EQ(int_option(server, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
    CHECK_EQ(int_option(client, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
    CHECK_EQ(int_option(server, SOL_SOCKET, SO_ACCEPTCONN), 0);
    CHECK_EQ(int_option(client, IPPROTO_TCP, TCP_NODELAY), 0);
    CHECK_EQ(setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    CHECK_EQ(int_option(client, IPPROTO_TCP, TCP_NODELAY), 1);
    CHECK_EQ(int_option(client, SOL_SOCKET, SO_KEEPALIVE), 0);
    CHECK_EQ(setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one), 0);
    CHECK_EQ(int_option(client, SOL_SOCKET, SO_KEEPALIVE), 1);
    int zero = 0;
    CHECK_EQ(setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &zero, sizeof zero), 0);
    CHECK_EQ(int_option(client, SOL_SOCKET, SO_KEEPALIVE), 0);

    /* A few KB each way. */
    static char out[8192], in[8192];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (char)(i * 7 + i / 251);
    CHECK_EQ(write_full(client, out, sizeof out), sizeof out);
    CHECK_EQ(read_full(server, in, sizeof in), sizeof in);
    CHECK(memcmp(in, out, sizeof out) == 0);
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (char)~out[i];
    CHECK_EQ(write_full(server, out, sizeof out), sizeof out);
    CHECK_EQ(read_full(client, in, sizeof in), sizeof in);
    CHECK(memcmp(in, out, sizeof out) == 0);

    /* FIONREAD, MSG_PEEK, MSG_DONTWAIT. */
    int pending = -1;
    CHECK_EQ(ioctl(server, FIONREAD, &pending), 0);
    CHECK_EQ(pending, 0);
    CHECK_EQ(write(client, "hello", 5), 5);
    CHECK(wait_for(server, POLLIN, WAIT_MS) & POLLIN);
    CHECK_EQ(ioctl(server, FIONREAD, &pending), 0);
    CHECK_EQ(pending, 5);
    char buf[64];
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv(server, buf, sizeof buf, MSG_PEEK), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ(ioctl(server, FIONREAD, &pending), 0);
    CHECK_EQ(pending, 5);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(server, buf, sizeof buf), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_ERR(recv(server, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    CHECK_EQ(ioctl(server, FIONREAD, &pending), 0);
    CHECK_EQ(pending, 0);

    /* MSG_WAITALL gathers data written in two parts. */
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        child_start();
        CHECK_EQ(write(client, "abc", 3), 3);
        usleep(50000);
        CHECK_EQ(write(client, "defgh", 5), 5);
        check_child_done(failures);
    }
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv(server, buf, 8, MSG_WAITALL), 8);
    CHECK(memcmp(buf, "abcdefgh", 8) == 0);
    check_child_status(child, 0, 0);

    /* The peer closed: once its reset is back, writes fail with EPIPE
     * (SIGPIPE ignored since setup). The first write may be accepted. */
    close(client);
    CHECK_EQ(read(server, buf, sizeof buf), 0);
    int error = 0;
    for (int i = 0; i < 200 && !error; i++) {
        if (write(server, "x", 1) < 0)
            error = errno;
        else
            usleep(10000);
    }
    CHECK_EQ(error, EPIPE);
    CHECK_ERR(write(server, "x", 1), EPIPE);
    failures = check_failures;
    child = fork();
    if (child == 0) { /* MSG_NOSIGNAL: EPIPE and no signal, even by default */
        child_start();
        signal(SIGPIPE, SIG_DFL);
        CHECK_ERR(send(server, "x", 1, MSG_NOSIGNAL), EPIPE);
        check_child_done(failures);
    }
    check_child_status(child, 0, 0);
    child = fork();
    if (child == 0) { /* the default action of SIGPIPE ends the writer */
        child_start();
        signal(SIGPIPE, SIG_DFL);
        (void)!write(server, "x", 1);
        _exit(0);
    }
    check_child_status(child, 0, SIGPIPE);
    close(server);
    close(listener);
    check_end();
}

#define BIG_SIZE (4u << 20)

static uint64_t fnv1a(uint64_t hash, const unsigned char *data, size_t n) {
    for (size_t i = 0; i < n; i++)
        hash = (hash ^ data[i]) * 0x100000001b3ull;
    return hash;
}

static void test_big(void) {
    check_begin("big: 4 MiB through one connection, checksummed on both ends");
    unsigned char *data = malloc(BIG_SIZE);
    CHECK(data != NULL);
    if (!data) {
        check_end();
        return;
    }
    uint32_t state = 0x12345678;
    for (size_t i = 0; i < BIG_SIZE; i += 4) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        memcpy(data + i, &state, 4);
    }
    const uint64_t basis = 0xcbf29ce484222325ull;
    uint64_t expected = fnv1a(basis, data, BIG_SIZE);
    int client, server;
    pair4(&client, &server);
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) { /* the sender, in pieces of several sizes */
        child_start();
        close(server);
        static const size_t sizes[] = { 65536, 1, 4093, 30000, 8192, 100000, 17 };
        size_t sent = 0;
        uint64_t hash = basis;
        for (unsigned i = 0; sent < BIG_SIZE; i++) {
            size_t n = sizes[i % (sizeof sizes / sizeof sizes[0])];
            if (n > BIG_SIZE - sent)
                n = BIG_SIZE - sent;
            ssize_t w = write_full(client, data + sent, n);
            CHECK_EQ(w, n);
            if (w != (ssize_t)n)
                break;
            hash = fnv1a(hash, data + sent, n);
            sent += n;
        }
        CHECK_EQ(shutdown(client, SHUT_WR), 0);
        uint64_t reply = 0;
        CHECK_EQ(read_full(client, &reply, sizeof reply), sizeof reply);
        CHECK(reply == hash);
        CHECK(hash == expected);
        close(client);
        check_child_done(failures);
    }
    close(client);
    static unsigned char buf[32768];
    size_t received = 0;
    int same = 1;
    uint64_t hash = basis;
    for (;;) {
        ssize_t r = read(server, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        CHECK(r >= 0);
        if (r <= 0)
            break;
        if (received + (size_t)r > BIG_SIZE || memcmp(buf, data + received, (size_t)r) != 0)
            same = 0;
        hash = fnv1a(hash, buf, (size_t)r);
        received += (size_t)r;
    }
    CHECK_EQ(received, BIG_SIZE);
    CHECK(same);
    CHECK(hash == expected);
    CHECK_EQ(write(server, &hash, sizeof hash), sizeof hash);
    check_child_status(child, 0, 0);
    close(server);
    free(data);
    check_end();
}

#define MANY 64
#define CYCLES 200

static void test_many(void) {
    check_begin("many: 64 connections at once; 200 connections one after another");
    struct sockaddr_in address;
    int listener = listener4(&address, 128);
    int clients[MANY], servers[MANY];
    for (int i = 0; i < MANY; i++)
        clients[i] = connect4(&address);
    for (int i = 0; i < MANY; i++) {
        servers[i] = accept(listener, NULL, NULL);
        CHECK(servers[i] >= 0);
    }
    for (int i = 0; i < MANY; i++) {
        unsigned char byte = (unsigned char)(i + 1);
        CHECK_EQ(write(clients[i], &byte, 1), 1);
    }
    for (int i = 0; i < MANY; i++) { /* echo whatever came */
        unsigned char byte = 0;
        CHECK_EQ(read(servers[i], &byte, 1), 1);
        CHECK_EQ(write(servers[i], &byte, 1), 1);
    }
    for (int i = 0; i < MANY; i++) {
        unsigned char byte = 0;
        CHECK_EQ(read(clients[i], &byte, 1), 1);
        CHECK_EQ(byte, i + 1);
    }
    for (int i = 0; i < MANY; i++) {
        close(clients[i]);
        close(servers[i]);
    }

    /* One after another; the active closer alternates, so TIME_WAIT is on
     * the client side half the time and on the server side the other half. */
    for (int i = 0; i < CYCLES && !check_group_fails; i++) {
        int client = socket(AF_INET, SOCK_STREAM, 0);
        CHECK(client >= 0);
        CHECK_EQ(connect(client, SA(&address), sizeof address), 0);
        int server = accept(listener, NULL, NULL);
        CHECK(server >= 0);
        CHECK_EQ(write(server, "k", 1), 1);
        char byte = 0;
        CHECK_EQ(read(client, &byte, 1), 1);
        CHECK_EQ(byte, 'k');
        if (i % 2) {
            close(client);
            close(server);
        } else {
            close(server);
            close(client);
        }
        if (check_group_fails)
            printf("  (cycle %d)\n", i);
    }
    close(listener);
    check_end();
}

static void test_halfclose(void) {
    check_begin("halfclose: shutdown(SHUT_WR), end of file, the reply still flows, POLLRDHUP");
    int client, server;
    pair4(&client, &server);
    CHECK_EQ(write(client, "request", 7), 7);
    CHECK_EQ(shutdown(client, SHUT_WR), 0);
    CHECK_ERR(send(client, "x", 1, MSG_NOSIGNAL), EPIPE);
    char buf[32];
    CHECK_EQ(read_full(server, buf, 7), 7);
    CHECK(memcmp(buf, "request", 7) == 0);
    CHECK_EQ(wait_for(server, POLLIN | POLLRDHUP, WAIT_MS), POLLIN | POLLRDHUP);
    CHECK_EQ(read(server, buf, sizeof buf), 0);
    CHECK_EQ(read(server, buf, sizeof buf), 0);
    CHECK_EQ(wait_for(server, POLLOUT, 0), POLLOUT);
    CHECK_EQ(wait_for(client, POLLIN | POLLRDHUP, 0), 0);
    CHECK_EQ(write(server, "reply", 5), 5);
    CHECK_EQ(read_full(client, buf, 5), 5);
    CHECK(memcmp(buf, "reply", 5) == 0);
    close(server);
    CHECK_EQ(read(client, buf, sizeof buf), 0);
    CHECK_EQ(wait_for(client, POLLIN | POLLRDHUP, 0), POLLIN | POLLRDHUP | POLLHUP);
    close(client);
    check_end();
}

static void test_refused(void) {
    check_begin("refused: ECONNREFUSED, non-blocking connect, EADDRINUSE, autobind, EISCONN, EINVAL, ENOTCONN");
    /* A closed port: bound, never listening (the port stays ours). */
    struct sockaddr_in closed;
    int holder = bound4(SOCK_STREAM, &closed);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_ERR(connect(fd, SA(&closed), sizeof closed), ECONNREFUSED);
    CHECK_EQ(int_option(fd, SOL_SOCKET, SO_ERROR), 0);
    close(fd);

    /* Non-blocking connect to a listener. */
    struct sockaddr_in address;
    int listener = listener4(&address, 8);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    errno = 0;
    int r = connect(fd, SA(&address), sizeof address);
    int error = errno;
    CHECK(r == 0 || (r == -1 && error == EINPROGRESS));
    int revents = wait_for(fd, POLLOUT, WAIT_MS);
    CHECK_EQ(revents, POLLOUT);
    CHECK_EQ(int_option(fd, SOL_SOCKET, SO_ERROR), 0);
    /* Linux: the next connect reports the completion (0), later ones EISCONN. */
    if (r == -1)
        CHECK_EQ(connect(fd, SA(&address), sizeof address), 0);
    CHECK_ERR(connect(fd, SA(&address), sizeof address), EISCONN);
    int server = accept(listener, NULL, NULL);
    CHECK(server >= 0);
    CHECK_ERR(connect(server, SA(&address), sizeof address), EISCONN);
    CHECK_ERR(accept(server, NULL, NULL), EINVAL); /* connected, not listening */
    close(server);
    close(fd);

    /* Non-blocking connect to the closed port. */
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    errno = 0;
    r = connect(fd, SA(&closed), sizeof closed);
    error = errno;
    CHECK(r == -1 && (error == EINPROGRESS || error == ECONNREFUSED));
    if (r == -1 && error == EINPROGRESS) {
        revents = wait_for(fd, POLLOUT, WAIT_MS);
        CHECK(revents > 0 && (revents & (POLLOUT | POLLERR)));
        CHECK_EQ(int_option(fd, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
        CHECK_EQ(int_option(fd, SOL_SOCKET, SO_ERROR), 0); /* read once */
    }
    close(fd);
    close(holder);

    /* The listener's address is taken. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_ERR(bind(fd, SA(&address), sizeof address), EADDRINUSE);
    close(fd);

    /* listen on an unbound socket binds it to a port of its own on any address. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(listen(fd, 4), 0);
    struct sockaddr_in name;
    socklen_t length = sizeof name;
    CHECK_EQ(getsockname(fd, SA(&name), &length), 0);
    CHECK_EQ(length, sizeof name);
    CHECK_EQ(name.sin_family, AF_INET);
    CHECK_EQ(name.sin_addr.s_addr, htonl(INADDR_ANY));
    CHECK(name.sin_port != 0);
    struct sockaddr_in target = loopback4(name.sin_port);
    int client = connect4(&target);
    server = accept(fd, NULL, NULL);
    CHECK(server >= 0);
    CHECK_ERR(connect(client, SA(&target), sizeof target), EISCONN);
    close(server);
    close(client);
    close(fd);

    /* A socket that is neither listening nor connected. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    char buf[4];
    CHECK_ERR(accept(fd, NULL, NULL), EINVAL);
    CHECK_ERR(recv(fd, buf, sizeof buf, 0), ENOTCONN);
    CHECK_ERR(read(fd, buf, sizeof buf), ENOTCONN);
    CHECK_ERR(send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
    length = sizeof name;
    CHECK_ERR(getpeername(fd, SA(&name), &length), ENOTCONN);
    CHECK_ERR(recv(listener, buf, sizeof buf, 0), ENOTCONN);
    close(fd);
    close(listener);
    check_end();
}

static void test_timeout(void) {
    check_begin("timeout: SO_RCVTIMEO, O_NONBLOCK, FIONBIO give EAGAIN");
    int client, server;
    pair4(&client, &server);
    struct timeval tv = { 0, 50000 };
    CHECK_EQ(setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    struct timeval got = { -1, -1 };
    socklen_t size = sizeof got;
    CHECK_EQ(getsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &got, &size), 0);
    CHECK_EQ(size, sizeof got);
    CHECK(got.tv_sec == 0 && got.tv_usec > 0); /* Linux rounds to its clock tick */
    char buf[16];
    CHECK_ERR(recv(server, buf, sizeof buf, 0), EAGAIN);
    CHECK_ERR(read(server, buf, sizeof buf), EAGAIN);
    CHECK_EQ(write(client, "z", 1), 1); /* the connection still works */
    CHECK(wait_for(server, POLLIN, WAIT_MS) & POLLIN);
    CHECK_EQ(recv(server, buf, sizeof buf, 0), 1);
    tv.tv_usec = 0;
    CHECK_EQ(setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);

    /* accept honours SO_RCVTIMEO too. */
    struct sockaddr_in address;
    int listener = listener4(&address, 4);
    tv.tv_usec = 50000;
    CHECK_EQ(setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    CHECK_ERR(accept(listener, NULL, NULL), EAGAIN);
    close(listener);

    int flags = fcntl(server, F_GETFL);
    CHECK_EQ(fcntl(server, F_SETFL, flags | O_NONBLOCK), 0);
    CHECK_ERR(recv(server, buf, sizeof buf, 0), EAGAIN);
    CHECK_ERR(read(server, buf, sizeof buf), EAGAIN);
    CHECK_EQ(fcntl(server, F_SETFL, flags & ~O_NONBLOCK), 0);

    int on = 1;
    CHECK_EQ(ioctl(server, FIONBIO, &on), 0);
    CHECK_EQ(fcntl(server, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    CHECK_ERR(recv(server, buf, sizeof buf, 0), EAGAIN);
    int off = 0;
    CHECK_EQ(ioctl(server, FIONBIO, &off), 0);
    CHECK_EQ(fcntl(server, F_GETFL) & O_NONBLOCK, 0);
    CHECK_EQ(write(client, "y", 1), 1);
    CHECK_EQ(recv(server, buf, sizeof buf, 0), 1);
    close(client);
    close(server);
    check_end();
}

static void test_epoll(void) {
    check_begin("epoll: listener, connection (level, edge), peer shutdown, close, reset");
    struct epoll_event events[4];
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);

    /* A listener is readable while a connection waits for accept. */
    struct sockaddr_in address;
    int listener = listener4(&address, 8);
    struct epoll_event event = { .events = EPOLLIN, .data.u32 = 1 };
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, listener, &event), 0);
    CHECK_EQ(epoll_wait(ep, events, 4, 0), 0);
    int client = connect4(&address);
    CHECK_EQ(epoll_wait(ep, events, 4, WAIT_MS), 1);
    CHECK_EQ(events[0].data.u32, 1);
    CHECK_EQ(events[0].events, EPOLLIN);
    int server = accept(listener, NULL, NULL);
    CHECK(server >= 0);
    CHECK_EQ(epoll_wait(ep, events, 4, 0), 0);
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, listener, NULL), 0);

    /* A connection is writable at once, readable once data came. */
    event.events = EPOLLIN | EPOLLOUT;
    event.data.u32 = 2;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, client, &event), 0);
    CHECK_EQ(epoll_wait(ep, events, 4, 0), 1);
    CHECK_EQ(events[0].events, EPOLLOUT);
    CHECK_EQ(write(server, "data", 4), 4);
    CHECK(wait_for(client, POLLIN, WAIT_MS) & POLLIN);
    CHECK_EQ(epoll_wait(ep, events, 4, 0), 1);
    CHECK_EQ(events[0].data.u32, 2);
    CHECK_EQ(events[0].events, EPOLLIN | EPOLLOUT);
    char buf[32];
    CHECK_EQ(read(client, buf, sizeof buf), 4);
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, client, NULL), 0);

    /* Edge-triggered: one report per arrival, even with the data unread. */
    event.events = EPOLLIN | EPOLLET;
    event.data.u32 = 3;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, server, &event), 0);
    CHECK_EQ(epoll_wait(ep, events, 4, 0), 0);
    CHECK_EQ(write(client, "one", 3), 3);
    CHECK_EQ(epoll_wait(ep, events, 4, WAIT_MS), 1);
    CHECK_EQ(events[0].data.u32, 3);
    CHECK_EQ(events[0].events, EPOLLIN);
    CHECK_EQ(epoll_wait(ep, events, 4, 0), 0);
    CHECK_EQ(write(client, "two", 3), 3);
    CHECK_EQ(epoll_wait(ep, events, 4, WAIT_MS), 1);
    CHECK_EQ(events[0].events, EPOLLIN);
    CHECK_EQ(epoll_wait(ep, events, 4, 0), 0);
    CHECK_EQ(read_full(server, buf, 6), 6);
    CHECK(memcmp(buf, "onetwo", 6) == 0);

    /* The peer's shutdown(SHUT_WR): EPOLLIN | EPOLLRDHUP (level-triggered). */
    event.events = EPOLLIN | EPOLLRDHUP;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, server, &event), 0);
    CHECK_EQ(epoll_wait(ep, events, 4, 0), 0);
    CHECK_EQ(shutdown(client, SHUT_WR), 0);
    CHECK_EQ(epoll_wait(ep, events, 4, WAIT_MS), 1);
    CHECK_EQ(events[0].events, EPOLLIN | EPOLLRDHUP);
    CHECK_EQ(epoll_wait(ep, events, 4, 0), 1); /* still so: level-triggered */
    CHECK_EQ(read(server, buf, sizeof buf), 0);
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, server, NULL), 0);
    close(client);
    close(server);

    /* The peer's close: for TCP that is EPOLLIN | EPOLLRDHUP alone (this
     * side may still send); EPOLLHUP comes once this side shuts down too. */
    int client2 = connect4(&address);
    int server2 = accept(listener, NULL, NULL);
    CHECK(server2 >= 0);
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.u32 = 4;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, server2, &event), 0);
    CHECK_EQ(epoll_wait(ep, events, 4, 0), 0);
    close(client2);
    CHECK_EQ(epoll_wait(ep, events, 4, WAIT_MS), 1);
    CHECK_EQ(events[0].data.u32, 4);
    CHECK_EQ(events[0].events, EPOLLIN | EPOLLRDHUP);
    CHECK_EQ(shutdown(server2, SHUT_WR), 0);
    CHECK_EQ(epoll_wait(ep, events, 4, WAIT_MS), 1);
    CHECK_EQ(events[0].events, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
    CHECK_EQ(read(server2, buf, sizeof buf), 0);
    close(server2);

    /* The peer closes with data unread: a reset. EPOLLERR and EPOLLHUP are
     * reported without being asked for; read gives ECONNRESET once. */
    int client3 = connect4(&address);
    int server3 = accept(listener, NULL, NULL);
    CHECK(server3 >= 0);
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.u32 = 5;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, server3, &event), 0);
    CHECK_EQ(write(server3, "unread", 6), 6);
    CHECK(wait_for(client3, POLLIN, WAIT_MS) & POLLIN);
    close(client3);
    CHECK_EQ(epoll_wait(ep, events, 4, WAIT_MS), 1);
    CHECK_EQ(events[0].data.u32, 5);
    CHECK_EQ(events[0].events, EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
    CHECK_ERR(read(server3, buf, sizeof buf), ECONNRESET);
    CHECK_EQ(read(server3, buf, sizeof buf), 0);
    close(server3);
    close(listener);
    close(ep);
    check_end();
}

static void test_udp(void) {
    check_begin("udp: addresses, connect, boundaries, MSG_TRUNC, MSG_PEEK, FIONREAD, ECONNREFUSED, mmsg");
    struct sockaddr_in a_name, b_name;
    int a = bound4(SOCK_DGRAM, &a_name);
    int b = bound4(SOCK_DGRAM, &b_name);
    CHECK_EQ(int_option(a, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
    CHECK_EQ(int_option(a, SOL_SOCKET, SO_DOMAIN), AF_INET);
    CHECK_EQ(int_option(a, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
    CHECK(int_option(a, SOL_SOCKET, SO_RCVBUF) > 0);
    CHECK(int_option(a, SOL_SOCKET, SO_SNDBUF) > 0);
    char buf[64];
    CHECK_ERR(recv(b, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);

    /* sendto/recvfrom: the source is the sender's name. */
    CHECK_EQ(sendto(a, "hello", 5, 0, SA(&b_name), sizeof b_name), 5);
    struct sockaddr_in from;
    memset(&from, 0, sizeof from);
    socklen_t length = sizeof from;
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recvfrom(b, buf, sizeof buf, 0, SA(&from), &length), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ(length, sizeof from);
    CHECK(same4(&from, &a_name));

    /* Boundaries kept; FIONREAD is the size of the next datagram. */
    CHECK_EQ(sendto(a, "one", 3, 0, SA(&b_name), sizeof b_name), 3);
    CHECK_EQ(sendto(a, "three!", 6, 0, SA(&b_name), sizeof b_name), 6);
    CHECK(wait_for(b, POLLIN, WAIT_MS) & POLLIN);
    int pending = -1;
    CHECK_EQ(ioctl(b, FIONREAD, &pending), 0);
    CHECK_EQ(pending, 3);
    CHECK_EQ(recv(b, buf, sizeof buf, 0), 3);
    CHECK(memcmp(buf, "one", 3) == 0);
    CHECK(wait_for(b, POLLIN, WAIT_MS) & POLLIN);
    CHECK_EQ(ioctl(b, FIONREAD, &pending), 0);
    CHECK_EQ(pending, 6);
    CHECK_EQ(recv(b, buf, sizeof buf, 0), 6);
    CHECK(memcmp(buf, "three!", 6) == 0);
    CHECK_EQ(ioctl(b, FIONREAD, &pending), 0);
    CHECK_EQ(pending, 0);

    /* MSG_PEEK leaves the datagram. */
    CHECK_EQ(sendto(a, "peek", 4, 0, SA(&b_name), sizeof b_name), 4);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv(b, buf, sizeof buf, MSG_PEEK), 4);
    CHECK(memcmp(buf, "peek", 4) == 0);
    CHECK_EQ(recv(b, buf, 2, MSG_PEEK), 2);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv(b, buf, sizeof buf, 0), 4);
    CHECK(memcmp(buf, "peek", 4) == 0);

    /* A short buffer: the rest is dropped; MSG_TRUNC returns the real length. */
    CHECK_EQ(sendto(a, "0123456789", 10, 0, SA(&b_name), sizeof b_name), 10);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(recv(b, buf, 4, MSG_TRUNC), 10);
    CHECK(memcmp(buf, "0123", 4) == 0 && buf[4] == 0);
    CHECK_ERR(recv(b, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    CHECK_EQ(sendto(a, "abcdefgh", 8, 0, SA(&b_name), sizeof b_name), 8);
    struct iovec iov = { buf, 3 };
    struct msghdr message;
    memset(&message, 0, sizeof message);
    memset(&from, 0, sizeof from);
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    CHECK_EQ(recvmsg(b, &message, 0), 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    CHECK_EQ(message.msg_flags & MSG_TRUNC, MSG_TRUNC);
    CHECK_EQ(message.msg_namelen, sizeof from);
    CHECK(same4(&from, &a_name));
    CHECK_ERR(recv(b, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);

    /* connect: send and recv without addresses, both ways. */
    CHECK_EQ(connect(a, SA(&b_name), sizeof b_name), 0);
    CHECK_EQ(connect(b, SA(&a_name), sizeof a_name), 0);
    struct sockaddr_in peer;
    length = sizeof peer;
    CHECK_EQ(getpeername(a, SA(&peer), &length), 0);
    CHECK(same4(&peer, &b_name));
    /* Connecting an unbound UDP socket picks its source address (glibc's
     * getaddrinfo sorts its answers by what getsockname then says). */
    int unbound = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(unbound >= 0);
    CHECK_EQ(connect(unbound, SA(&b_name), sizeof b_name), 0);
    struct sockaddr_in source;
    length = sizeof source;
    CHECK_EQ(getsockname(unbound, SA(&source), &length), 0);
    CHECK_EQ(ntohl(source.sin_addr.s_addr), INADDR_LOOPBACK);
    CHECK(source.sin_port != 0);
    close(unbound);
    CHECK_EQ(send(a, "conn", 4, 0), 4);
    CHECK_EQ(recv(b, buf, sizeof buf, 0), 4);
    CHECK(memcmp(buf, "conn", 4) == 0);
    CHECK_EQ(send(b, "back", 4, 0), 4);
    length = sizeof from;
    CHECK_EQ(recvfrom(a, buf, sizeof buf, 0, SA(&from), &length), 4);
    CHECK(memcmp(buf, "back", 4) == 0);
    CHECK(same4(&from, &b_name));

    /* sendmmsg/recvmmsg: three datagrams in one call each. */
    static const char *const parts[3] = { "1", "22", "333" };
    struct mmsghdr out[3], in[3];
    struct iovec out_iov[3], in_iov[3];
    char in_buf[3][16];
    memset(out, 0, sizeof out);
    memset(in, 0, sizeof in);
    memset(in_buf, 0, sizeof in_buf);
    for (int i = 0; i < 3; i++) {
        out_iov[i].iov_base = (void *)parts[i];
        out_iov[i].iov_len = strlen(parts[i]);
        out[i].msg_hdr.msg_iov = &out_iov[i];
        out[i].msg_hdr.msg_iovlen = 1;
        in_iov[i].iov_base = in_buf[i];
        in_iov[i].iov_len = sizeof in_buf[i];
        in[i].msg_hdr.msg_iov = &in_iov[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK_EQ(sendmmsg(a, out, 3, 0), 3);
    CHECK_EQ(recvmmsg(b, in, 3, 0, NULL), 3);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(out[i].msg_len, i + 1);
        CHECK_EQ(in[i].msg_len, i + 1);
        CHECK(strcmp(in_buf[i], parts[i]) == 0);
    }

    /* A connected socket sending to a closed port: the ICMP port
     * unreachable comes back as ECONNREFUSED on the next receive. */
    struct sockaddr_in c_name, d_name;
    int c = bound4(SOCK_DGRAM, &c_name);
    int d = bound4(SOCK_DGRAM, &d_name); /* bound while c holds its port */
    close(c);
    CHECK_EQ(connect(d, SA(&c_name), sizeof c_name), 0);
    CHECK_EQ(send(d, "x", 1, 0), 1);
    CHECK(wait_for(d, POLLIN, WAIT_MS) & POLLERR);
    CHECK_ERR(recv(d, buf, sizeof buf, 0), ECONNREFUSED);
    CHECK_ERR(recv(d, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    close(d);
    close(a);
    close(b);
    check_end();
}

/* lo's received bytes and packets from /proc/net/dev; -1 if absent. */
static long long lo_received(long long *packets) {
    FILE *f = fopen("/proc/net/dev", "r");
    if (!f)
        return -1;
    char line[512];
    long long bytes = -1;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = 0;
        char *name = line;
        while (*name == ' ')
            name++;
        if (strcmp(name, "lo") == 0 && sscanf(colon + 1, "%lld %lld", &bytes, packets) != 2)
            bytes = -1;
    }
    fclose(f);
    return bytes;
}

static void test_ifreq(void) {
    check_begin("ifreq: SIOCGIFCONF, SIOCGIFADDR, SIOCGIFFLAGS on lo; ENODEV; /proc/net/dev counts");
    /* /proc/net/dev: lo's counters grow by at least what goes through it. */
    long long packets_before = 0, packets_after = 0;
    long long before = lo_received(&packets_before);
    CHECK(before >= 0);
    struct sockaddr_in counted;
    int counted_listener = listener4(&counted, 1);
    int counted_client = connect4(&counted);
    int counted_server = accept(counted_listener, NULL, NULL);
    static char payload[10000];
    CHECK_EQ(write_full(counted_client, payload, sizeof payload), sizeof payload);
    CHECK_EQ(read_full(counted_server, payload, sizeof payload), sizeof payload);
    long long after = lo_received(&packets_after);
    CHECK(after >= before + (long long)sizeof payload);
    CHECK(packets_after >= packets_before + 3);
    close(counted_client);
    close(counted_server);
    close(counted_listener);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    struct ifreq requests[32];
    memset(requests, 0, sizeof requests);
    struct ifconf conf;
    conf.ifc_len = sizeof requests;
    conf.ifc_req = requests;
    CHECK_EQ(ioctl(fd, SIOCGIFCONF, &conf), 0);
    CHECK(conf.ifc_len > 0 && conf.ifc_len <= (int)sizeof requests);
    CHECK_EQ(conf.ifc_len % sizeof(struct ifreq), 0);
    int found = 0;
    for (int i = 0; i < conf.ifc_len / (int)sizeof(struct ifreq); i++) {
        struct sockaddr_in address;
        memcpy(&address, &requests[i].ifr_addr, sizeof address);
        if (strcmp(requests[i].ifr_name, "lo") == 0 && address.sin_family == AF_INET &&
            address.sin_addr.s_addr == htonl(INADDR_LOOPBACK))
            found = 1;
    }
    CHECK(found);

    struct ifreq request;
    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "lo");
    CHECK_EQ(ioctl(fd, SIOCGIFADDR, &request), 0);
    struct sockaddr_in address;
    memcpy(&address, &request.ifr_addr, sizeof address);
    CHECK_EQ(address.sin_family, AF_INET);
    CHECK_EQ(ntohl(address.sin_addr.s_addr), INADDR_LOOPBACK);

    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "lo");
    CHECK_EQ(ioctl(fd, SIOCGIFFLAGS, &request), 0);
    CHECK_EQ(request.ifr_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING), IFF_UP | IFF_LOOPBACK | IFF_RUNNING);

    memset(&request, 0, sizeof request);
    strcpy(request.ifr_name, "nosuchif0");
    CHECK_ERR(ioctl(fd, SIOCGIFFLAGS, &request), ENODEV);
    close(fd);
    check_end();
}

static struct sockaddr_in6 address6(const struct in6_addr *host, in_port_t port) {
    struct sockaddr_in6 address;
    memset(&address, 0, sizeof address);
    address.sin6_family = AF_INET6;
    address.sin6_port = port;
    address.sin6_addr = *host;
    return address;
}

/* An AF_INET6 socket bound to host on a port the kernel picks; v6only < 0
 * leaves IPV6_V6ONLY as it is. */
static int bound6(int type, const struct in6_addr *host, int v6only, struct sockaddr_in6 *address) {
    int fd = socket(AF_INET6, type, 0);
    CHECK(fd >= 0);
    if (v6only >= 0)
        CHECK_EQ(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only), 0);
    *address = address6(host, 0);
    CHECK_EQ(bind(fd, SA(address), sizeof *address), 0);
    socklen_t length = sizeof *address;
    CHECK_EQ(getsockname(fd, SA(address), &length), 0);
    CHECK_EQ(length, sizeof *address);
    CHECK(address->sin6_port != 0);
    return fd;
}

static void test_ipv6(void) {
    check_begin("ipv6: TCP and UDP on ::1, IPV6_V6ONLY, a v4-mapped peer");
    /* TCP echo on ::1. */
    struct sockaddr_in6 address;
    int listener = bound6(SOCK_STREAM, &in6addr_loopback, -1, &address);
    CHECK_EQ(listen(listener, 4), 0);
    CHECK(IN6_IS_ADDR_LOOPBACK(&address.sin6_addr));
    int client = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(client >= 0);
    CHECK_EQ(connect(client, SA(&address), sizeof address), 0);
    struct sockaddr_in6 peer, name;
    socklen_t length = sizeof peer;
    int server = accept(listener, SA(&peer), &length);
    CHECK(server >= 0);
    CHECK_EQ(length, sizeof peer);
    length = sizeof name;
    CHECK_EQ(getsockname(client, SA(&name), &length), 0);
    CHECK(same6(&peer, &name));
    CHECK(IN6_IS_ADDR_LOOPBACK(&peer.sin6_addr));
    length = sizeof peer;
    CHECK_EQ(getpeername(client, SA(&peer), &length), 0);
    CHECK(same6(&peer, &address));
    CHECK_EQ(int_option(client, SOL_SOCKET, SO_DOMAIN), AF_INET6);
    CHECK_EQ(int_option(client, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
    char buf[64];
    CHECK_EQ(write(client, "six", 3), 3);
    CHECK_EQ(read_full(server, buf, 3), 3);
    CHECK(memcmp(buf, "six", 3) == 0);
    CHECK_EQ(write(server, "SIX!", 4), 4);
    CHECK_EQ(read_full(client, buf, 4), 4);
    CHECK(memcmp(buf, "SIX!", 4) == 0);
    close(client);
    CHECK_EQ(read(server, buf, sizeof buf), 0);
    close(server);
    close(listener);

    /* UDP echo on ::1. */
    struct sockaddr_in6 a_name, b_name, from;
    int a = bound6(SOCK_DGRAM, &in6addr_loopback, -1, &a_name);
    int b = bound6(SOCK_DGRAM, &in6addr_loopback, -1, &b_name);
    CHECK_EQ(int_option(a, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
    CHECK_EQ(sendto(a, "ping6", 5, 0, SA(&b_name), sizeof b_name), 5);
    length = sizeof from;
    CHECK_EQ(recvfrom(b, buf, sizeof buf, 0, SA(&from), &length), 5);
    CHECK(memcmp(buf, "ping6", 5) == 0);
    CHECK_EQ(length, sizeof from);
    CHECK(same6(&from, &a_name));
    CHECK_EQ(sendto(b, buf, 5, 0, SA(&from), length), 5);
    length = sizeof from;
    CHECK_EQ(recvfrom(a, buf, sizeof buf, 0, SA(&from), &length), 5);
    CHECK(memcmp(buf, "ping6", 5) == 0);
    CHECK(same6(&from, &b_name));
    close(a);
    close(b);

    /* IPV6_V6ONLY: off by default, can be set. */
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK_EQ(int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
    int one = 1;
    CHECK_EQ(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), 0);
    CHECK_EQ(int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
    close(fd);

    /* A dual-stack listener on :: takes an IPv4 client; the peer's name is
     * v4-mapped (::ffff:127.0.0.1). */
    listener = bound6(SOCK_STREAM, &in6addr_any, 0, &address);
    CHECK_EQ(int_option(listener, IPPROTO_IPV6, IPV6_V6ONLY), 0);
    CHECK_EQ(listen(listener, 4), 0);
    struct sockaddr_in target = loopback4(address.sin6_port);
    client = connect4(&target);
    struct sockaddr_in client_name;
    length = sizeof client_name;
    CHECK_EQ(getsockname(client, SA(&client_name), &length), 0);
    length = sizeof peer;
    server = accept(listener, SA(&peer), &length);
    CHECK(server >= 0);
    CHECK_EQ(length, sizeof peer);
    CHECK_EQ(peer.sin6_family, AF_INET6);
    CHECK(IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr));
    CHECK(memcmp(&peer.sin6_addr.s6_addr[12], &client_name.sin_addr, 4) == 0);
    CHECK_EQ(peer.sin6_port, client_name.sin_port);
    struct sockaddr_in6 again;
    length = sizeof again;
    CHECK_EQ(getpeername(server, SA(&again), &length), 0);
    CHECK(same6(&again, &peer));
    length = sizeof name;
    CHECK_EQ(getsockname(server, SA(&name), &length), 0);
    CHECK(IN6_IS_ADDR_V4MAPPED(&name.sin6_addr));
    CHECK_EQ(ntohl(*(const uint32_t *)(const void *)&name.sin6_addr.s6_addr[12]), INADDR_LOOPBACK);
    CHECK_EQ(name.sin6_port, address.sin6_port);
    CHECK_EQ(write(client, "v4", 2), 2);
    CHECK_EQ(read_full(server, buf, 2), 2);
    CHECK(memcmp(buf, "v4", 2) == 0);
    close(client);
    close(server);
    close(listener);

    /* With IPV6_V6ONLY set, the same kind of listener refuses IPv4. */
    listener = bound6(SOCK_STREAM, &in6addr_any, 1, &address);
    CHECK_EQ(listen(listener, 4), 0);
    target = loopback4(address.sin6_port);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_ERR(connect(fd, SA(&target), sizeof target), ECONNREFUSED);
    close(fd);
    close(listener);
    check_end();
}

/* One netlink request; returns the bytes of the first reply datagram. */
static ssize_t netlink_ask(int fd, uint16_t type, uint16_t flags, uint32_t seq, void *reply, size_t size) {
    struct {
        struct nlmsghdr header;
        struct rtgenmsg body;
    } request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = type;
    request.header.nlmsg_flags = flags;
    request.header.nlmsg_seq = seq;
    request.body.rtgen_family = AF_UNSPEC;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(fd, &request, sizeof request, 0, SA(&kernel), sizeof kernel) != (ssize_t)sizeof request)
        return -1;
    return recv(fd, reply, size, 0);
}

static void test_netlink(void) {
    /* getifaddrs: lo with 127.0.0.1 (and an AF_PACKET entry from its link). */
    struct ifaddrs *list = NULL;
    CHECK_EQ(getifaddrs(&list), 0);
    int lo_inet = 0, lo_packet = 0, lo_inet6 = 0;
    for (struct ifaddrs *entry = list; entry; entry = entry->ifa_next) {
        if (strcmp(entry->ifa_name, "lo") != 0 || !entry->ifa_addr)
            continue;
        CHECK(entry->ifa_flags & IFF_UP);
        CHECK(entry->ifa_flags & IFF_LOOPBACK);
        if (entry->ifa_addr->sa_family == AF_INET) {
            const struct sockaddr_in *in = (const void *)entry->ifa_addr;
            CHECK_EQ(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);
            CHECK_EQ(ntohl(((const struct sockaddr_in *)(const void *)entry->ifa_netmask)->sin_addr.s_addr),
                     0xff000000u);
            lo_inet++;
        } else if (entry->ifa_addr->sa_family == AF_INET6) {
            CHECK(IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)entry->ifa_addr)->sin6_addr));
            lo_inet6++;
        } else if (entry->ifa_addr->sa_family == AF_PACKET) {
            lo_packet++;
        }
    }
    freeifaddrs(list);
    CHECK_EQ(lo_inet, 1);
    CHECK_EQ(lo_inet6, 1);
    CHECK_EQ(lo_packet, 1);

    /* Names and indexes. */
    unsigned lo_index = if_nametoindex("lo");
    CHECK(lo_index > 0);
    char name[IF_NAMESIZE];
    CHECK(if_indextoname(lo_index, name) != NULL);
    CHECK(strcmp(name, "lo") == 0);
    CHECK_EQ(if_nametoindex("nosuch0"), 0);
    struct if_nameindex *names = if_nameindex();
    CHECK(names != NULL);
    int found = 0;
    for (struct if_nameindex *n = names; n && n->if_index; n++)
        found += strcmp(n->if_name, "lo") == 0 && n->if_index == lo_index;
    CHECK_EQ(found, 1);
    if_freenameindex(names);

    /* A raw dump: RTM_NEWLINK messages with our sequence number and port,
     * then NLMSG_DONE. */
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    CHECK(fd >= 0);
    struct sockaddr_nl local = { .nl_family = AF_NETLINK };
    CHECK_EQ(bind(fd, SA(&local), sizeof local), 0);
    socklen_t length = sizeof local;
    CHECK_EQ(getsockname(fd, SA(&local), &length), 0);
    CHECK_EQ(local.nl_family, AF_NETLINK);
    CHECK(local.nl_pid != 0);
    CHECK_EQ(int_option(fd, SOL_SOCKET, SO_PROTOCOL), NETLINK_ROUTE);
    static char reply[32768];
    int links = 0, done = 0;
    ssize_t got = netlink_ask(fd, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 77, reply, sizeof reply);
    for (int rounds = 0; got > 0 && !done && rounds < 16; rounds++) {
        for (struct nlmsghdr *h = (void *)reply; NLMSG_OK(h, (size_t)got); h = NLMSG_NEXT(h, got)) {
            CHECK_EQ(h->nlmsg_seq, 77);
            CHECK_EQ(h->nlmsg_pid, local.nl_pid);
            if (h->nlmsg_type == NLMSG_DONE) {
                done = 1;
                break;
            }
            CHECK_EQ(h->nlmsg_type, RTM_NEWLINK);
            CHECK(h->nlmsg_flags & NLM_F_MULTI);
            const struct ifinfomsg *info = NLMSG_DATA(h);
            if (info->ifi_index == (int)lo_index) {
                CHECK(info->ifi_flags & IFF_LOOPBACK);
                links++;
            }
        }
        if (!done)
            got = recv(fd, reply, sizeof reply, 0);
    }
    CHECK_EQ(done, 1);
    CHECK_EQ(links, 1);
    CHECK_ERR(recv(fd, reply, sizeof reply, MSG_DONTWAIT), EAGAIN);

    /* A request of a type rtnetlink does not know: an error message. */
    got = netlink_ask(fd, RTM_MAX + 10, NLM_F_REQUEST | NLM_F_ACK, 78, reply, sizeof reply);
    CHECK(got >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)));
    struct nlmsghdr *h = (void *)reply;
    CHECK_EQ(h->nlmsg_type, NLMSG_ERROR);
    CHECK_EQ(h->nlmsg_seq, 78);
    CHECK_EQ(((struct nlmsgerr *)NLMSG_DATA(h))->error, -EOPNOTSUPP);
    close(fd);
    CHECK_ERR(socket(AF_NETLINK, SOCK_RAW, 31), EPROTONOSUPPORT);
    check_end();
}

static const struct check_test groups[] = {
    { "tcp", test_tcp },         { "big", test_big },         { "many", test_many },
    { "halfclose", test_halfclose }, { "refused", test_refused }, { "timeout", test_timeout },
    { "epoll", test_epoll },     { "udp", test_udp },         { "ifreq", test_ifreq },
    { "ipv6", test_ipv6 },       { "netlink", test_netlink },
};
#define GROUPS (sizeof groups / sizeof groups[0])

static const struct check_test *find_group(const char *name) {
    for (size_t i = 0; i < GROUPS; i++)
        if (strcmp(groups[i].name, name) == 0)
            return &groups[i];
    return NULL;
}

static void run_group(const struct check_test *group) {
    current_group = group->name;
    alarm(60);
    group->run();
    alarm(0);
    printf("[inet] %s %s\n", group->name, check_group_fails ? "FAILED" : "ok");
    fflush(stdout);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        if (!find_group(argv[i])) {
            printf("inet: unknown group '%s'\n", argv[i]);
            return 2;
        }
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_timeout;
    sigaction(SIGALRM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    alarm(60);
    setup_loopback();
    alarm(0);
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            run_group(find_group(argv[i]));
    } else {
        for (size_t i = 0; i < GROUPS; i++)
            run_group(&groups[i]);
    }
    if (check_failures) {
        printf("%d check(s) failed\n[Test] inet FAILED\n", check_failures);
        return 1;
    }
    printf("[Test] inet PASSED\n");
    return 0;
}
