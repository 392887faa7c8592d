// The program loader: maps a static ELF executable (ET_EXEC or static-PIE)
// into the current process's (empty, active) address space and builds the
// initial stack the way Linux does. Segments are demand-paged from the
// file; nothing is copied up front except the stack's argument block.
#pragma once

#include <span>
#include <string_view>

#include "kernel/fs/ramfs.h"
#include "kernel/lib/error_or.h"

namespace akuma::proc {

struct Process;

struct LoadedImage {
    uint64_t entry;
    uint64_t stack_pointer;
};

// Whether the caller may execute `file`: a regular file, not on a noexec
// mount, with execute permission for the caller (root: some x bit).
// Errors: AccessDenied.
ErrorOr<void> check_executable(const fs::InodeRef& file);

// Who the new program runs as, for its auxiliary vector (AT_UID, AT_EUID,
// AT_GID, AT_EGID, AT_SECURE).
struct ExecIdentity {
    uint32_t uid, euid, gid, egid;
    bool secure;
};

// `path` is what the program was called (AT_EXECFN); `exe_path` names the
// file that runs (the interpreter of a "#!" script), made absolute against
// the cwd for the process's ProgramInfo (/proc/<pid>/exe), which is set on
// success. Errors: BadExecutable (with the reason logged), AccessDenied,
// NoMemory, TooBig (arguments), Fault.
ErrorOr<LoadedImage> load_program(Process& process, const fs::InodeRef& file, std::string_view path,
                                  std::string_view exe_path, std::span<const std::string_view> argv,
                                  std::span<const std::string_view> envp, const ExecIdentity& identity);

}  // namespace akuma::proc
