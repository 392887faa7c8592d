// Ext2FileSystem: ext2 (revision 0 and 1, 1-4 KiB blocks, sparse_super,
// large_file, filetype) as an Akuma FileSystem over a drivers::BlockDevice.
//
// Structure (kernel/fs/ext2/): ext2_format.* (on-disk records and the
// superblock and descriptor checks), block_cache.* (metadata blocks),
// allocator.* (bitmaps and free counts), block_map.* (a file's direct and
// indirect blocks), directory_block.* (records inside one directory
// block), ext2_inodes.cpp (inodes to and from the inode table, the live
// inode table, releasing inodes), ext2_names.cpp (lookup and every change of
// names), ext2_data.cpp (read, write, truncate, allocate, the page cache),
// ext2_file_system.cpp (mount, sync, unmount, attributes).
//
// Decisions:
// - Not internally synchronised: every call is made under the VFS lock,
//   and block I/O may sleep under it. Except destroy_inode, which may come
//   without the lock (a description closing): it only queues the inode
//   (lock-free), and the next call under the lock writes it back or, with
//   no link left, frees its blocks and number (an unlinked file lives while
//   open, as in Linux). One Ext2Inode exists per inode number at a time.
// - File data goes through the page cache (4 KiB pages of the file).
//   write() copies into cached pages and marks them dirty (DirtyPages); the
//   blocks are allocated at once, so NoSpace is write()'s, never a later
//   write-back's. Dirty pages go to the disk, runs of pages whose blocks
//   follow each other as one request of up to 64 KiB, by sync() (fsync),
//   sync_file_system() (sync, syncfs, and the write-back thread:
//   kernel/fs/writeback.h, a few seconds after the first change), when more
//   than k_dirty_limit_pages are dirty (the writer writes them), before
//   their pages are reclaimed, when the inode is released, and at unmount.
//   A page no cache page can be had for (memory short) is written through
//   at once. A page a shared writable mapping may change gets its blocks
//   allocated when it is mapped and is written back like a dirty one.
// - Metadata (bitmaps, descriptors, inode table, indirect and directory
//   blocks) is written back from the block cache at eviction and sync.
// - Linux's ext2 behaviour kept: the superblock says "not clean" while
//   mounted read-write and "clean" after unmount (if it was at mount), with
//   mount count and times; writing into a hashed directory clears its index
//   flag; device numbers in i_block[0] (old format) or i_block[1] (new).
// - Not done: atime updates (as noatime), reserved blocks for root (every
//   block can be allocated; statfs reports the reservation in f_bavail),
//   fallocate beyond the end with FALLOC_FL_KEEP_SIZE (NotSupported: ext2
//   cannot mark blocks past the end as unwritten), extended attributes
//   (an xattr block is kept, and freed with its last inode).
// - Corrupt images: every value read is checked before use; a bad one is a
//   log line ("[ext2] corrupt ...") and Corrupted (EUCLEAN) from the call.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/drivers/block_device.h"
#include "kernel/fs/ext2/allocator.h"
#include "kernel/fs/ext2/block_cache.h"
#include "kernel/fs/ext2/block_map.h"
#include "kernel/fs/ext2/ext2_format.h"
#include "kernel/fs/dirty_pages.h"
#include "kernel/fs/file_pages.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/inode.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/lib/own_ptr.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"

namespace akuma::fs {

class Ext2FileSystem;

class Ext2Inode final : public Inode {
public:
    uint32_t disk_sectors() const { return m_sectors; }
    uint64_t cached_page_count() const { return m_cache.page_count(); }

private:
    friend class Ext2FileSystem;
    Ext2Inode(Ext2FileSystem& fs, uint32_t ino, InodeType type, uint32_t mode);
    ~Ext2Inode() override = default;

