/* sockets: AF_UNIX sockets as Linux has them.
 *   pair      socketpair(SOCK_STREAM): both directions, shutdown and EOF,
 *             EPIPE/SIGPIPE and MSG_NOSIGNAL, poll bits, fstat, names,
 *             options (SO_TYPE, SO_DOMAIN, SO_PEERCRED, SO_ACCEPTCONN)
 *   server    a path-bound listener: connect/accept from a child, echo,
 *             getsockname/getpeername, EADDRINUSE, ENOENT, ECONNREFUSED,
 *             the socket node left behind
 *   abstract  the abstract namespace and autobind
 *   dgram     message boundaries, truncation (MSG_TRUNC), sendto a bound
 *             socket, connect, EMSGSIZE
 *   seqpacket a listener of records
 *   rights    SCM_RIGHTS: a pipe end passed over a socket and across fork,
 *             MSG_CTRUNC, MSG_CMSG_CLOEXEC; SCM_CREDENTIALS with SO_PASSCRED
 *   nonblock  EAGAIN, SO_RCVTIMEO, a full stream
 *   errors    the error cases of socket, listen, accept, connect, send, recv
 *   poll      epoll on a listener and on a connection whose peer closed
 * Usage: sockets [GROUP]. Socket files are made in $SOCKET_DIR (default /tmp). */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>

static int poll_bits(int fd, short events) {
    struct pollfd p = { fd, events, 0 };
    return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

static socklen_t path_address(struct sockaddr_un *address, const char *name) {
    const char *dir = getenv("SOCKET_DIR");
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    snprintf(address->sun_path, sizeof address->sun_path, "%s/%s", dir ? dir : "/tmp", name);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(address->sun_path) + 1);
}

static socklen_t abstract_address(struct sockaddr_un *address, const char *name) {
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    memcpy(address->sun_path + 1, name, strlen(name));
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static void test_pair(void) {
    check_begin("pair: socketpair(SOCK_STREAM) both ways, shutdown, EPIPE, options");
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    CHECK_EQ(fcntl(sv[0], F_GETFD), FD_CLOEXEC);
    struct stat st;
    CHECK_EQ(fstat(sv[0], &st), 0);
    CHECK(S_ISSOCK(st.st_mode));
    char link[64], target[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", sv[0]);
    ssize_t n = readlink(link, target, sizeof target - 1);
    CHECK(n > 8);
    if (n > 0) {
        target[n] = 0;
        CHECK(strncmp(target, "socket:[", 8) == 0);
    }
    CHECK_EQ(poll_bits(sv[0], POLLIN | POLLOUT), POLLOUT);
    CHECK_EQ(write(sv[0], "ping", 4), 4);
    CHECK_EQ(poll_bits(sv[1], POLLIN | POLLOUT), POLLIN | POLLOUT);
    char buf[16];
    CHECK_EQ(read(sv[1], buf, sizeof buf), 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    CHECK_EQ(send(sv[1], "pong!", 5, 0), 5);
    CHECK_EQ(recv(sv[0], buf, 2, 0), 2);  /* a stream: the rest stays */
    CHECK_EQ(recv(sv[0], buf, sizeof buf, MSG_PEEK), 3);
    CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), 3);
    CHECK(memcmp(buf, "ng!", 3) == 0);

    struct sockaddr_un address;
    socklen_t length = sizeof address;
    CHECK_EQ(getsockname(sv[0], (struct sockaddr *)&address, &length), 0);
    CHECK_EQ(length, sizeof(sa_family_t));
    CHECK_EQ(address.sun_family, AF_UNIX);
    length = sizeof address;
    CHECK_EQ(getpeername(sv[0], (struct sockaddr *)&address, &length), 0);
    CHECK_EQ(length, sizeof(sa_family_t));
    int value = 0;
    socklen_t size = sizeof value;
    CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &value, &size), 0);
    CHECK_EQ(value, SOCK_STREAM);
    CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &value, &size), 0);
    CHECK_EQ(value, AF_UNIX);
    CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_ACCEPTCONN, &value, &size), 0);
    CHECK_EQ(value, 0);
    struct ucred credentials;
    size = sizeof credentials;
    CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &credentials, &size), 0);
    CHECK_EQ(size, sizeof credentials);
    CHECK_EQ(credentials.pid, getpid());
    CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, 9999, &value, &size), ENOPROTOOPT);
    CHECK_ERR(getsockopt(sv[0], 6 /* SOL_TCP */, 1, &value, &size), EOPNOTSUPP);

    /* shutdown(SHUT_WR): the peer reads end of file, our writes fail. */
    CHECK_EQ(shutdown(sv[0], SHUT_WR), 0);
    CHECK_EQ(read(sv[1], buf, sizeof buf), 0);
    CHECK_EQ(poll_bits(sv[1], POLLIN | POLLRDHUP), POLLIN | POLLRDHUP);
    signal(SIGPIPE, SIG_IGN);
    CHECK_ERR(write(sv[0], "x", 1), EPIPE);
    CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK_EQ(write(sv[1], "back", 4), 4);  /* the other direction still works */
    CHECK_EQ(read(sv[0], buf, sizeof buf), 4);
    CHECK_ERR(shutdown(sv[0], 7), EINVAL);
    /* The peer's close: end of file and POLLHUP. */
    close(sv[1]);
    CHECK_EQ(read(sv[0], buf, sizeof buf), 0);
    CHECK_EQ(poll_bits(sv[0], POLLIN) & (POLLIN | POLLHUP), POLLIN | POLLHUP);
    close(sv[0]);

    /* Writing to a closed peer raises SIGPIPE (default action: death). */
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    signal(SIGPIPE, SIG_DFL);
    pid_t child = fork();
    if (child == 0) {
        (void)write(sv[0], "x", 1);
        _exit(0);
    }
    check_child_status(child, 0, SIGPIPE);
    close(sv[0]);
    check_end();
}

