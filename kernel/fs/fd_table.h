// A process's file descriptor table: small integers naming shared open
// file descriptions (vfs.h), each with its own close-on-exec flag.
#pragma once

#include <cstdint>

#include "kernel/fs/vfs.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs {

class FdTable {
public:
    static constexpr int k_max_fds = 1024;  // RLIMIT_NOFILE

    // Descriptors 0, 1 and 2 on the console.
    static ErrorOr<FdTable*> create_with_console();
    static void destroy(FdTable* table);

    // The lowest free descriptor >= minimum. Takes over the caller's
    // reference on success. Errors: TooManyOpenFiles, Invalid (minimum).
    ErrorOr<int> install(OpenFile* file, bool close_on_exec, int minimum = 0);
    // A new reference to the description behind fd (release() it). BadFd.
    ErrorOr<OpenFile*> get(int fd) const;
    ErrorOr<void> close(int fd);
    // dup3: new_fd refers to old_fd's description (closing what it held).
    ErrorOr<int> duplicate_to(int old_fd, int new_fd, bool close_on_exec);
    ErrorOr<bool> close_on_exec(int fd) const;
    ErrorOr<void> set_close_on_exec(int fd, bool value);
    int open_count() const;

private:
    struct Slot {
        OpenFile* file;
        bool close_on_exec;
    };
    bool valid(int fd) const { return fd >= 0 && fd < k_max_fds && m_slots[fd].file; }
    Slot m_slots[k_max_fds] {};
};

}  // namespace akuma::fs
