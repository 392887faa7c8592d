/* dynlink: a dynamically linked program, run by ld-linux-aarch64.so.1 from
 * the Debian root disk. Checks what the kernel hands the dynamic linker and
 * what glibc then does with it, as on Linux:
 *   auxv      AT_BASE is where ld.so was loaded, AT_ENTRY the program's own
 *             entry, AT_PHDR its program headers, AT_EXECFN the path it was
 *             run by, AT_HWCAP has FP and ASIMD, AT_MINSIGSTKSZ is a frame
 *   relro     the program's RELRO pages are read-only once main runs
 *   maps      /proc/self/maps names libc's code and the interpreter
 *   dlopen    libm by soname (through /etc/ld.so.cache or the default
 *             paths), a library's thread-local storage per thread, and a
 *             malformed file refused with the process alive
 *   nss       getpwnam/getgrnam through NSS (/etc/nsswitch.conf)
 *   interp    exec of copies of this program whose PT_INTERP names a missing
 *             file (ENOENT), a file shorter than an ELF header (EIO), a
 *             longer non-ELF file (ELIBBAD), a file without execute
 *             permission (EACCES)
 * Usage: dynlink [GROUP]. Built with the cross gcc against Debian's glibc,
 * with libdyntls.so beside it (/usr/lib/akuma/libdyntls.so). */
#define _GNU_SOURCE
#include "check.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <grp.h>
#include <link.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#ifndef HWCAP_FP
#define HWCAP_FP (1 << 0)
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

extern char _start[];
static const char *g_program;

struct object {
    uintptr_t base;
    const ElfW(Phdr) *phdr;
    int phnum;
    char name[256];
};

static struct object g_objects[64];
static int g_object_count;

static int collect(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    if (g_object_count < 64) {
        struct object *o = &g_objects[g_object_count++];
        o->base = info->dlpi_addr;
        o->phdr = info->dlpi_phdr;
        o->phnum = info->dlpi_phnum;
        snprintf(o->name, sizeof o->name, "%s", info->dlpi_name ? info->dlpi_name : "");
    }
    return 0;
}

static void test_auxv(void) {
    check_begin("auxv: AT_BASE, AT_ENTRY, AT_PHDR, AT_EXECFN, AT_HWCAP, AT_MINSIGSTKSZ");
    g_object_count = 0;
    dl_iterate_phdr(collect, NULL);
    CHECK(g_object_count >= 3); /* the program, libc, ld.so (and vdso on Linux) */
    /* The first object is the program itself. */
    CHECK(getauxval(AT_PHDR) == (uintptr_t)g_objects[0].phdr);
    CHECK_EQ(getauxval(AT_PHNUM), (unsigned long)g_objects[0].phnum);
    CHECK(getauxval(AT_ENTRY) == (uintptr_t)_start);
    uintptr_t interp_base = 0;
    for (int i = 0; i < g_object_count; i++) {
        if (strstr(g_objects[i].name, "ld-linux-aarch64.so.1")) interp_base = g_objects[i].base;
    }
    CHECK(interp_base != 0);
    CHECK(getauxval(AT_BASE) == interp_base);
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    CHECK(execfn && strcmp(execfn, g_program) == 0);
    CHECK((getauxval(AT_HWCAP) & (HWCAP_FP | HWCAP_ASIMD)) == (HWCAP_FP | HWCAP_ASIMD));
    unsigned long minsig = getauxval(AT_MINSIGSTKSZ);
    CHECK(minsig >= 1024 && minsig <= 65536);
    CHECK_EQ(getauxval(AT_PAGESZ), 4096ul);
    check_end();
}

/* Is the page at `address` mapped writable (per /proc/self/maps)? -1 if not mapped. */
static int writable(uintptr_t address) {
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) return -1;
    char line[512];
    int result = -1;
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 && address >= start && address < end) {
            result = perms[1] == 'w';
            break;
        }
    }
    fclose(maps);
    return result;
}

