#include "kernel/fs/inode.h"

#include <utility>

#include "kernel/fs/file_system.h"

namespace akuma::fs {

InodeRef::InodeRef(Inode* inode)
    : m_inode(inode) {
    // Atomic: references are copied and dropped outside the VFS lock too
    // (a process's cwd, open files), by preemptible threads.
    if (m_inode)
        __atomic_add_fetch(&m_inode->m_ref_count, 1, __ATOMIC_RELAXED);
}

InodeRef& InodeRef::operator=(const InodeRef& other) {
    InodeRef copy(other); // before reset(): other may be owned by our inode
    *this = std::move(copy);
    return *this;
}

InodeRef& InodeRef::operator=(InodeRef&& other) {
    Inode* taken = std::exchange(other.m_inode, nullptr);
    reset();
    m_inode = taken;
    return *this;
}

void InodeRef::reset() {
    Inode* inode = std::exchange(m_inode, nullptr);
    if (inode && __atomic_sub_fetch(&inode->m_ref_count, 1, __ATOMIC_ACQ_REL) == 0)
        inode->m_fs->destroy_inode(inode);
}

}  // namespace akuma::fs
