// The VFS lock: one sleeping lock over every mounted file system's names,
// attributes and file data, and the mount table. File systems are not
// internally synchronised (Ramfs says so): every FileSystem call is made
// with this lock held.
//
// Lock order: a descriptor table's lock, a file's position lock, an address
// space's lock (a page fault reads the page cache under it), this lock,
// the scheduler lock. The process resources lock (proc/process_inspection.h)
// comes before address spaces, so it is never taken under this one: procfs,
// which needs it to look at processes, lets this lock go meanwhile
// (VfsLockReleased).
#pragma once

#include "kernel/sched/mutex.h"

namespace akuma::fs {

sched::Mutex& vfs_lock();

class VfsLockGuard {
public:
    VfsLockGuard() : m_guard(vfs_lock()) {}

private:
    sched::MutexGuard m_guard;
};

// Lets the VFS lock go for the scope if this thread holds it, and takes it
// back at the end. For a file system call that must take a lock ordered
// before the VFS lock (procfs and the process resources lock). Whoever
// called in keeps inode references only (they stay valid); anything else
// it read under the lock may have changed when the call returns.
class VfsLockReleased {
public:
    VfsLockReleased() : m_held(vfs_lock().is_held_by_current_thread()) {
        if (m_held)
            vfs_lock().unlock();
    }
    ~VfsLockReleased() {
        if (m_held)
            vfs_lock().lock();
    }
    VfsLockReleased(const VfsLockReleased&) = delete;
    VfsLockReleased& operator=(const VfsLockReleased&) = delete;

private:
    bool m_held;
};

}  // namespace akuma::fs
