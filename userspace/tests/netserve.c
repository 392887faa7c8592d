/* netserve: a TCP server for the host-side network test
 * (tests/system/net_forward.py drives it through a QEMU port forward).
 *   netserve PORT [SECONDS]
 * Listens on 0.0.0.0:PORT, prints "[netserve] listening on PORT" once it
 * does, and serves each connection in a child process (fork per
 * connection, at most 64 at once) by the first byte the client sends:
 *   'E'  echo: everything after the 'E' is sent back, until the client's EOF
 *   'S'  sink: everything after the 'S' is read until EOF, then the reply is
 *        40 bytes: the length (little-endian u64) and the SHA-256 of the data
 *   'Q'  quit: the server stops listening, waits for its children, prints
 *        "[netserve] served N connections" and "[Test] netserve PASSED"
 * Any other first byte, or a client that resets or goes away mid-stream,
 * ends that connection only. A child killed by a signal makes the verdict
 * FAILED (status 1). SECONDS (default 600) bounds the whole run: SIGALRM
 * prints FAILED and exits 1, so the server never outlives its harness. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 64

/* ---- SHA-256 (FIPS 180-4); the host side uses Python's hashlib.sha256 */
struct sha256 {
    uint32_t h[8];
    uint64_t length; /* bytes hashed so far */
    unsigned char block[64];
    size_t used; /* bytes in block */
};

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_init(struct sha256 *s) {
    static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(s->h, h0, sizeof h0);
    s->length = 0;
    s->used = 0;
}

static void sha256_block(struct sha256 *s, const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
    s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha256_update(struct sha256 *s, const unsigned char *p, size_t n) {
    s->length += n;
    if (s->used) {
        size_t take = 64 - s->used < n ? 64 - s->used : n;
        memcpy(s->block + s->used, p, take);
        s->used += take, p += take, n -= take;
        if (s->used < 64)
            return;
        sha256_block(s, s->block);
        s->used = 0;
    }
    for (; n >= 64; p += 64, n -= 64)
        sha256_block(s, p);
    memcpy(s->block, p, n);
    s->used = n;
}

static void sha256_final(struct sha256 *s, unsigned char out[32]) {
    uint64_t bits = s->length * 8;
    unsigned char pad[72] = { 0x80 };
    size_t pad_length = (s->used < 56 ? 56 : 120) - s->used;
    for (int i = 0; i < 8; i++)
        pad[pad_length + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(s, pad, pad_length + 8);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (unsigned char)(s->h[i] >> (24 - 8 * j));
}

/* ---- one connection, in its own process */
static unsigned char buffer[64 * 1024];

static int write_all(int fd, const unsigned char *p, size_t n) {
    while (n) {
        ssize_t done = write(fd, p, n);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return -1;
        p += done, n -= (size_t)done;
    }
    return 0;
}

static ssize_t read_some(int fd, void *p, size_t n) {
    ssize_t done;
    do
        done = read(fd, p, n);
    while (done < 0 && errno == EINTR);
    return done;
}

/* Exit status: 0 served, 1 the client went away or sent garbage (both
 * expected: only a signal counts against the server). */
static int serve(int fd, int quit_pipe) {
    unsigned char command;
    if (read_some(fd, &command, 1) != 1)
        return 1;
    switch (command) {
    case 'E':
        for (;;) {
            ssize_t n = read_some(fd, buffer, sizeof buffer);
            if (n == 0)
                return 0;
            if (n < 0 || write_all(fd, buffer, (size_t)n) < 0)
                return 1;
        }
    case 'S': {
        struct sha256 hash;
        sha256_init(&hash);
        for (;;) {
            ssize_t n = read_some(fd, buffer, sizeof buffer);
            if (n == 0)
                break;
            if (n < 0)
                return 1;
            sha256_update(&hash, buffer, (size_t)n);
        }
        unsigned char reply[40];
        for (int i = 0; i < 8; i++)
            reply[i] = (unsigned char)(hash.length >> (8 * i));
        sha256_final(&hash, reply + 8);
        return write_all(fd, reply, sizeof reply) < 0 ? 1 : 0;
    }
    case 'Q':
        return write(quit_pipe, "Q", 1) == 1 ? 0 : 1;
    default:
        return 1;
    }
}

/* ---- the listener */
static void on_alarm(int signal) {
    (void)signal;
    static const char message[] = "[netserve] time limit reached\n[Test] netserve FAILED\n";
    ssize_t ignored = write(1, message, sizeof message - 1);
    (void)ignored;
    _exit(1);
}

static int children, child_failures;

static void reap(int options) {
    int status;
    pid_t pid;
    while (children > 0 && (pid = waitpid(-1, &status, options)) != 0) {
        if (pid < 0) {
            if (errno == ECHILD)
                children = 0; /* none left, whatever the count said */
            return;
        }
        children--;
        if (WIFSIGNALED(status)) {
            printf("[netserve] connection process %d killed by signal %d\n", (int)pid, WTERMSIG(status));
            child_failures++;
        }
        options |= WNOHANG; /* one blocking wait at most */
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: netserve PORT [SECONDS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    unsigned seconds = argc > 2 ? (unsigned)atoi(argv[2]) : 600;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-echo is EPIPE, not death */
    struct sigaction alarm_action = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &alarm_action, NULL);
    alarm(seconds);

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                   .sin_addr.s_addr = htonl(INADDR_ANY) };
    int quit[2];
    if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, MAX_CHILDREN) < 0 ||
        pipe2(quit, O_CLOEXEC) < 0) {
        printf("[netserve] cannot listen on port %d: %s\n[Test] netserve FAILED\n", port, strerror(errno));
        return 1;
    }
    printf("[netserve] listening on %d\n", port);
    fflush(stdout);

    long served = 0;
    for (;;) {
        reap(WNOHANG);
        /* The short timeout only paces the reaping of finished children. */
        struct pollfd fds[2] = { { listener, POLLIN, 0 }, { quit[0], POLLIN, 0 } };
        int ready = poll(fds, 2, 100);
        if (ready < 0 && errno != EINTR) {
            printf("[netserve] poll: %s\n", strerror(errno));
            child_failures++;
            break;
        }
        if (ready <= 0)
            continue;
        if (fds[1].revents)
            break;
        if (!(fds[0].revents & POLLIN))
            continue;
        int connection = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (connection < 0) {
            /* The client may already be gone (ECONNABORTED): not ours to fail. */
            if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
                printf("[netserve] accept: %s\n", strerror(errno));
            continue;
        }
        served++;
        if (children >= MAX_CHILDREN)
            reap(0);
        pid_t pid = fork();
        if (pid == 0) {
            close(listener);
            close(quit[0]);
            alarm(seconds); /* not inherited across fork */
            int status = serve(connection, quit[1]);
            close(connection);
            _exit(status);
        }
        close(connection);
        if (pid < 0) {
            printf("[netserve] fork: %s\n", strerror(errno));
            child_failures++;
            continue;
        }
        children++;
    }
    close(listener);
    while (children > 0)
        reap(0);
    printf("[netserve] served %ld connections\n", served);
    printf("[Test] netserve %s\n", child_failures ? "FAILED" : "PASSED");
    return child_failures ? 1 : 0;
}