static void test_relro(void) {
    check_begin("relro: the program's RELRO pages are read-only");
    const ElfW(Phdr) *phdr = (const ElfW(Phdr) *)getauxval(AT_PHDR);
    int phnum = (int)getauxval(AT_PHNUM);
    uintptr_t bias = 0;
    const ElfW(Phdr) *relro = NULL;
    for (int i = 0; i < phnum; i++) {
        if (phdr[i].p_type == PT_PHDR) bias = (uintptr_t)phdr - phdr[i].p_vaddr;
        if (phdr[i].p_type == PT_GNU_RELRO) relro = &phdr[i];
    }
    CHECK(relro != NULL);
    if (relro) {
        uintptr_t start = (bias + relro->p_vaddr) & ~(uintptr_t)4095;
        CHECK_EQ(writable(start), 0);
    }
    check_end();
}

static void test_maps(void) {
    check_begin("maps: /proc/self/maps names libc and the interpreter (at AT_BASE)");
    FILE *maps = fopen("/proc/self/maps", "r");
    CHECK(maps != NULL);
    int libc_code = 0, interpreter_at_base = 0;
    char line[512];
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long start;
        char perms[5];
        if (sscanf(line, "%lx-%*x %4s", &start, perms) != 2) continue;
        if (strstr(line, "/libc.so.6") && strcmp(perms, "r-xp") == 0) libc_code = 1;
        if (strstr(line, "ld-linux-aarch64.so.1") && start == getauxval(AT_BASE)) interpreter_at_base = 1;
    }
    if (maps) fclose(maps);
    CHECK(libc_code);
    CHECK(interpreter_at_base);
    check_end();
}

static int (*g_bump)(void);
static int g_thread_values[3];

static void *bump_three_times(void *out) {
    int *values = out;
    for (int i = 0; i < 3; i++) values[i] = g_bump();
    return NULL;
}

static void test_dlopen(void) {
    check_begin("dlopen: libm by soname, TLS of a loaded library, malformed files refused");
    void *libm = dlopen("libm.so.6", RTLD_NOW);
    CHECK(libm != NULL);
    if (libm) {
        double (*cosine)(double) = (double (*)(double))dlsym(libm, "cos");
        CHECK(cosine != NULL);
        if (cosine) CHECK(cosine(0.0) == 1.0);
        CHECK_EQ(dlclose(libm), 0);
    }
    void *tls = dlopen("/usr/lib/akuma/libdyntls.so", RTLD_NOW);
    CHECK(tls != NULL);
    if (!tls) printf("  dlerror: %s\n", dlerror());
    if (tls) {
        g_bump = (int (*)(void))dlsym(tls, "dyntls_bump");
        CHECK(g_bump != NULL);
        if (g_bump) {
            /* Each thread starts from the library's initial value (5). */
            CHECK_EQ(g_bump(), 6);
            pthread_t thread;
            CHECK_EQ(pthread_create(&thread, NULL, bump_three_times, g_thread_values), 0);
            CHECK_EQ(pthread_join(thread, NULL), 0);
            CHECK_EQ(g_thread_values[0], 6);
            CHECK_EQ(g_thread_values[2], 8);
            CHECK_EQ(g_bump(), 7);
        }
    }
    /* An ELF header whose program headers lie outside the file. */
    const char *bad = "/tmp/dynlink-bad.so";
    unsigned char header[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
    header[16] = 3;           /* ET_DYN */
    header[18] = 183;         /* EM_AARCH64 */
    header[20] = 1;           /* EV_CURRENT */
    header[32] = 0xf0;        /* e_phoff far past the end */
    header[33] = 0xff;
    header[52] = 64;          /* e_ehsize */
    header[54] = 56;          /* e_phentsize */
    header[56] = 4;           /* e_phnum */
    int fd = open(bad, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK_EQ(write(fd, header, sizeof header), (long)sizeof header);
        close(fd);
    }
    CHECK(dlopen(bad, RTLD_NOW) == NULL);
    CHECK(dlopen("/etc/hostname", RTLD_NOW) == NULL);
    CHECK(dlopen("libdoes-not-exist.so.1", RTLD_NOW) == NULL);
    unlink(bad);
    check_end();
}

static void test_nss(void) {
    check_begin("nss: getpwnam and getgrnam through /etc/nsswitch.conf");
    struct passwd *root = getpwnam("root");
    CHECK(root != NULL);
    if (root) {
        CHECK_EQ(root->pw_uid, 0u);
        CHECK(strcmp(root->pw_dir, "/root") == 0);
    }
    struct group *shadow = getgrnam("shadow");
    CHECK(shadow != NULL);
    CHECK(getpwnam("no-such-user-here") == NULL);
    check_end();
}

/* A copy of this program at `path` with its PT_INTERP path replaced by
 * `interp` (no longer than the original), mode 0755. */
static int copy_with_interpreter(const char *path, const char *interp) {
    int in = open("/proc/self/exe", O_RDONLY);
    if (in < 0) return -1;
    static unsigned char image[4 << 20];
    ssize_t size = read(in, image, sizeof image);
    close(in);
    if (size <= 0 || size == (ssize_t)sizeof image) return -1;
    const ElfW(Ehdr) *ehdr = (const ElfW(Ehdr) *)image;
    const ElfW(Phdr) *phdr = (const ElfW(Phdr) *)(image + ehdr->e_phoff);
    int patched = 0;
    for (int i = 0; i < ehdr->e_phnum; i++) {
        if (phdr[i].p_type != PT_INTERP || strlen(interp) + 1 > phdr[i].p_filesz) continue;
        memset(image + phdr[i].p_offset, 0, phdr[i].p_filesz);
        memcpy(image + phdr[i].p_offset, interp, strlen(interp));
        patched = 1;
    }
    if (!patched) return -1;
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (out < 0) return -1;
    ssize_t written = write(out, image, (size_t)size);
    close(out);
    return written == size ? 0 : -1;
}

/* execve's errno for `path` in a child (0: it ran). */
static int exec_errno(const char *path) {
    pid_t child = fork();
    if (child == 0) {
        char *argv[] = { (char *)path, (char *)"auxv", NULL };
        execv(path, argv);
        _exit(100 + errno);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) >= 100) return WEXITSTATUS(status) - 100;
    return 0;
}

