/* netguard: the guest side of the bad-input network test
 * (tests/system/net_guard.py throws malformed frames at a second network
 * device and drives this program through a QEMU port forward on the first).
 *   netguard PORT [SECONDS]
 * Listens on 0.0.0.0:PORT, prints "[netguard] listening on PORT" once it
 * does, and serves up to 8 connections at once, one line per command, one
 * line per reply:
 *   ECHO TEXT       -> "TEXT": the server is up and TCP works
 *   BASE            -> "BASE free=KB slab=KB": reads /proc/meminfo (MemFree,
 *                      and Slab: the kernel heap's live bytes) as the baseline
 *   PEEK            -> "PEEK free=KB slab=KB": the same figures now
 *   WAIT SLAB_KB FREE_KB SECONDS
 *                   -> "BACK ..." or "NOTBACK ...": polls /proc/meminfo every
 *                      250 ms until Slab is at most SLAB_KB above the
 *                      baseline and MemFree at most FREE_KB below it, for at
 *                      most SECONDS
 *   QUIT            -> "BYE"; the program waits (up to 5 s) for the client
 *                      to close, prints its verdict and exits
 * A connection stays open until the client closes or resets it (so the
 * client, not this server, is the side left in TIME_WAIT, and a finished
 * connection leaves nothing behind in the guest); a line longer than 512
 * bytes ends it too. Before listening the program rehearses what it does
 * later (reading /proc/meminfo, formatting, its stack), so the baseline
 * does not count its own first-time page faults. The verdict is "[Test]
 * netguard PASSED" (status 0) only if a BASE and a WAIT came and the last
 * WAIT saw the memory back. SECONDS (default 600) bounds the whole run:
 * SIGALRM prints FAILED and exits 1. Runs on Linux as well (the memory
 * figures are then only as steady as Linux's). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 8
#define LINE_MAX_BYTES 512

struct memory {
    long free_kb; /* MemFree */
    long slab_kb; /* Slab */
};

/* One read of /proc/meminfo with read(2) into a static buffer: the
 * measurement itself allocates nothing in this process. */