static void test_server(void) {
    check_begin("server: a path-bound listener, connect, accept, names, errors");
    struct sockaddr_un address;
    socklen_t length = path_address(&address, "sockets-server");
    unlink(address.sun_path);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(listener >= 0);
    CHECK_EQ(bind(listener, (struct sockaddr *)&address, length), 0);
    struct stat st;
    CHECK_EQ(stat(address.sun_path, &st), 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK_EQ(listen(listener, 4), 0);
    int value = 0;
    socklen_t size = sizeof value;
    CHECK_EQ(getsockopt(listener, SOL_SOCKET, SO_ACCEPTCONN, &value, &size), 0);
    CHECK_EQ(value, 1);
    struct sockaddr_un name;
    socklen_t name_length = sizeof name;
    CHECK_EQ(getsockname(listener, (struct sockaddr *)&name, &name_length), 0);
    CHECK_EQ(name_length, length);
    CHECK(strcmp(name.sun_path, address.sun_path) == 0);

    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        int client = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK_EQ(connect(client, (struct sockaddr *)&address, length), 0);
        struct sockaddr_un peer;
        socklen_t peer_length = sizeof peer;
        CHECK_EQ(getpeername(client, (struct sockaddr *)&peer, &peer_length), 0);
        CHECK_EQ(peer_length, length);
        CHECK_EQ(write(client, "hello server", 12), 12);
        char reply[32];
        ssize_t got = read(client, reply, sizeof reply);
        CHECK_EQ(got, 12);
        CHECK(got == 12 && memcmp(reply, "HELLO SERVER", 12) == 0);
        close(client);
        check_child_done(failures);
    }
    struct sockaddr_un peer;
    socklen_t peer_length = sizeof peer;
    int connection = accept(listener, (struct sockaddr *)&peer, &peer_length);
    CHECK(connection >= 0);
    CHECK_EQ(peer_length, sizeof(sa_family_t));  /* the client is unnamed */
    char buf[32];
    ssize_t got = read(connection, buf, sizeof buf);
    CHECK_EQ(got, 12);
    for (ssize_t i = 0; i < got; i++)
        buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
    CHECK_EQ(write(connection, buf, (size_t)got), got);
    CHECK_EQ(read(connection, buf, sizeof buf), 0);  /* the client closed */
    struct ucred credentials;
    size = sizeof credentials;
    CHECK_EQ(getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &credentials, &size), 0);
    CHECK_EQ(credentials.pid, child);
    check_child_status(child, 0, 0);
    close(connection);

    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(bind(other, (struct sockaddr *)&address, length), EADDRINUSE);
    CHECK_ERR(bind(listener, (struct sockaddr *)&address, length), EADDRINUSE);  /* the node is looked at first */
    struct sockaddr_un second;
    socklen_t second_length = path_address(&second, "sockets-second-name");
    unlink(second.sun_path);
    CHECK_ERR(bind(listener, (struct sockaddr *)&second, second_length), EINVAL);  /* bound already */
    CHECK_ERR(stat(second.sun_path, &st), ENOENT);  /* and the node made meanwhile is gone */
    struct sockaddr_un missing;
    socklen_t missing_length = path_address(&missing, "sockets-no-such-socket");
    unlink(missing.sun_path);
    CHECK_ERR(connect(other, (struct sockaddr *)&missing, missing_length), ENOENT);
    /* A regular file is no socket. */
    int file = open(missing.sun_path, O_CREAT | O_WRONLY, 0600);
    close(file);
    CHECK_ERR(connect(other, (struct sockaddr *)&missing, missing_length), ECONNREFUSED);
    unlink(missing.sun_path);
    /* The listener gone, its node stays and refuses. */
    close(listener);
    CHECK_EQ(stat(address.sun_path, &st), 0);
    CHECK_ERR(connect(other, (struct sockaddr *)&address, length), ECONNREFUSED);
    close(other);
    CHECK_EQ(unlink(address.sun_path), 0);
    check_end();
}

