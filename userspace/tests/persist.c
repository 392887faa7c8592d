/* A file that must outlive the machine: `persist write PATH TEXT` creates
 * PATH with TEXT and fsyncs it and its directory; `persist check PATH TEXT`
 * reads it back (after a reboot, from the same disk). Exit status 0 when
 * the step worked. Validated on Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_step(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("persist: cannot create %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t length = strlen(text);
    if (write(fd, text, length) != (ssize_t)length || fsync(fd) != 0) {
        printf("persist: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    close(fd);
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int directory = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (directory < 0 || fsync(directory) != 0) {
        printf("persist: cannot sync the directory of %s: %s\n", path, strerror(errno));
        return 1;
    }
    close(directory);
    printf("persist: wrote %zu bytes to %s\n", length, path);
    return 0;
}

static int check_step(const char *path, const char *text) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("persist: %s is not there: %s\n", path, strerror(errno));
        return 1;
    }
    char buffer[4096];
    ssize_t got = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (got < 0 || (size_t)got != strlen(text) || memcmp(buffer, text, (size_t)got) != 0) {
        printf("persist: %s holds something else (%zd bytes)\n", path, got);
        return 1;
    }
    printf("persist: %s holds what was written\n", path);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 4 && strcmp(argv[1], "write") == 0)
        return write_step(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "check") == 0)
        return check_step(argv[2], argv[3]);
    printf("usage: persist write|check PATH TEXT\n");
    return 2;
}