static void test_interp(void) {
    check_begin("interp: missing (ENOENT), short (EIO), not ELF (ELIBBAD), not executable (EACCES)");
    const char *copy = "/tmp/dynlink-copy";
    CHECK_EQ(copy_with_interpreter(copy, "/lib/ld-linux-aarch64.so.9"), 0);
    CHECK_EQ(exec_errno(copy), ENOENT);
    /* Text shorter than an ELF header: Linux's read of the header fails (EIO);
     * longer: not an ELF interpreter (ELIBBAD). */
    static const char text[] = "not an ELF file at all, just some text\n";
    int fd = open("/tmp/dynlink-notelf", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK_EQ(write(fd, text, sizeof text - 1), (long)sizeof text - 1);
        close(fd);
    }
    CHECK_EQ(copy_with_interpreter(copy, "/tmp/dynlink-notelf"), 0);
    CHECK_EQ(exec_errno(copy), EIO);
    fd = open("/tmp/dynlink-notelf", O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    if (fd >= 0) {
        for (int i = 0; i < 4; i++) CHECK_EQ(write(fd, text, sizeof text - 1), (long)sizeof text - 1);
        close(fd);
    }
    CHECK_EQ(exec_errno(copy), ELIBBAD);
    CHECK_EQ(chmod("/tmp/dynlink-notelf", 0644), 0);
    CHECK_EQ(exec_errno(copy), EACCES);
    /* The real interpreter again: it runs. */
    CHECK_EQ(copy_with_interpreter(copy, "/lib/ld-linux-aarch64.so.1"), 0);
    CHECK_EQ(exec_errno(copy), 0);
    unlink(copy);
    unlink("/tmp/dynlink-notelf");
    check_end();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_program = argv[0];
    static const struct check_test tests[] = {
        { "auxv", test_auxv }, { "relro", test_relro }, { "dlopen", test_dlopen },
        { "nss", test_nss },   { "interp", test_interp }, { "maps", test_maps },
    };
    return check_run_tests("dynlink", argc, argv, tests, sizeof tests / sizeof tests[0]);
}