static void test_abstract(void) {
    check_begin("abstract: names without a file, autobind");
    struct sockaddr_un address;
    char name[32];
    snprintf(name, sizeof name, "akuma-test-%d", getpid());
    socklen_t length = abstract_address(&address, name);
    int listener = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    CHECK_EQ(bind(listener, (struct sockaddr *)&address, length), 0);
    CHECK_EQ(listen(listener, 1), 0);
    int taken = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    CHECK_ERR(bind(taken, (struct sockaddr *)&address, length), EADDRINUSE);
    close(taken);
    int client = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    CHECK_EQ(connect(client, (struct sockaddr *)&address, length), 0);
    int connection = accept(listener, NULL, NULL);
    CHECK(connection >= 0);
    struct sockaddr_un got;
    socklen_t got_length = sizeof got;
    CHECK_EQ(getsockname(connection, (struct sockaddr *)&got, &got_length), 0);
    CHECK_EQ(got_length, length);
    CHECK(memcmp(got.sun_path, address.sun_path, length - offsetof(struct sockaddr_un, sun_path)) == 0);
    close(connection);
    close(client);
    close(listener);

    int autobound = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un family_only = { .sun_family = AF_UNIX };
    CHECK_EQ(bind(autobound, (struct sockaddr *)&family_only, sizeof(sa_family_t)), 0);
    got_length = sizeof got;
    CHECK_EQ(getsockname(autobound, (struct sockaddr *)&got, &got_length), 0);
    CHECK_EQ(got_length, offsetof(struct sockaddr_un, sun_path) + 6);
    CHECK_EQ(got.sun_path[0], 0);
    close(autobound);
    check_end();
}

static void test_dgram(void) {
    check_begin("dgram: boundaries, truncation, sendto, connect, EMSGSIZE");
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    CHECK_EQ(send(sv[0], "one", 3, 0), 3);
    CHECK_EQ(send(sv[0], "second", 6, 0), 6);
    CHECK_EQ(send(sv[0], "", 0, 0), 0);
    char buf[16];
    CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 3);
    CHECK_EQ(recv(sv[1], buf, 3, MSG_TRUNC), 6);  /* the real length */
    CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 0);   /* the empty datagram */
    struct iovec vector = { buf, 2 };
    struct msghdr header = { .msg_iov = &vector, .msg_iovlen = 1 };
    CHECK_EQ(send(sv[0], "abcdef", 6, 0), 6);
    CHECK_EQ(recvmsg(sv[1], &header, 0), 2);
    CHECK(header.msg_flags & MSG_TRUNC);
    CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), -1);  /* the rest went with it */
    close(sv[0]);
    close(sv[1]);

    struct sockaddr_un address;
    socklen_t length = path_address(&address, "sockets-dgram");
    unlink(address.sun_path);
    int server = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_EQ(bind(server, (struct sockaddr *)&address, length), 0);
    int client = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_ERR(send(client, "x", 1, 0), ENOTCONN);
    CHECK_EQ(sendto(client, "to you", 6, 0, (struct sockaddr *)&address, length), 6);
    struct sockaddr_un from;
    socklen_t from_length = sizeof from;
    CHECK_EQ(recvfrom(server, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_length), 6);
    CHECK_EQ(from_length, 0);  /* an unbound sender has no name */
    struct sockaddr_un client_address;
    socklen_t client_length = path_address(&client_address, "sockets-dgram-client");
    unlink(client_address.sun_path);
    CHECK_EQ(bind(client, (struct sockaddr *)&client_address, client_length), 0);
    CHECK_EQ(connect(client, (struct sockaddr *)&address, length), 0);
    CHECK_EQ(send(client, "named", 5, 0), 5);
    from_length = sizeof from;
    CHECK_EQ(recvfrom(server, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_length), 5);
    CHECK_EQ(from_length, client_length);
    CHECK(strcmp(from.sun_path, client_address.sun_path) == 0);
    static char huge[300000];
    CHECK_ERR(send(client, huge, sizeof huge, 0), EMSGSIZE);
    /* The destination closed: the first send after is ECONNREFUSED. */
    close(server);
    CHECK_ERR(send(client, "x", 1, 0), ECONNREFUSED);
    CHECK_ERR(send(client, "x", 1, 0), ENOTCONN);
    close(client);
    unlink(address.sun_path);
    unlink(client_address.sun_path);
    check_end();
}