    uint32_t m_slots[ext2::k_block_slots] {}; // i_block
    uint32_t m_sectors { 0 }; // i_blocks
    uint32_t m_flags { 0 };
    uint32_t m_file_acl { 0 };
    FilePages m_cache; // regular files: the page cache
    DirtyPages m_dirty; // pages of m_cache the disk has not got
    ListNode m_dirty_node; // in Ext2FileSystem::m_dirty_files while m_dirty is not empty
    BasicString<mm::HeapAllocator> m_target; // symlinks, read at the first readlink
    bool m_target_loaded { false };
    bool m_shared_writable { false }; // a MAP_SHARED writable mapping may have changed cached pages
    bool m_release_pending { false }; // queued by destroy_inode (atomic)
    Ext2Inode* m_hash_next { nullptr };
    Ext2Inode* m_released_next { nullptr };
};

class Ext2FileSystem final : public FileSystem {
public:
    using Pointer = OwnPtr<Ext2FileSystem, mm::HeapAllocator>;
    // Reads and checks the superblock and group descriptors. A read-write
    // mount marks the file system "not clean" on disk at once. Errors
    // (each with a log line): Invalid (not ext2), NotSupported (features),
    // ReadOnlyFs (read-only device or features for a read-write mount),
    // Corrupted, IoError, NoMemory.
    static ErrorOr<Pointer> mount(drivers::BlockDevice& device, bool read_only, Clock clock = nullptr);
    // Unmounts if not done (errors are logged).
    ~Ext2FileSystem() override;

    // Writes everything back and marks the file system clean (if it was at
    // mount). Afterwards the instance is read-only. Callers drop every
    // inode reference but the root's first (in_use).
    ErrorOr<void> unmount();

    std::string_view type_name() const override { return "ext2"; }
    InodeRef root() const override { return m_root; }
    FileSystemStats statfs() const override;
    bool in_use(uint32_t root_references) const override;
    bool lookups_cacheable() const override { return true; }
    drivers::BlockDevice* block_device() const override { return &m_device; }
    bool read_only() const { return m_read_only; }

    ErrorOr<InodeRef> lookup(const InodeRef& directory, std::string_view name) override;
    ErrorOr<InodeRef> parent(const InodeRef& directory) override;
    ErrorOr<std::optional<DirEntryView>> directory_entry(const InodeRef& directory, size_t index) override;
    ErrorOr<InodeRef> create_file(
        const InodeRef& directory, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid) override;
    ErrorOr<InodeRef> mkdir(
        const InodeRef& directory, std::string_view name, uint32_t mode, uint32_t uid, uint32_t gid) override;
    ErrorOr<InodeRef> symlink(const InodeRef& directory, std::string_view name, std::string_view target,
        uint32_t uid, uint32_t gid) override;
    // Character and block devices, FIFOs and sockets (the type from `mode`).
    ErrorOr<InodeRef> mknod(const InodeRef& directory, std::string_view name, uint32_t mode,
        DeviceNumber rdev, uint32_t uid, uint32_t gid) override;
    ErrorOr<void> link(const InodeRef& directory, std::string_view name, const InodeRef& inode) override;
    ErrorOr<void> unlink(const InodeRef& directory, std::string_view name) override;
    ErrorOr<void> rmdir(const InodeRef& directory, std::string_view name) override;
    ErrorOr<void> rename(const InodeRef& old_directory, std::string_view old_name,
        const InodeRef& new_directory, std::string_view new_name) override;
    ErrorOr<std::string_view> readlink(const InodeRef& inode) override;

