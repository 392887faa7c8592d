// Ramfs: tmpfs, the in-memory FileSystem (file_system.h) of the root (the
// initrd unpacked), /dev, /tmp, /run, /dev/shm and every `mount -t tmpfs`.
// Its data pages are also its page cache (cache_page). Inodes are reference counted
// (InodeRef); directory entries own references to their children, and
// directories point back at their parent without owning it, so the tree has
// no cycles. Regular files either borrow their bytes (zero-copy from the
// initrd image, which lives as long as the kernel) or keep them in 4 KiB
// pages allocated as written (FilePages): holes read as zeros and take no
// memory, so a file truncated up to 64 MiB costs nothing until written.
// The first write or growing truncate of a borrowed file copies it.
//
// Size limit, as tmpfs's `size=`: the data pages of all files together,
// rounded up to whole pages (0: no limit). Borrowed bytes are not counted:
// they are the initrd's memory, not the file system's. A write that finds no
// room for its first page fails with NoSpace; one that filled some pages
// first returns the short count (as Linux's generic_perform_write).
//
// Decisions:
// - Not internally synchronised: the VFS serialises calls (vfs_lock.h).
//   Except: an inode whose last reference goes away is unreachable, so
//   destroying it needs no lock (its counters are updated atomically).
// - An inode is freed with its last reference; while linked, its directory
//   entry holds one, so an unlinked but open file stays readable.
// - A removed directory is "dead": nlink 0, no parent; lookups in it, "..",
//   creating in it and path_of() fail with NotFound (ENOENT, as on Linux).
// - Every InodeRef must be dropped before the Ramfs is destroyed (checked).
// - Names: 1..255 bytes, no '/' or NUL, not "." or "..": Invalid otherwise,
//   NameTooLong above 255.
// - atime is set at creation and by set_times() only (as with noatime).
// - directory_entry() indexes are positions: removing an entry while a
//   directory is being listed shifts the later ones down by one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/fs/file_pages.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/path_walk.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/own_ptr.h"
#include "kernel/lib/string.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"

namespace akuma::fs {

class Ramfs;

// A ramfs inode: the base attributes plus its data, target or entries.
class RamfsInode final : public Inode {
public:
    // Regular file data is borrowed (not yet copied from the initrd).
    bool is_borrowed() const { return m_borrowed_data != nullptr; }
    // Data pages a regular file holds (holes and borrowed bytes take none).
    uint64_t page_count() const { return m_pages.page_count(); }
    // Pages of a borrowed file copied for mappings (cache_page).
    uint64_t cached_page_count() const { return m_cache.page_count(); }

private:
    friend class Ramfs;

    struct DirEntry {
        BasicString<mm::HeapAllocator> name;
        InodeRef inode;
    };

    RamfsInode(Ramfs& fs, FilePages::Usage& usage, FilePages::Usage& cache_usage, uint64_t ino, InodeType type,
               uint32_t mode);
    ~RamfsInode() override = default;

    // Regular files: m_size bytes, at m_borrowed_data if borrowed, else in
    // m_pages, whose bytes past m_size are always zero (so growing the file
    // needs no clearing).
    const uint8_t* m_borrowed_data { nullptr };
    FilePages m_pages;
    // A borrowed file's pages as mappings see them (cache_page); dropped
    // when the file is copied out of the initrd (the mappings keep theirs).
    FilePages m_cache;
    BasicString<mm::HeapAllocator> m_symlink_target;
    // Directories.
    Vector<DirEntry, mm::HeapAllocator> m_entries;
    RamfsInode* m_parent { nullptr }; // root: itself; dead directory: nullptr
    bool m_orphan { false };  // unlinked while still referenced (Ramfs::m_orphans)
};


struct RamfsStats {
    size_t inodes;
    uint64_t owned_data_bytes; // file data pages, 4 KiB each: what the size limit counts
    uint64_t index_bytes; // the nodes that index those pages
    uint64_t borrowed_data_bytes; // file bytes still read from the initrd
    uint64_t cached_borrowed_bytes; // pages of borrowed files copied for mappings
};

class Ramfs final : public FileSystem {
public:
    // size_limit: bytes of file data (rounded up to pages); 0: unlimited.
    static ErrorOr<OwnPtr<Ramfs, mm::HeapAllocator>> create(uint64_t size_limit = 0);
    ~Ramfs() override;
    // Called first thing when the file system is destroyed (its unmount):
    // for a kernel part that keeps a pointer to it (devpts).
    void set_destroy_hook(void (*hook)(Ramfs& fs)) { m_destroy_hook = hook; }
    Ramfs(const Ramfs&) = delete;
    Ramfs& operator=(const Ramfs&) = delete;

