/* hello: the smallest end-to-end check of exec: argv, envp and exit status
 * all reach the program and come back out.
 *
 * usage: hello [STATUS [ARGS...]]   exits with STATUS (default 0)
 * Prints "hello from <argv[0]>", every argv entry, and AKUMA_TEST_ENV.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    printf("hello from %s\n", argc > 0 ? argv[0] : "(no argv[0])");
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    /* argv must be NULL-terminated: the ABI promises argv[argc] == NULL. */
    if (argv[argc] != NULL) {
        printf("argv[argc] is not NULL\n");
        return 1;
    }
    const char *env = getenv("AKUMA_TEST_ENV");
    printf("AKUMA_TEST_ENV=%s\n", env ? env : "(unset)");
    int status = argc > 1 ? atoi(argv[1]) : 0;
    fflush(stdout);
    return status;
}
