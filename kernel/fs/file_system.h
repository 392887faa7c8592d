// File systems: the interface every file system implements (Linux's
// super_operations and inode_operations in one class, the inode passed to
// each operation), and what the VFS asks of them. Ramfs (tmpfs), procfs and
// later ext2 are FileSystems; the mount table (mount_table.h) places
// instances in the one tree, and the path walk (path_walk.h) crosses them.
//
// Every call is made with the VFS lock held (vfs_lock.h): implementations
// need no lock of their own for their names, attributes and data.
//
// Defaults are what Linux answers for an inode without the operation:
// creating a file EACCES, the other namespace changes EPERM, file data and
// links EINVAL.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/fs/file_pages.h"
#include "kernel/fs/inode.h"
#include "kernel/lib/error_or.h"

namespace akuma::drivers {
class BlockDevice;
}

namespace akuma::fs {

class File;

// A file system that makes its own open file descriptions.
class FileOpener {
public:
    // `flags` as open(2) keeps them; the inode is a regular file or a
    // directory of this file system.
    virtual ErrorOr<File*> open(const InodeRef& inode, uint32_t flags) = 0;

protected:
    ~FileOpener() = default;
};

// statfs(2)'s answer, in Linux's struct statfs terms.
struct FileSystemStats {
    uint64_t magic;  // f_type: TMPFS_MAGIC, PROC_SUPER_MAGIC, ...
    uint64_t block_size;
    uint64_t blocks;
    uint64_t blocks_free;
    uint64_t blocks_available;
    uint64_t files;
    uint64_t files_free;
    uint64_t name_max;
    uint64_t flags;  // f_flags, ST_*: the VFS adds the mount's (vfs.h statfs)
};

class FileSystem {
public:
    using Clock = Timestamp (*)();

    virtual ~FileSystem();
    FileSystem(const FileSystem&) = delete;
    FileSystem& operator=(const FileSystem&) = delete;

    // The type's name, as /proc/mounts and /proc/filesystems show it.
    virtual std::string_view type_name() const = 0;
    virtual InodeRef root() const = 0;
    // st_dev of everything in this instance: an anonymous device (0, n)
    // the VFS assigns at mount, as Linux's get_anon_bdev.
    DeviceNumber device() const { return m_device; }
    void set_device(DeviceNumber device) { m_device = device; }
    void set_clock(Clock clock) { m_clock = clock; }
    virtual FileSystemStats statfs() const = 0;

    // Told when an address space starts (true) or stops (false) mapping an
    // inode of this file system: its first mapping of it there, and its
    // last (unmap, exit, execve); a fork's copies count as a start. System V
    // shared memory keeps its segments' attachments by it (kernel/ipc/).
    // Called with that address space's mutex held, without the VFS lock.
    using MappingObserver = void (*)(Inode& inode, bool mapped);
    void set_mapping_observer(MappingObserver observer) { m_mapping_observer = observer; }
    MappingObserver mapping_observer() const { return m_mapping_observer; }