    // "tmpfs" unless told otherwise (the devtmpfs and ramfs instances).
    std::string_view type_name() const override { return m_type_name; }
    void set_type_name(std::string_view name) { m_type_name = name; }
    InodeRef root() const override { return m_root; }
    FileSystemStats statfs() const override;
    bool in_use(uint32_t root_references) const override;
    // Drops the cache of each borrowed file none of whose cached pages is
    // mapped (the initrd still holds the bytes).
    size_t reclaim_clean_pages() override;
    CachePages cache_pages() const override {
        return { __atomic_load_n(&m_usage.pages, __ATOMIC_RELAXED), __atomic_load_n(&m_cache_usage.pages, __ATOMIC_RELAXED),
                 0 };
    }
    RamfsStats stats() const;
    // In bytes, a multiple of the page size; 0: unlimited.
    uint64_t size_limit() const { return m_page_limit == k_no_page_limit ? 0 : m_page_limit * k_data_page_size; }

    // Linux path walk: absolute paths start at the root, relative ones at
    // base (a directory). Intermediate symlinks are always followed, the
    // final one if follow_final_symlink or the path ends in '/' (which also
    // requires a directory). Errors: NotFound (also for ""), NotADirectory,
    // NameTooLong (component > 255 or path >= 4096), SymlinkLoop (> 40).
    ErrorOr<InodeRef> resolve(const InodeRef& base, std::string_view path, bool follow_final_symlink);
    // The existing directory that would hold the path's last component, and
    // that component. Trailing slashes are stripped (and reported). A path
    // without a usable last component ("/", ending in "." or "..") gives
    // Invalid: map it per syscall (mkdir: EEXIST, rmdir "." : EINVAL, ...).
    ErrorOr<ParentAndName> resolve_parent(const InodeRef& base, std::string_view path);
    bool lookups_cacheable() const override { return true; }
    ErrorOr<InodeRef> lookup(const InodeRef& directory, std::string_view name) override;
    ErrorOr<InodeRef> parent(const InodeRef& directory) override;

    // Creation fails with Exists if the name is taken, NotFound in a dead
    // directory, NotADirectory if `directory` is not one. `mode` supplies
    // the permission bits only.
    ErrorOr<InodeRef> create_file(
        const InodeRef& directory, std::string_view name, uint32_t mode, uint32_t uid = 0, uint32_t gid = 0) override;
    ErrorOr<InodeRef> mkdir(
        const InodeRef& directory, std::string_view name, uint32_t mode, uint32_t uid = 0, uint32_t gid = 0) override;
    // target: 1..4095 bytes (NotFound if empty, NameTooLong if longer).
    ErrorOr<InodeRef> symlink(const InodeRef& directory, std::string_view name, std::string_view target,
        uint32_t uid = 0, uint32_t gid = 0) override;
    // Character devices only (S_IFCHR in mode, else NotSupported).
    ErrorOr<InodeRef> mknod(const InodeRef& directory, std::string_view name, uint32_t mode,
        DeviceNumber rdev, uint32_t uid = 0, uint32_t gid = 0) override;
    // Hard link; NotPermitted for directories.
    ErrorOr<void> link(const InodeRef& directory, std::string_view name, const InodeRef& inode) override;
    // IsADirectory for directories.
    ErrorOr<void> unlink(const InodeRef& directory, std::string_view name) override;
    // NotADirectory, NotEmpty.
    ErrorOr<void> rmdir(const InodeRef& directory, std::string_view name) override;
    // Linux rename(2): replaces a non-directory target, or an empty directory
    // with a directory (IsADirectory / NotADirectory / NotEmpty otherwise);
    // Invalid when moving a directory into its own subtree. Renaming onto
    // another link of the same inode does nothing.
    ErrorOr<void> rename(const InodeRef& old_directory, std::string_view old_name,
        const InodeRef& new_directory, std::string_view new_name) override;