static void test_seqpacket(void) {
    check_begin("seqpacket: records over a connection");
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    CHECK_EQ(write(sv[0], "rec1", 4), 4);
    CHECK_EQ(write(sv[0], "record2", 7), 7);
    char buf[16];
    CHECK_EQ(read(sv[1], buf, sizeof buf), 4);
    CHECK_EQ(read(sv[1], buf, 3), 3);  /* the rest of the record is dropped */
    CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    close(sv[0]);
    CHECK_EQ(read(sv[1], buf, sizeof buf), 0);
    close(sv[1]);
    check_end();
}

static int send_fds(int socket, const int *fds, int count, const char *byte) {
    char control[CMSG_SPACE(sizeof(int) * 4)];
    memset(control, 0, sizeof control);
    struct iovec vector = { (void *)byte, 1 };
    struct msghdr header = { .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count) };
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&header);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)count);
    return (int)sendmsg(socket, &header, 0);
}

/* Receives one byte and up to `room` descriptors into fds; the count (or -1). */
static int receive_fds(int socket, int *fds, int room, int flags, int *message_flags) {
    char control[CMSG_SPACE(sizeof(int) * 4)];
    char byte;
    struct iovec vector = { &byte, 1 };
    struct msghdr header = { .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = room ? CMSG_SPACE(sizeof(int) * (size_t)room) : 0 };
    if (recvmsg(socket, &header, flags) != 1)
        return -1;
    if (message_flags)
        *message_flags = header.msg_flags;
    int count = 0;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&header); cmsg; cmsg = CMSG_NXTHDR(&header, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            count = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds, CMSG_DATA(cmsg), sizeof(int) * (size_t)count);
        }
    }
    return count;
}

static void test_rights(void) {
    check_begin("rights: descriptors and credentials over a socket");
    int sv[2], p[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(send_fds(sv[0], &p[1], 1, "w"), 1);
    close(p[1]);  /* the one in flight keeps the write end open */
    int got[4] = { -1, -1, -1, -1 };
    int flags = 0;
    CHECK_EQ(receive_fds(sv[1], got, 1, 0, &flags), 1);
    CHECK_EQ(flags & MSG_CTRUNC, 0);
    CHECK(got[0] >= 0);
    CHECK_EQ(fcntl(got[0], F_GETFD), 0);
    CHECK_EQ(write(got[0], "via fd", 6), 6);
    char buf[16];
    CHECK_EQ(read(p[0], buf, sizeof buf), 6);
    close(got[0]);
    CHECK_EQ(read(p[0], buf, sizeof buf), 0);  /* every write end is closed now */
    close(p[0]);

    /* Across fork: the child receives a descriptor of the parent's. */
    CHECK_EQ(pipe(p), 0);
    int failures = check_failures;
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        close(p[1]);
        int fd = -1;
        CHECK_EQ(receive_fds(sv[1], &fd, 1, MSG_CMSG_CLOEXEC, NULL), 1);
        CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
        CHECK_EQ(write(fd, "child", 5), 5);
        check_child_done(failures);
    }
    CHECK_EQ(send_fds(sv[0], &p[1], 1, "c"), 1);
    close(p[1]);
    check_child_status(child, 0, 0);
    CHECK_EQ(read(p[0], buf, sizeof buf), 5);
    close(p[0]);

    /* Too little control room: MSG_CTRUNC, the rest closed. */
    int three[3];
    CHECK_EQ(pipe(p), 0);
    three[0] = three[1] = three[2] = p[1];
    CHECK_EQ(send_fds(sv[0], three, 3, "t"), 1);
    close(p[1]);
    /* Room for one is room for two (CMSG_SPACE rounds up to 8 bytes). */
    int received = receive_fds(sv[1], got, 1, 0, &flags);
    CHECK_EQ(received, 2);
    CHECK(flags & MSG_CTRUNC);
    for (int i = 0; i < received && i < 4; i++)
        close(got[i]);
    CHECK_EQ(read(p[0], buf, sizeof buf), 0);  /* the one not delivered was closed */
    close(p[0]);

    /* A bad descriptor in SCM_RIGHTS: EBADF, nothing sent. */
    int bad = 999;
    CHECK_ERR(send_fds(sv[0], &bad, 1, "b"), EBADF);
    CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), -1);

    /* SO_PASSCRED: every message comes with its sender's credentials. */
    int on = 1;
    CHECK_EQ(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
    CHECK_EQ(write(sv[0], "c", 1), 1);
    char control[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec vector = { buf, sizeof buf };
    struct msghdr header = { .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = sizeof control };
    CHECK_EQ(recvmsg(sv[1], &header, 0), 1);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&header);
    CHECK(cmsg != NULL);
    if (cmsg) {
        CHECK_EQ(cmsg->cmsg_type, SCM_CREDENTIALS);
        struct ucred credentials;
        memcpy(&credentials, CMSG_DATA(cmsg), sizeof credentials);
        CHECK_EQ(credentials.pid, getpid());
    }
    close(sv[0]);
    close(sv[1]);
    check_end();
}

