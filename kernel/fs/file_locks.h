// Advisory file locks, as Linux keeps them:
//  - record locks: fcntl F_SETLK/F_SETLKW/F_GETLK, owned by the process's
//    descriptor table (Linux's current->files: threads share them, fork
//    does not pass them on) and released when that table closes any
//    descriptor of the file, or goes away; F_OFD_* locks are the same
//    kind of lock owned by the open file description instead, released
//    with its last reference. Byte ranges; read locks share, write locks
//    exclude; an owner's own locks are replaced, split and merged.
//  - flock(2) locks: whole-file, owned by the open description, a separate
//    space from record locks (they never conflict with each other).
// A lock that cannot be had fails with EAGAIN, or waits (F_SETLKW, flock
// without LOCK_NB) until it can, interruptibly (EINTR). An F_SETLKW of a
// process-owned record lock whose holder waits (through at most 10 such
// steps) for a lock of the caller's is EDEADLK, as Linux's
// posix_locks_deadlock.
//
// All locks of the system are in one list, under the scheduler lock (a
// waiter checks and sleeps without losing a wake-up); records are
// allocated before it is taken.
#pragma once

#include <cstdint>

#include "kernel/lib/error_or.h"

namespace akuma::fs {

class File;

enum class LockKind : uint8_t { Record, Flock };
enum class LockType : uint8_t { Read, Write, Unlock };

struct LockRequest {
    const void* node;   // the inode
    const void* owner;  // a descriptor table (POSIX) or a File (OFD, flock)
    int pid;            // reported by F_GETLK (-1 for OFD locks)
    LockKind kind;
    LockType type;
    uint64_t start;
    uint64_t end;       // exclusive; ~0: to the end of any file
    bool wait;
};

struct LockConflict {
    LockType type;
    uint64_t start;
    uint64_t end;
    int pid;
};

// Takes, changes or drops a lock. TryAgain, Interrupted, NoMemory,
// DeadlockAvoided.
ErrorOr<void> set_lock(const LockRequest& request);
// F_GETLK: the first lock that would block `request`, if any.
ErrorOr<bool> test_lock(const LockRequest& request, LockConflict& conflict);
// A descriptor table closed a descriptor of `node`: its record locks on it
// go (POSIX semantics).
void release_owner_locks(const void* owner, const void* node);
// An open description went away: its OFD and flock locks go.
void release_description_locks(const File& file);

}  // namespace akuma::fs
