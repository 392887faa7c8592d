/* The loop of fsbench's first row, for tools/profile/profile.sh: N times
 * fork, execve of the 1 MB `/bin/fsbench --child exit` (which touches its
 * pages and exits), wait. Build: aarch64-linux-gnu-gcc -static -O2. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 1;
    for (int i = 0; i < count; i++) {
        pid_t child = fork();
        if (child < 0)
            return 1;
        if (child == 0) {
            char *child_argv[] = { "/bin/fsbench", "--child", "exit", NULL };
            execv(child_argv[0], child_argv);
            _exit(127);
        }
        int status;
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("fork_exec_loop: child failed (status %#x)\n", status);
            return 1;
        }
    }
    return 0;
}
