// A process's file descriptor table: small integers naming shared open
// file descriptions (file.h), each with its own close-on-exec flag. The
// threads of a process share one table, so every operation takes its lock.
#pragma once

#include <cstdint>

#include "kernel/fs/file.h"
#include "kernel/lib/error_or.h"
#include "kernel/sched/mutex.h"

namespace akuma::fs {

class FdTable {
public:
    static constexpr int k_max_fds = 1024;  // RLIMIT_NOFILE

    // Descriptors 0, 1 and 2 on the console.
    static ErrorOr<FdTable*> create_with_console();
    static void destroy(FdTable* table);

    // fork: a new table with the same descriptors and close-on-exec flags,
    // sharing (retaining) every open file description. NoMemory.
    ErrorOr<FdTable*> clone() const;
    // execve: closes the descriptors marked close-on-exec.
    void close_on_exec_all();

    // The lowest free descriptor >= minimum. Takes over the caller's
    // reference on success. Errors: TooManyOpenFiles, Invalid (minimum).
    ErrorOr<int> install(OpenFile* file, bool close_on_exec, int minimum = 0);
    // A new reference to the description behind fd (release() it). BadFd.
    ErrorOr<OpenFile*> get(int fd) const;
    ErrorOr<void> close(int fd);
    // dup2/dup3: new_fd refers to old_fd's description, closing what it
    // held (atomically). BadFd for a bad old_fd or an out-of-range new_fd.
    ErrorOr<int> duplicate_to(int old_fd, int new_fd, bool close_on_exec);
    // close_range(2): closes every open descriptor in [first, last] (last
    // may lie beyond the table), or with only_mark_close_on_exec marks them
    // close-on-exec instead.
    void close_range(unsigned first, unsigned last, bool only_mark_close_on_exec);
    // RLIMIT_NOFILE (at most k_max_fds): new descriptors stay below it
    // (install: TooManyOpenFiles; duplicate_to: BadFd). Open ones above it
    // stay open, as on Linux.
    void set_limit(int limit);
    int limit() const;
    ErrorOr<bool> close_on_exec(int fd) const;
    ErrorOr<void> set_close_on_exec(int fd, bool value);
    int open_count() const;
    // Calls visit(fd) for each open descriptor, ascending, under the lock
    // (visit must not use the table).
    template <typename F>
    void for_each_open(F&& visit) const {
        sched::MutexGuard guard(m_lock);
        for (int fd = 0; fd < m_end; ++fd) {
            if (m_slots[fd].file)
                visit(fd);
        }
    }

private:
    struct Slot {
        OpenFile* file;
        bool close_on_exec;
    };
    bool valid(int fd) const { return fd >= 0 && fd < k_max_fds && m_slots[fd].file; }
    // Stores a description in a slot (lock held), keeping m_end.
    void occupy(int fd, OpenFile* file, bool close_on_exec) {
        m_slots[fd] = { file, close_on_exec };
        if (fd >= m_end)
            m_end = fd + 1;
    }
    void close_description(OpenFile* file);
    // Lock order: this lock, then the VFS lock, then the scheduler lock.
    // Descriptions are released outside it (their last release may sleep).
    mutable sched::Mutex m_lock;
    int m_limit { k_max_fds };
    // One past the highest slot ever occupied: every slot from it on is
    // empty, so fork, exec and exit scan a few slots, not all 1024.
    int m_end { 0 };
    Slot m_slots[k_max_fds] {};
};

}  // namespace akuma::fs