    ErrorOr<size_t> read(const InodeRef& inode, uint64_t offset, std::span<uint8_t> buffer) override;
    ErrorOr<size_t> write(const InodeRef& inode, uint64_t offset, std::span<const uint8_t> data) override;
    ErrorOr<void> truncate(const InodeRef& inode, uint64_t size) override;
    ErrorOr<void> allocate(const InodeRef& inode, uint64_t offset, uint64_t length, bool keep_size) override;
    ErrorOr<uint8_t*> cache_page(const InodeRef& inode, uint64_t index, bool writable_share) override;
    void cached_pages(const InodeRef& inode, uint64_t first, uint64_t count, uint8_t** pages) override;
    ErrorOr<uint8_t*> readable_page(const InodeRef& inode, uint64_t index) override;
    ErrorOr<void> sync(const InodeRef& inode) override;
    ErrorOr<void> sync_file_system() override;
    bool needs_write_back() const override;
    ErrorOr<void> shut_down() override { return unmount(); }
    bool left_clean() const override { return m_superblock.state & ext2::k_state_valid; }

    InodeStat stat(const InodeRef& inode) const override;
    void set_mode(const InodeRef& inode, uint32_t mode) override;
    void set_owner(const InodeRef& inode, uint32_t uid, uint32_t gid) override;
    void set_times(
        const InodeRef& inode, std::optional<Timestamp> atime, std::optional<Timestamp> mtime) override;
    CachePages cache_pages() const override;
    // Drops the cached pages of files no mapping uses, writing back first
    // the dirty ones and those a shared writable mapping may have changed.
    size_t reclaim_clean_pages() override;

    const ext2::Geometry& geometry() const { return m_geometry; }

private:
    friend class Ext2Inode;
    Ext2FileSystem(drivers::BlockDevice& device, const ext2::Geometry& geometry, bool read_only);

    void destroy_inode(Inode* inode) override;
    // Declared first in a call, it releases the queued inodes as the call
    // ends (after the call's own references are gone).
    struct ReleaseGuard {
        Ext2FileSystem& fs;
        ~ReleaseGuard() { fs.release_unreferenced(); }
    };

    // ---- Inodes (ext2_inodes.cpp) ----
    ErrorOr<InodeRef> get_inode(uint32_t ino);
    ErrorOr<Ext2Inode*> load_inode(uint32_t ino);
    ErrorOr<void> store_inode(Ext2Inode& inode);
    ErrorOr<InodeRef> new_inode(Ext2Inode& directory, uint32_t mode, uint32_t uid, uint32_t gid);
    void hash_insert(Ext2Inode& inode);
    void hash_remove(Ext2Inode& inode);
    // Writes back or frees the inodes destroy_inode queued.
    void release_unreferenced();
    void retire(Ext2Inode& inode);
    ErrorOr<void> free_inode_on_disk(Ext2Inode& inode);
    ext2::BlockPointers pointers(Ext2Inode& inode) { return { inode.m_slots, &inode.m_sectors }; }

    // ---- Names (ext2_names.cpp) ----
    ErrorOr<Ext2Inode*> live_directory(const InodeRef& directory, std::string_view name);
    struct EntryLocation {
        uint32_t block; // disk block
        uint32_t offset;
        std::optional<uint32_t> previous;
        uint32_t inode;
    };
    ErrorOr<std::optional<EntryLocation>> find_entry(Ext2Inode& directory, std::string_view name);
    ErrorOr<void> add_entry(Ext2Inode& directory, std::string_view name, Ext2Inode& inode);
    ErrorOr<void> remove_entry(Ext2Inode& directory, const EntryLocation& entry);
    ErrorOr<void> retarget_entry(Ext2Inode& directory, const EntryLocation& entry, Ext2Inode& inode);
    ErrorOr<bool> is_empty_directory(Ext2Inode& directory);
    ErrorOr<uint32_t> dot_dot(Ext2Inode& directory);
    ErrorOr<void> set_dot_dot(Ext2Inode& directory, uint32_t parent);
    ErrorOr<InodeRef> create_node(const InodeRef& directory, std::string_view name, uint32_t mode,
        uint32_t uid, uint32_t gid, DeviceNumber rdev, std::string_view target);
    ErrorOr<uint32_t> directory_block(Ext2Inode& directory, uint64_t logical);
    void directory_changed(Ext2Inode& directory);