    // ---- Names ----
    // Whether the VFS may keep lookups of this file system in its lookup
    // cache (lookup_cache.h): true only when every change of its names goes
    // through the VFS (not procfs, whose names follow the processes).
    virtual bool lookups_cacheable() const { return false; }
    // `name` is one component, never "." or "..". NotFound, NotADirectory.
    virtual ErrorOr<InodeRef> lookup(const InodeRef& directory, std::string_view name) = 0;
    // ".." inside this file system (the root answers itself; the walk
    // crosses mounts). NotFound for a removed directory.
    virtual ErrorOr<InodeRef> parent(const InodeRef& directory) = 0;
    // Index 0 is ".", 1 is "..", then the entries; nullopt past the end.
    // The name stays valid until the next call into this file system.
    virtual ErrorOr<std::optional<DirEntryView>> directory_entry(const InodeRef& directory, size_t index) = 0;
    virtual ErrorOr<InodeRef> create_file(const InodeRef& directory, std::string_view name, uint32_t mode,
                                          uint32_t uid, uint32_t gid);
    virtual ErrorOr<InodeRef> mkdir(const InodeRef& directory, std::string_view name, uint32_t mode, uint32_t uid,
                                    uint32_t gid);
    virtual ErrorOr<InodeRef> symlink(const InodeRef& directory, std::string_view name, std::string_view target,
                                      uint32_t uid, uint32_t gid);
    virtual ErrorOr<InodeRef> mknod(const InodeRef& directory, std::string_view name, uint32_t mode,
                                    DeviceNumber rdev, uint32_t uid, uint32_t gid);
    virtual ErrorOr<void> link(const InodeRef& directory, std::string_view name, const InodeRef& inode);
    virtual ErrorOr<void> unlink(const InodeRef& directory, std::string_view name);
    virtual ErrorOr<void> rmdir(const InodeRef& directory, std::string_view name);
    // Both directories are in this file system (the VFS checks: EXDEV).
    virtual ErrorOr<void> rename(const InodeRef& old_directory, std::string_view old_name,
                                 const InodeRef& new_directory, std::string_view new_name);
    // A symlink's target, valid while the inode lives. Invalid otherwise.
    virtual ErrorOr<std::string_view> readlink(const InodeRef& inode);
    // A magic link (Linux's nd_jump_link: /proc/<pid>/fd/N): the open file
    // description it stands for, or null for an ordinary symlink (valid
    // while `link` lives); and that description's inode, which the path walk
    // goes to instead of following the link's text (null: none, a pipe's).
    virtual File* magic_target(const InodeRef& link);
    virtual InodeRef magic_link_inode(const InodeRef& link);

    // ---- Data ----
    // fallocate(2) without flags (extending the size) or with
    // FALLOC_FL_KEEP_SIZE: the range's blocks are allocated (NoSpace if they
    // cannot be). NotSupported (EOPNOTSUPP) by default.
    virtual ErrorOr<void> allocate(const InodeRef& inode, uint64_t offset, uint64_t length, bool keep_size);
    virtual ErrorOr<size_t> read(const InodeRef& inode, uint64_t offset, std::span<uint8_t> buffer);
    // The page cache: the kernel address of the page holding the file's
    // bytes [index * 4096, +4096), which mappings map directly (every
    // process mapping the file shares it). Made if missing (a hole inside
    // the file). `writable_share`: a MAP_SHARED mapping that may write it,
    // so the page must be the file's own (not a copy). OutOfRange at or past
    // the end of the file (SIGBUS), NoSpace when the file system is full.
    // The page stays the file's; a mapper takes its own reference (a PMM
    // share) before the VFS lock is let go. NotSupported by default: the
    // mapping then copies the bytes with read().
    virtual ErrorOr<uint8_t*> cache_page(const InodeRef& inode, uint64_t index, bool writable_share);
    // pages[i] = the page of index first + i (i < count) if the cache
    // already holds it and it lies below the end of the file; others are
    // left as they are (no allocation, no copy): for fault-around. None by
    // default.
    virtual void cached_pages(const InodeRef& inode, uint64_t first, uint64_t count, uint8_t** pages);
    // For reads straight into user memory: the page holding the file's
    // bytes at `index`, read in from the disk if the file system has one;
    // nullptr for a hole that has no page (it reads as zeros). The caller
    // takes a PMM share of it before letting the VFS lock go. NotSupported
    // (the default, and files whose bytes are not in such pages): read()
    // through a buffer instead.
    virtual ErrorOr<uint8_t*> readable_page(const InodeRef& inode, uint64_t index);
    virtual ErrorOr<size_t> write(const InodeRef& inode, uint64_t offset, std::span<const uint8_t> data);
    virtual ErrorOr<void> truncate(const InodeRef& inode, uint64_t size);