static int read_memory(struct memory *out) {
    static char text[8192];
    int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, text + used, sizeof text - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == sizeof text - 1)
            break;
    }
    close(fd);
    text[used] = '\0';
    out->free_kb = out->slab_kb = -1;
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "MemFree:", 8) == 0)
            out->free_kb = strtol(line + 8, NULL, 10);
        else if (strncmp(line, "Slab:", 5) == 0)
            out->slab_kb = strtol(line + 5, NULL, 10);
    }
    return out->free_kb >= 0 && out->slab_kb >= 0 ? 0 : -1;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Touches the stack this program will ever use (its deepest calls are
 * printf's), so that no stack page is first faulted in after the baseline. */
static void __attribute__((noinline)) prefault_stack(void) {
    volatile char area[64 * 1024];
    for (size_t i = 0; i < sizeof area; i += 1024)
        area[i] = 0;
}

static void on_alarm(int signal) {
    (void)signal;
    static const char message[] = "[netguard] time limit reached\n[Test] netguard FAILED\n";
    (void)!write(1, message, sizeof message - 1);
    _exit(1);
}

static struct memory baseline;
static int have_baseline, waited, memory_back, quit;
static int quit_fd = -1; /* the connection that sent QUIT */

static void reply(int fd, const char *text) {
    size_t n = strlen(text);
    while (n) {
        ssize_t done = write(fd, text, n);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return; /* the client went away: its business */
        text += done, n -= (size_t)done;
    }
}

static void command(int fd, char *line) {
    char out[LINE_MAX_BYTES + 128];
    struct memory now;
    if (strncmp(line, "ECHO ", 5) == 0) {
        snprintf(out, sizeof out, "%s\n", line + 5);
    } else if (strcmp(line, "BASE") == 0) {
        if (read_memory(&now) < 0) {
            snprintf(out, sizeof out, "ERR cannot read /proc/meminfo\n");
        } else {
            baseline = now;
            have_baseline = 1;
            printf("[netguard] baseline: MemFree %ld kB, Slab %ld kB\n", now.free_kb, now.slab_kb);
            snprintf(out, sizeof out, "BASE free=%ld slab=%ld\n", now.free_kb, now.slab_kb);
        }
    } else if (strcmp(line, "PEEK") == 0) {
        if (read_memory(&now) < 0)
            snprintf(out, sizeof out, "ERR cannot read /proc/meminfo\n");
        else
            snprintf(out, sizeof out, "PEEK free=%ld slab=%ld\n", now.free_kb, now.slab_kb);
    } else if (strncmp(line, "WAIT ", 5) == 0) {
        long slab_tolerance_kb = 0, free_tolerance_kb = 0, seconds = 0;
        if (!have_baseline ||
            sscanf(line + 5, "%ld %ld %ld", &slab_tolerance_kb, &free_tolerance_kb, &seconds) != 3 ||
            seconds <= 0 || seconds > 3600) {
            snprintf(out, sizeof out, "ERR WAIT needs a BASE first and SLAB_KB FREE_KB SECONDS\n");
        } else {
            double start = now_seconds(), slab_back_at = -1;
            int back = 0, ok = 0;
            /* Bounded: SECONDS * 4 polls of 250 ms. */
            for (long poll_index = 0; poll_index <= seconds * 4; poll_index++) {
                if (read_memory(&now) == 0) {
                    ok = 1;
                    int slab_back = now.slab_kb <= baseline.slab_kb + slab_tolerance_kb;
                    if (slab_back && slab_back_at < 0)
                        slab_back_at = now_seconds() - start;
                    if (slab_back && now.free_kb >= baseline.free_kb - free_tolerance_kb) {
                        back = 1;
                        break;
                    }
                }
                if (poll_index < seconds * 4)
                    usleep(250 * 1000);
            }
            double took = now_seconds() - start;
            waited = 1;
            memory_back = back && ok;
            if (!ok) {
                snprintf(out, sizeof out, "ERR cannot read /proc/meminfo\n");
            } else {
                printf("[netguard] after %.1f s: MemFree %ld kB (baseline %ld, %+ld), Slab %ld kB (baseline %ld, "
                       "%+ld): %s\n",
                       took, now.free_kb, baseline.free_kb, now.free_kb - baseline.free_kb, now.slab_kb,
                       baseline.slab_kb, now.slab_kb - baseline.slab_kb,
                       back ? "back within the tolerances" : "NOT back within the tolerances");
                printf("[netguard] tolerances: Slab +%ld kB, MemFree -%ld kB; Slab was back after %.1f s\n",
                       slab_tolerance_kb, free_tolerance_kb, slab_back_at);
                snprintf(out, sizeof out,
                         "%s free=%ld slab=%ld base_free=%ld base_slab=%ld seconds=%.1f slab_back=%.1f\n",
                         back ? "BACK" : "NOTBACK", now.free_kb, now.slab_kb, baseline.free_kb, baseline.slab_kb,
                         took, slab_back_at);
            }
        }
    } else if (strcmp(line, "QUIT") == 0) {
        snprintf(out, sizeof out, "BYE\n");
        quit = 1;
        quit_fd = fd;
    } else {
        snprintf(out, sizeof out, "ERR unknown command\n");
    }
    fflush(stdout);
    reply(fd, out);
}

struct client {
    int fd;
    size_t used;
    char line[LINE_MAX_BYTES];
};

/* Reads what is there; runs each complete line. Returns -1 when the
 * connection is done (EOF, error, or a line too long). */
static int serve(struct client *client) {
    ssize_t n;
    do
        n = read(client->fd, client->line + client->used, sizeof client->line - client->used);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return -1;
    client->used += (size_t)n;
    for (;;) {
        char *end = memchr(client->line, '\n', client->used);
        if (!end)
            return client->used == sizeof client->line ? -1 : 0;
        *end = '\0';
        if (end > client->line && end[-1] == '\r')
            end[-1] = '\0';
        command(client->fd, client->line);
        size_t rest = client->used - (size_t)(end + 1 - client->line);
        memmove(client->line, end + 1, rest);
        client->used = rest;
        if (quit)
            return 0;
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: netguard PORT [SECONDS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    unsigned seconds = argc > 2 ? (unsigned)atoi(argv[2]) : 600;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction alarm_action = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &alarm_action, NULL);
    alarm(seconds);

    /* A rehearsal before the baseline: this program's own first-time costs
     * (its code pages faulted in from the initrd, stack pages, stdio's
     * buffer, the float formatting and parsing the replies use) are paid
     * now, so that MemFree measures the kernel, not this program. */
    struct memory first;
    if (read_memory(&first) < 0) {
        printf("[netguard] cannot read MemFree and Slab from /proc/meminfo\n[Test] netguard FAILED\n");
        return 1;
    }
    prefault_stack();
    double rehearsal_start = now_seconds();
    long parsed[3] = { 0, 0, 0 };
    char scratch[LINE_MAX_BYTES + 128];
    if (sscanf("1 2 3", "%ld %ld %ld", &parsed[0], &parsed[1], &parsed[2]) != 3)
        return 1;
    usleep(1000);
    snprintf(scratch, sizeof scratch, "%s %+ld %.1f\n", "x", parsed[0], now_seconds() - rehearsal_start);

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                   .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 64) < 0) {
        printf("[netguard] cannot listen on port %d: %s\n[Test] netguard FAILED\n", port, strerror(errno));
        return 1;
    }
    printf("[netguard] listening on %d (MemFree %ld kB, Slab %ld kB at start; %.1f ms to start)\n", port,
           first.free_kb, first.slab_kb, (now_seconds() - rehearsal_start) * 1000);

    static struct client clients[MAX_CLIENTS];
    int count = 0, connections = 0;
    while (!quit) {
        struct pollfd fds[MAX_CLIENTS + 1];
        fds[0] = (struct pollfd) { listener, count < MAX_CLIENTS ? POLLIN : 0, 0 };
        for (int i = 0; i < count; i++)
            fds[i + 1] = (struct pollfd) { clients[i].fd, POLLIN, 0 };
        int ready = poll(fds, (nfds_t)count + 1, 1000);
        if (ready < 0 && errno != EINTR) {
            printf("[netguard] poll: %s\n", strerror(errno));
            break;
        }
        if (ready <= 0)
            continue;
        /* Clients first, from the last, so removing one moves only those seen. */
        for (int i = count - 1; i >= 0 && !quit; i--) {
            if (!fds[i + 1].revents)
                continue;
            if (serve(&clients[i]) < 0) {
                close(clients[i].fd);
                clients[i] = clients[--count];
            }
        }
        if (!quit && (fds[0].revents & POLLIN)) {
            int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                clients[count++] = (struct client) { .fd = fd };
                connections++;
            } else if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) {
                printf("[netguard] accept: %s\n", strerror(errno));
            }
        }
    }
    /* The machine powers off when this program ends: the BYE must reach
     * the client first, so wait (bounded) until the client closes. */
    for (int polls = 0; quit_fd >= 0 && polls < 50; polls++) {
        struct pollfd fd = { quit_fd, POLLIN, 0 };
        char byte;
        if (poll(&fd, 1, 100) > 0 && read(quit_fd, &byte, 1) <= 0)
            break;
    }
    for (int i = 0; i < count; i++)
        close(clients[i].fd);
    close(listener);
    int passed = quit && have_baseline && waited && memory_back;
    printf("[netguard] served %d connections\n", connections);
    if (!waited)
        printf("[netguard] no memory check was asked for (BASE, then WAIT)\n");
    printf("[Test] netguard %s\n", passed ? "PASSED" : "FAILED");
    return passed ? 0 : 1;
}