    // ---- Data (ext2_data.cpp) ----
    ErrorOr<Ext2Inode*> regular_file(const InodeRef& inode);
    ErrorOr<size_t> read_from_disk(Ext2Inode& file, uint64_t offset, std::span<uint8_t> buffer);
    ErrorOr<void> write_into_page(Ext2Inode& file, uint64_t position, std::span<const uint8_t> data, uint32_t& goal);
    ErrorOr<void> write_through(Ext2Inode& file, uint64_t position, std::span<const uint8_t> data, uint32_t& goal);
    static void grow_to(Ext2Inode& file, uint64_t size);

    // ---- Write-back (ext2_data.cpp) ----
    // More dirty pages than this (16 MiB) and write() writes them back.
    static constexpr uint64_t k_dirty_limit_pages = 4096;
    // Pages per request: runs of consecutive blocks up to 64 KiB.
    static constexpr size_t k_write_back_run_pages = 16;
    void mark_page_dirty(Ext2Inode& file, uint64_t index, uint8_t* page);
    // The file's dirty pages (every cached page if a shared writable
    // mapping may have changed them) to the disk.
    ErrorOr<void> write_back_pages(Ext2Inode& file);
    ErrorOr<void> write_back_range(Ext2Inode& file, DirtyPages::Range range);
    ErrorOr<void> write_page_blocks(Ext2Inode& file, uint64_t index, uint8_t* page);
    // Every file's dirty pages; the first error is returned, the others tried.
    ErrorOr<void> write_back_dirty_files();
    // The file is gone (or written): its dirty pages are forgotten.
    void forget_dirty(Ext2Inode& file);
    void dirty_set_changed(Ext2Inode& file, uint64_t pages_before);
    ErrorOr<uint8_t*> page_of(Ext2Inode& file, uint64_t index);
    ErrorOr<uint8_t*> read_ahead_from(Ext2Inode& file, uint64_t index);
    static constexpr size_t k_read_ahead_bytes = 64 * 1024;
    ErrorOr<void> zero_block(uint32_t block);
    ErrorOr<void> set_file_size(Ext2Inode& file, uint64_t size);
    ErrorOr<void> shrink(Ext2Inode& file, uint64_t size);

    // ---- The superblock (ext2_file_system.cpp) ----
    ErrorOr<void> write_superblock();
    ErrorOr<void> writable() const;
    ErrorOr<void> flush_metadata();

    drivers::BlockDevice& m_device;
    ext2::Geometry m_geometry;
    ext2::Superblock m_superblock {};
    ext2::BlockCache m_cache;
    ext2::Allocator m_allocator;
    ext2::BlockMap m_map;
    bool m_read_only;
    bool m_unmounted { false };
    uint16_t m_state_at_mount { 0 };
    InodeRef m_root;

    static constexpr size_t k_hash_buckets = 256;
    Ext2Inode* m_hash[k_hash_buckets] {};
    size_t m_live_inodes { 0 };
    Ext2Inode* m_released { nullptr }; // pushed lock-free by destroy_inode

    // directory_entry's cursor: the last entry returned, to continue from.
    struct Cursor {
        uint64_t ino;
        uint64_t generation;
        size_t index; // the index returned
        uint64_t next_offset; // byte offset in the directory of the record after it
    };
    Cursor m_cursor {};
    uint64_t m_directory_generation { 1 }; // bumped by every directory change
    char m_entry_name[ext2::k_superblock_size / 4] {}; // directory_entry's name (<= 255 bytes)

    uint8_t* m_scratch { nullptr }; // one block, for partial block I/O
    FilePages::Usage m_cache_usage {};
    IntrusiveList<Ext2Inode, &Ext2Inode::m_dirty_node> m_dirty_files;
    uint64_t m_dirty_pages { 0 }; // over all files (read by cache_pages without the lock)
};

} // namespace akuma::fs
