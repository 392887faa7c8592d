// envrun: runs embedded static programs under chosen environments, for
// checking Akuma's test programs on Linux with /work/shared/tools/linux-ref,
// which boots exactly one program and passes it arguments but no
// environment.
//
//   envrun [--list] [SPEC ...]
//
// Every embedded program runs once per SPEC, in order; a SPEC is a
// comma-separated list of VAR=VALUE added to the environment, or "-" for
// none (the default when no SPEC is given). Each run is announced with an
// "[envrun] >>> NAME SPEC" line and reported with an "[envrun] <<< NAME
// SPEC: exit N (T s)" (or "killed by signal N (T s)") line; the last line is
// "[envrun] N passed, M failed", and the exit status is 0 only if every run
// exited 0. Programs are executed from memfds (memfd_create + fexecve), so
// nothing needs a writable file system.
//
// The programs are linked in by make-envrun.sh, which generates the
// envrun_programs table (name, start, size; a null name ends it).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

struct EmbeddedProgram {
    const char* name;
    const unsigned char* data;
    unsigned long size;
};

extern "C" const EmbeddedProgram envrun_programs[];

namespace {

// Writes the whole program into a fresh memfd.
int program_fd(const EmbeddedProgram& program) {
    int fd = memfd_create(program.name, 0);
    if (fd < 0)
        return -1;
    unsigned long written = 0;
    while (written < program.size) {
        ssize_t n = write(fd, program.data + written, program.size - written);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        written += static_cast<unsigned long>(n);
    }
    return fd;
}

// environ plus the SPEC's assignments (replacing variables of the same name).
std::vector<std::string> environment_for(const std::string& spec) {
    std::vector<std::string> entries;
    for (char** entry = environ; *entry; entry++)
        entries.emplace_back(*entry);
    if (spec == "-")
        return entries;
    size_t start = 0;
    while (start <= spec.size()) {
        size_t comma = spec.find(',', start);
        std::string assignment = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        size_t equals = assignment.find('=');
        if (equals != std::string::npos) {
            std::string prefix = assignment.substr(0, equals + 1);
            for (size_t i = 0; i < entries.size(); i++) {
                if (entries[i].compare(0, prefix.size(), prefix) == 0) {
                    entries.erase(entries.begin() + static_cast<long>(i));
                    break;
                }
            }
            entries.push_back(assignment);
        }
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return entries;
}

double now_seconds() {
    timespec time {};
    clock_gettime(CLOCK_MONOTONIC, &time);
    return double(time.tv_sec) + double(time.tv_nsec) / 1e9;
}

// Returns true when the program exited 0.
bool run(const EmbeddedProgram& program, const std::string& spec) {
    double start = now_seconds();
    printf("[envrun] >>> %s %s\n", program.name, spec.c_str());
    fflush(stdout);
    int fd = program_fd(program);
    if (fd < 0) {
        printf("[envrun] <<< %s %s: cannot create a memfd (%s)\n", program.name, spec.c_str(), strerror(errno));
        return false;
    }
    std::vector<std::string> environment = environment_for(spec);
    std::vector<char*> envp;
    for (std::string& entry : environment)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    char* argv[] = { const_cast<char*>(program.name), nullptr };
    pid_t child = fork();
    if (child == 0) {
        fexecve(fd, argv, envp.data());
        dprintf(2, "[envrun] fexecve %s: %s\n", program.name, strerror(errno));
        _exit(127);
    }
    close(fd);
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child) {
        printf("[envrun] <<< %s %s: fork/wait failed (%s)\n", program.name, spec.c_str(), strerror(errno));
        return false;
    }
    double seconds = now_seconds() - start;
    if (WIFSIGNALED(status)) {
        printf("[envrun] <<< %s %s: killed by signal %d (%.1f s)\n", program.name, spec.c_str(), WTERMSIG(status),
            seconds);
        return false;
    }
    printf("[envrun] <<< %s %s: exit %d (%.1f s)\n", program.name, spec.c_str(), WEXITSTATUS(status), seconds);
    return WEXITSTATUS(status) == 0;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> specs;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            for (const EmbeddedProgram* program = envrun_programs; program->name; program++)
                printf("%s (%lu bytes)\n", program->name, program->size);
            return 0;
        }
        specs.emplace_back(argv[i]);
    }
    if (specs.empty())
        specs.emplace_back("-");
    int passed = 0, failed = 0;
    for (const EmbeddedProgram* program = envrun_programs; program->name; program++) {
        for (const std::string& spec : specs) {
            if (run(*program, spec))
                passed++;
            else
                failed++;
        }
    }
    printf("[envrun] %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
