// The VFS lock: one sleeping lock over every mounted file system's names,
// attributes and file data, and the mount table. File systems are not
// internally synchronised (Ramfs says so); whoever calls into a FileSystem
// or changes an inode's reference count from two threads holds this lock.
// Lock order: a descriptor table's lock, then a file's position lock, then
// this lock, then an address space's lock, then the scheduler lock.
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

}  // namespace akuma::fs