    // ---- Writing back ----
    // fsync(2): the file's data and what is needed to reach it are on the
    // disk when this returns. sync_file_system: everything (sync(2),
    // syncfs(2), before unmount). Memory file systems have nothing to do.
    virtual ErrorOr<void> sync(const InodeRef&) { return {}; }
    virtual ErrorOr<void> sync_file_system() { return {}; }
    // Whether sync_file_system would write anything (the write-back
    // thread asks: kernel/fs/writeback.h).
    virtual bool needs_write_back() const { return false; }
    // The machine is powering off: write everything back and leave the
    // file system as a clean unmount would (ext2: state "clean"), making no
    // change afterwards. By default a sync.
    virtual ErrorOr<void> shut_down() { return sync_file_system(); }
    // After shut_down: whether the file system is marked clean on its disk
    // (ext2 leaves one that was not clean at mount as it found it, as
    // Linux does: e2fsck is still due).
    virtual bool left_clean() const { return true; }

    // ---- Opening ----
    // Regular files and directories open as RegularFile / DirectoryFile,
    // which read through the calls above; a file system whose files are
    // made at open (procfs) hands out its own File objects instead.
    virtual FileOpener* file_opener() { return nullptr; }

    // ---- Attributes ----
    virtual InodeStat stat(const InodeRef& inode) const;
    // chmod (permission bits), chown (clears set-ID bits of non-directories
    // as Linux's chown does), utimensat; each updates ctime.
    virtual void set_mode(const InodeRef& inode, uint32_t mode);
    virtual void set_owner(const InodeRef& inode, uint32_t uid, uint32_t gid);
    virtual void set_times(const InodeRef& inode, std::optional<Timestamp> atime, std::optional<Timestamp> mtime);

    // Writers versus running programs (Linux's get_write_access and
    // deny_write_access): while a program runs from a regular file, it
    // cannot be opened for writing, and a file open for writing cannot be
    // executed (TextBusy, ETXTBSY, both ways). Other inodes always pass.
    ErrorOr<void> get_write_access(const InodeRef& inode);
    void put_write_access(const InodeRef& inode);
    ErrorOr<void> deny_write_access(const InodeRef& inode);
    void allow_write_access(const InodeRef& inode);

    // Pages of the page cache this file system holds: file data with no
    // other copy (tmpfs: Shmem in /proc/meminfo), clean copies it could
    // drop (reclaim_clean_pages), and dirty ones it can drop once they are
    // written back (ext2's write-back cache: Dirty in /proc/meminfo).
    struct CachePages {
        uint64_t data;
        uint64_t clean;
        uint64_t dirty;
    };
    virtual CachePages cache_pages() const { return {}; }
    // Memory is short: frees the clean page-cache pages no mapping uses
    // (tmpfs: copies of initrd bytes). Returns how many pages went.
    virtual size_t reclaim_clean_pages() { return 0; }

    // The disk this instance lives on (a file system on a block device: one
    // instance per disk, mount(2) of a disk in use is EBUSY); null for
    // memory and pseudo file systems.
    virtual drivers::BlockDevice* block_device() const { return nullptr; }

    // The last reference to one of this file system's inodes went away.
    virtual void destroy_inode(Inode* inode) = 0;

    // Whether anything besides the file system's own structures and
    // `root_references` references to its root (the mount table's) holds
    // one of its inodes: an open file, a cwd, a mapped file, a mount on one
    // of its directories. umount2 refuses a file system in use (EBUSY).
    virtual bool in_use(uint32_t root_references) const = 0;

protected:
    FileSystem() = default;
    Timestamp now() const { return m_clock(); }
    // Base attributes of an inode, for file systems whose node types
    // derive from Inode (they may also use the protected members directly
    // through their own type).
    static void set_size(Inode& inode, uint64_t size) { inode.m_size = size; }
    static uint32_t reference_count(const Inode& inode) {
        return __atomic_load_n(&inode.m_ref_count, __ATOMIC_RELAXED);
    }
    // The references that make the file system busy (in_use): all but
    // inotify watches', which a umount ends instead.
    static uint32_t user_count(const Inode& inode) { return reference_count(inode) - inode.watch_count(); }

private:
    static Timestamp zero_clock() { return {}; }
    Clock m_clock { &zero_clock };
    DeviceNumber m_device {};
    MappingObserver m_mapping_observer { nullptr };
};

}  // namespace akuma::fs
