#include "kernel/fs/mount_table.h"

#include <new>

#include "kernel/fs/lookup_cache.h"
#include "kernel/lib/kprint.h"

namespace akuma::fs {

namespace {

ErrorOr<Mount*> make_mount(FileSystem* fs, InodeRef covered, std::string_view source, uint32_t flags) {
    auto name = TRY(BasicString<mm::HeapAllocator>::try_from(source));
    auto* mount = new (std::nothrow) Mount { fs, fs->root(), std::move(covered), std::move(name), flags };
    if (!mount)
        return Error::NoMemory;
    return mount;
}

}  // namespace

ErrorOr<void> MountTable::mount_root(FileSystem* fs, std::string_view source, uint32_t flags) {
    VERIFY(m_mounts.is_empty());
    fs->set_device({ 0, m_next_device_minor++ });
    auto mount = make_mount(fs, {}, source, flags);
    if (mount.is_error()) {
        delete fs;
        return mount.error();
    }
    if (auto appended = m_mounts.try_append(mount.value()); appended.is_error()) {
        delete mount.value();
        delete fs;
        return appended.error();
    }
    return {};
}

ErrorOr<void> MountTable::mount(FileSystem* fs, const InodeRef& covered, std::string_view source, uint32_t flags) {
    if (!covered->is_directory()) {
        delete fs;
        return Error::NotADirectory;
    }
    fs->set_device({ 0, m_next_device_minor++ });
    auto mount = make_mount(fs, covered, source, flags);
    if (mount.is_error()) {
        delete fs;
        return mount.error();
    }
    if (auto appended = m_mounts.try_append(mount.value()); appended.is_error()) {
        mount.value()->root.reset();
        delete mount.value();
        delete fs;
        return appended.error();
    }
    ++covered->m_mounts_on_top;
    return {};
}

ErrorOr<void> MountTable::unmount(InodeRef root, bool detach) {
    size_t index = 1;
    for (; index < m_mounts.size(); ++index) {
        if (m_mounts[index]->root == root)
            break;
    }
    if (index >= m_mounts.size())
        return Error::Invalid;
    auto take_out = [this](size_t at) {
        Mount* mount = m_mounts.remove(at);
        --mount->covered->m_mounts_on_top;
        delete mount;  // drops the table's root and covered references
    };
    FileSystem* fs = m_mounts[index]->fs;
    // `root` is one more reference than the table's. A mount inside the
    // file system or on top of its root holds a `covered` reference, so
    // an idle file system has none.
    forget_lookups(*fs);
    bool busy = fs->in_use(2);
    if (busy && !detach)
        return Error::Busy;
    if (!busy) {
        take_out(index);
        root.reset();  // the last reference outside the file system
        retire(fs);
        return {};
    }
    // MNT_DETACH: the mounts inside the file system (and on top of its
    // root), and those inside them, leave the tree with it, as Linux's
    // umount_tree; each is freed once nothing uses it.
    Vector<FileSystem*, mm::HeapAllocator> leaving;
    auto is_leaving = [&leaving](const FileSystem* candidate) {
        for (size_t i = 0; i < leaving.size(); ++i) {
            if (leaving[i] == candidate)
                return true;
        }
        return false;
    };
    TRY(leaving.try_append(fs));
    for (bool added = true; added;) {
        added = false;
        for (size_t i = 1; i < m_mounts.size(); ++i) {
            const Mount& mount = *m_mounts[i];
            if (!is_leaving(mount.fs) && is_leaving(&mount.covered->file_system())) {
                TRY(leaving.try_append(mount.fs));
                added = true;
            }
        }
    }
    TRY(m_detached.try_reserve(m_detached.size() + leaving.size()));
    // Newest first, so a mount leaves before the one it covers.
    for (size_t i = m_mounts.size(); i-- > 1;) {
        FileSystem* leaving_fs = m_mounts[i]->fs;
        if (!is_leaving(leaving_fs))
            continue;
        take_out(i);
        (void)m_detached.try_append(leaving_fs);  // reserved above
    }
    root.reset();
    free_idle_detached();  // the mounts inside may be idle already
    return {};
}

void MountTable::free_idle_detached() {
    for (size_t i = m_detached.size(); i-- > 0;) {
        // Detached, the file system holds its own root only.
        forget_lookups(*m_detached[i]);
        if (!m_detached[i]->in_use(0))
            retire(m_detached.remove(i));
    }
}

void MountTable::retire(FileSystem* fs) {
    if (m_retire_observer)
        m_retire_observer(*fs);
    delete fs;
}

bool MountTable::detached_on(const drivers::BlockDevice* device) const {
    for (size_t i = 0; i < m_detached.size(); ++i) {
        if (m_detached[i]->block_device() == device)
            return true;
    }
    return false;
}

void MountTable::forget_lookups(const FileSystem& fs) {
    if (m_lookups)
        m_lookups->forget_file_system(fs);
}

InodeRef MountTable::root() const { return m_mounts.is_empty() ? InodeRef() : m_mounts[0]->root; }

const Mount* MountTable::mount_of(const Inode& inode) const {
    for (size_t i = 0; i < m_mounts.size(); ++i) {
        if (m_mounts[i]->fs == &inode.file_system())
            return m_mounts[i];
    }
    return nullptr;
}

Mount* MountTable::mount_rooted_at(const InodeRef& root) {
    for (size_t i = 0; i < m_mounts.size(); ++i) {
        if (m_mounts[i]->root == root)
            return m_mounts[i];
    }
    return nullptr;
}

InodeRef MountTable::mounted_on(const InodeRef& directory) const {
    // The most recent mount on a directory is on top.
    for (size_t i = m_mounts.size(); i-- > 0;) {
        if (m_mounts[i]->covered == directory)
            return m_mounts[i]->root;
    }
    return {};
}

InodeRef MountTable::covered_by(const InodeRef& root) const {
    for (size_t i = 1; i < m_mounts.size(); ++i) {
        if (m_mounts[i]->root == root)
            return m_mounts[i]->covered;
    }
    return {};
}

}  // namespace akuma::fs