static void test_nonblock(void) {
    check_begin("nonblock: EAGAIN, SO_RCVTIMEO, a full stream");
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    char buf[4096];
    CHECK_ERR(read(sv[0], buf, sizeof buf), EAGAIN);
    size_t total = 0;
    ssize_t n;
    memset(buf, 'x', sizeof buf);
    while ((n = write(sv[0], buf, sizeof buf)) > 0)
        total += (size_t)n;
    int error = errno;
    CHECK_EQ(error, EAGAIN);
    CHECK(total >= 65536);
    CHECK_EQ(poll_bits(sv[0], POLLOUT), 0);
    size_t drained = 0;
    while ((n = read(sv[1], buf, sizeof buf)) > 0)
        drained += (size_t)n;
    CHECK_EQ(drained, total);
    CHECK_EQ(poll_bits(sv[0], POLLOUT), POLLOUT);
    close(sv[0]);
    close(sv[1]);

    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct timeval timeout = { 0, 30000 };
    CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout), 0);
    struct timeval read_back;
    socklen_t size = sizeof read_back;
    CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &read_back, &size), 0);
    CHECK(read_back.tv_sec == 0 && read_back.tv_usec >= 30000 && read_back.tv_usec < 40000);  /* Linux: in ticks */
    CHECK_ERR(read(sv[0], buf, sizeof buf), EAGAIN);  /* after the timeout */
    struct timeval bad = { 0, 2000000 };
    CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad), EDOM);
    CHECK_EQ(recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), -1);
    close(sv[0]);
    close(sv[1]);

    /* SO_RCVLOWAT: a blocking read waits for that many bytes, a
     * nonblocking one takes what is there; SO_SNDLOWAT cannot be set. */
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int lowat = 4;
    CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat), 0);
    size = sizeof lowat;
    lowat = 0;
    CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_RCVLOWAT, &lowat, &size), 0);
    CHECK_EQ(lowat, 4);
    CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_SNDLOWAT, &lowat, sizeof lowat), ENOPROTOOPT);
    CHECK_EQ(write(sv[1], "ab", 2), 2);
    CHECK_EQ(recv(sv[0], buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT), 2);
    pid_t child = fork();
    if (child == 0) {
        struct timespec pause_ts = { 0, 50000000 };
        nanosleep(&pause_ts, NULL);
        (void)write(sv[1], "cd", 2);
        _exit(0);
    }
    CHECK_EQ(read(sv[0], buf, sizeof buf), 4);  /* waited for the second pair */
    check_child_status(child, 0, 0);
    CHECK_EQ(write(sv[1], "e", 1), 1);
    CHECK_EQ(recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), 1);
    close(sv[0]);
    close(sv[1]);
    check_end();
}