    // Regular files only (IsADirectory for directories, Invalid otherwise).
    // read returns 0 at or past the end; holes read as zeros. write leaves a
    // hole where it starts past the end; NoSpace (over the size limit) or
    // NoMemory if not even its first page can be had, else the count of
    // bytes written, short if one of its later pages could not. truncate
    // allocates nothing (it only copies a borrowed file it grows) and frees
    // the pages past a new, smaller end.
    ErrorOr<size_t> read(const InodeRef& inode, uint64_t offset, std::span<uint8_t> buffer) override;
    ErrorOr<uint8_t*> readable_page(const InodeRef& inode, uint64_t index) override;
    ErrorOr<size_t> write(const InodeRef& inode, uint64_t offset, std::span<const uint8_t> data) override;
    ErrorOr<void> truncate(const InodeRef& inode, uint64_t size) override;
    // Takes the missing pages of the range (NoSpace over the size limit,
    // keeping those already taken, as tmpfs's shmem_fallocate undoes
    // nothing it need not); without keep_size the file grows to its end.
    ErrorOr<void> allocate(const InodeRef& inode, uint64_t offset, uint64_t length, bool keep_size) override;
    // Owned files: their data page (a hole gets one, counted against the
    // limit). Borrowed files: for a private mapping, a copy of that page of
    // the initrd bytes, kept with the file (not counted: it is a cache of
    // memory the initrd already holds); for a writable shared mapping, the
    // file is copied out of the initrd first, as a write would.
    ErrorOr<uint8_t*> cache_page(const InodeRef& inode, uint64_t index, bool writable_share) override;
    void cached_pages(const InodeRef& inode, uint64_t first, uint64_t count, uint8_t** pages) override;
    // Makes a regular file's contents `data` without copying; data must
    // outlive the Ramfs (the initrd image).
    ErrorOr<void> set_borrowed_data(const InodeRef& inode, std::span<const uint8_t> data);
    // Invalid unless a symlink. Valid while the inode lives.
    ErrorOr<std::string_view> readlink(const InodeRef& inode) override;

    // Index 0 is ".", 1 is "..", then the entries in insertion order;
    // nullopt past the end. NotADirectory for other inodes.
    ErrorOr<std::optional<DirEntryView>> directory_entry(const InodeRef& directory, size_t index) override;
    // Directories report size 4096; blocks count regular file and directory
    // sizes rounded up to 4096 (symlinks and devices: 0).
    InodeStat stat(const InodeRef& inode) const override;
    // Absolute path of a directory, NUL-terminated (getcwd). Returns the
    // length including the NUL, as getcwd(2) does. OutOfRange if it does not
    // fit, NotFound for a dead directory.
    ErrorOr<size_t> path_of(const InodeRef& directory, std::span<char> buffer);

private:
    void (*m_destroy_hook)(Ramfs& fs) { nullptr };
    Ramfs() = default;

    void destroy_inode(Inode* inode) override;
    ErrorOr<InodeRef> make_inode(uint32_t mode, uint32_t uid, uint32_t gid);
    static void release_if_empty(RamfsInode& directory);
    ErrorOr<InodeRef> create_node(const InodeRef& directory, std::string_view name, uint32_t mode,
        uint32_t uid, uint32_t gid, DeviceNumber rdev = {}, std::string_view symlink_target = {});
    ErrorOr<RamfsInode*> checked_directory(const InodeRef& directory, std::string_view name);
    ErrorOr<RamfsInode*> regular_file(const InodeRef& inode);
    std::optional<size_t> find(const RamfsInode& directory, std::string_view name) const;
    static std::optional<size_t> find(const RamfsInode& directory, const RamfsInode* child);
    ErrorOr<void> attach(RamfsInode& directory, std::string_view name, const InodeRef& inode);
    void detach(RamfsInode& directory, size_t index);
    void note_if_orphaned(RamfsInode& inode, uint32_t links_left);
    ErrorOr<uint8_t*> page_for_write(RamfsInode& file, uint64_t index);
    ErrorOr<void> copy_borrowed_data(RamfsInode& file);
    void free_data(RamfsInode& inode);

    static constexpr uint64_t k_no_page_limit = ~uint64_t { 0 };

    InodeRef m_root;
    std::string_view m_type_name { "tmpfs" };  // a literal
    uint64_t m_next_ino { 1 };
    uint64_t m_page_limit { k_no_page_limit };
    FilePages::Usage m_usage {}; // of all files' m_pages
    FilePages::Usage m_cache_usage {}; // of all files' m_cache (not limited)
    size_t m_inodes { 0 };
    uint32_t m_orphans { 0 };  // inodes with no name left that something still holds
    uint64_t m_borrowed_bytes { 0 };
};

} // namespace akuma::fs
