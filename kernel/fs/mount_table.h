// The mount table: which file system instance is mounted on which
// directory. The root file system is mount 0 (it covers nothing); every
// other mount covers a directory of a file system mounted before it, and
// the path walk (path_walk.h) crosses mounts through this table.
//
// Protected by the VFS lock. A mount owns its FileSystem; unmounting one
// that something still uses (an open file, a cwd, a mapped file, a mount on
// top of it) is Busy unless detached lazily, and a lazily detached file
// system is freed once nothing uses it, which free_idle_detached() checks
// (at process exits and mount changes: Akuma counts no users per file
// system, so it looks rather than being told).
#pragma once

#include <cstdint>
#include <string_view>

#include "kernel/fs/file_system.h"
#include "kernel/fs/path_walk.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/string.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"

namespace akuma::fs {

// mount(2) flags Akuma keeps per mount (Linux MS_* values).
constexpr uint32_t k_mount_read_only = 1;  // MS_RDONLY
constexpr uint32_t k_mount_no_suid = 2;    // MS_NOSUID
constexpr uint32_t k_mount_no_dev = 4;     // MS_NODEV
constexpr uint32_t k_mount_no_exec = 8;    // MS_NOEXEC

struct Mount {
    FileSystem* fs;  // owned
    InodeRef root;
    InodeRef covered;  // null for the root mount
    BasicString<mm::HeapAllocator> source;  // "none", "proc", a device path
    uint32_t flags;
};

class MountTable final : public MountCrossing {
public:
    // The root file system (takes ownership).
    ErrorOr<void> mount_root(FileSystem* fs, std::string_view source, uint32_t flags = 0);
    // Mounts `fs` (taking ownership, also on failure) on the directory
    // `covered`. Errors: NotADirectory, NoMemory.
    ErrorOr<void> mount(FileSystem* fs, const InodeRef& covered, std::string_view source, uint32_t flags);
    // umount2(2) of the mount whose root is `root`: Invalid if `root` is
    // not a mount's root (or is the root mount), Busy if something still
    // uses it (unless `detach`, MNT_DETACH, which also takes the mounts
    // inside it out of the tree, as Linux's umount_tree).
    ErrorOr<void> unmount(InodeRef root, bool detach);
    // Frees the detached file systems nothing uses any more.
    void free_idle_detached();
    // Whether a detached file system not yet freed lives on `device`.
    bool detached_on(const drivers::BlockDevice* device) const;

    InodeRef root() const;
    // Walks through this table use `cache` (not owned); its entries of a
    // file system are dropped before the file system is checked for use
    // at unmount (they hold references).
    void set_lookup_cache(LookupCache* cache) { m_lookups = cache; }
    // Told of a file system about to be freed by an unmount (inotify ends
    // the watches on it, which hold inode references in_use() ignores).
    using RetireObserver = void (*)(FileSystem& fs);
    void set_retire_observer(RetireObserver observer) { m_retire_observer = observer; }
    Namespace name_space() const { return Namespace { root(), this, m_lookups, std::nullopt }; }
    // The mount that holds `inode` (the one with its file system).
    const Mount* mount_of(const Inode& inode) const;
    // The mount whose root `root` is (the root mount included), or null.
    Mount* mount_rooted_at(const InodeRef& root);
    template <typename F>
    void for_each(F&& f) const {
        for (size_t i = 0; i < m_mounts.size(); ++i)
            f(*m_mounts[i]);
    }

    InodeRef mounted_on(const InodeRef& directory) const override;
    InodeRef covered_by(const InodeRef& root) const override;

private:
    Vector<Mount*, mm::HeapAllocator> m_mounts;
    Vector<FileSystem*, mm::HeapAllocator> m_detached;
    uint32_t m_next_device_minor { 1 };
    LookupCache* m_lookups { nullptr };
    RetireObserver m_retire_observer { nullptr };
    void retire(FileSystem* fs);

    void forget_lookups(const FileSystem& fs);
};

}  // namespace akuma::fs