static void test_errors(void) {
    check_begin("errors: socket, listen, accept, connect, send, recv");
    CHECK_ERR(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0), EINVAL);
    CHECK_ERR(socket(AF_UNIX, 4 /* SOCK_RDM */, 0), ESOCKTNOSUPPORT);
    CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 7), EPROTONOSUPPORT);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_ERR(listen(p[0], 1), ENOTSOCK);
    CHECK_ERR(listen(999, 1), EBADF);
    close(p[0]);
    close(p[1]);
    int dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_ERR(listen(dgram, 1), EOPNOTSUPP);
    int stream = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(listen(stream, 1), EINVAL);  /* not bound */
    CHECK_ERR(accept(stream, NULL, NULL), EINVAL);
    char buf[4];
    CHECK_ERR(recv(stream, buf, sizeof buf, 0), EINVAL);
    CHECK_ERR(send(stream, "x", 1, MSG_NOSIGNAL), ENOTCONN);
    struct sockaddr_un address;
    socklen_t length = path_address(&address, "sockets-errors");
    unlink(address.sun_path);
    CHECK_ERR(sendto(stream, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&address, length), EOPNOTSUPP);
    socklen_t name_length = sizeof address;
    CHECK_ERR(getpeername(stream, (struct sockaddr *)&address, &name_length), ENOTCONN);
    CHECK_ERR(bind(stream, (struct sockaddr *)&address, 1), EINVAL);
    struct sockaddr_in { sa_family_t family; char rest[14]; } inet = { 2, { 0 } };
    CHECK_ERR(bind(stream, (struct sockaddr *)&inet, sizeof inet), EINVAL);
    /* A stream client meets a datagram socket: EPROTOTYPE. */
    CHECK_EQ(bind(dgram, (struct sockaddr *)&address, length), 0);
    CHECK_ERR(connect(stream, (struct sockaddr *)&address, length), EPROTOTYPE);
    close(dgram);
    close(stream);
    unlink(address.sun_path);
    int sv[2];
    int *unmapped = (int *)(uintptr_t)8;  /* a volatile-free way past -Wstringop-overflow */
    __asm__("" : "+r"(unmapped));
    CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, unmapped), EFAULT);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_ERR(send(sv[0], (void *)8, 4, 0), EFAULT);
    CHECK_ERR(recv(sv[0], buf, sizeof buf, MSG_OOB), EINVAL);  /* no out-of-band byte is waiting */
    close(sv[0]);
    close(sv[1]);
    check_end();
}

static void test_poll(void) {
    check_begin("poll: a listener with a pending connection; a peer that left");
    struct sockaddr_un address;
    char name[32];
    snprintf(name, sizeof name, "akuma-poll-%d", getpid());
    socklen_t length = abstract_address(&address, name);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK_EQ(bind(listener, (struct sockaddr *)&address, length), 0);
    CHECK_EQ(listen(listener, 8), 0);
    int ep = epoll_create1(0);
    struct epoll_event event = { .events = EPOLLIN, .data.u32 = 1 };
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, listener, &event), 0);
    CHECK_EQ(epoll_wait(ep, &event, 1, 0), 0);
    CHECK_ERR(accept(listener, NULL, NULL), EAGAIN);
    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_EQ(connect(client, (struct sockaddr *)&address, length), 0);
    CHECK_EQ(epoll_wait(ep, &event, 1, 0), 1);
    int connection = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
    CHECK(connection >= 0);
    CHECK_EQ(fcntl(connection, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    CHECK_EQ(epoll_wait(ep, &event, 1, 0), 0);
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.u32 = 2;
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, connection, &event), 0);
    CHECK_EQ(epoll_wait(ep, &event, 1, 0), 0);
    close(client);
    CHECK_EQ(epoll_wait(ep, &event, 1, 0), 1);
    CHECK_EQ(event.data.u32, 2);
    CHECK_EQ(event.events, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
    close(connection);
    close(listener);
    close(ep);
    /* An unconnected stream socket polls as hung up, as on Linux. */
    int fresh = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_EQ(poll_bits(fresh, POLLIN | POLLOUT), POLLOUT | POLLHUP);
    close(fresh);
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const struct check_test tests[] = {
        { "pair", test_pair },       { "server", test_server },     { "abstract", test_abstract },
        { "dgram", test_dgram },     { "seqpacket", test_seqpacket }, { "rights", test_rights },
        { "nonblock", test_nonblock }, { "errors", test_errors },   { "poll", test_poll },
    };
    return check_run_tests("sockets", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
