// ext2's allocator: the group descriptors (kept in memory, written back to
// the descriptor table on flush), and the block and inode bitmaps of each
// group, whose bits it sets and clears while keeping each group's free
// counts, its count of directories, and the totals the superblock reports
// in step. It also knows which blocks are the file system's own
// (superblocks, descriptors, bitmaps, inode tables), so a block number read
// from disk can be checked before it is used as data (check_data_block).
//
// Allocation policy (simple, not Linux's): blocks from the goal's group
// onward, the first free bit at or after the goal; inodes in the parent's
// group if it has one free, else the next group that has.
#pragma once

#include <cstdint>

#include "kernel/fs/ext2/block_cache.h"
#include "kernel/fs/ext2/ext2_format.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"

namespace akuma::fs::ext2 {

class Allocator {
public:
    Allocator(const Geometry& geometry, BlockCache& cache)
        : m_geometry(geometry)
        , m_cache(cache) { }

    // Reads and checks the descriptor table (Corrupted, logged, if a group
    // is inconsistent) and sums the free counts.
    ErrorOr<void> load();
    // Writes changed descriptors into the table's blocks (in the cache).
    ErrorOr<void> flush();
    // Whether a descriptor changed since the last flush.
    bool has_dirty() const { return m_dirty; }

    // A free block, marked used. NoSpace when none is left; Corrupted if a
    // bitmap disagrees with its group's count.
    ErrorOr<uint32_t> allocate_block(uint32_t goal);
    // Corrupted (nothing changes) for a block outside the data area or
    // already free.
    ErrorOr<void> free_block(uint32_t block);
    // A free inode number, marked used; `parent` picks the group to try
    // first. NoSpace when every inode is taken.
    ErrorOr<uint32_t> allocate_inode(uint32_t parent, bool directory);
    ErrorOr<void> free_inode(uint32_t ino, bool directory);

    // Corrupted (and a log line naming `what`) unless the block may hold
    // file data or an indirect/directory block: inside the file system,
    // not a superblock, descriptor, bitmap or inode table.
    ErrorOr<void> check_data_block(uint32_t block, const char* what) const;
    bool is_inode_number_valid(uint32_t ino) const {
        return ino == k_root_ino || (ino >= m_geometry.first_ino && ino <= m_geometry.inodes_count);
    }
    // The inode table block holding `ino` and the record's byte offset in it.
    struct InodeLocation {
        uint32_t block;
        uint32_t offset;
    };
    InodeLocation locate_inode(uint32_t ino) const;

    uint64_t free_blocks() const { return m_free_blocks; }
    uint64_t free_inodes() const { return m_free_inodes; }
    // Blocks no file can have: superblock and descriptor copies, bitmaps,
    // inode tables (statfs's overhead).
    uint64_t metadata_blocks() const;

private:
    ErrorOr<uint32_t> take_bit(uint32_t bitmap_block, uint32_t first, uint32_t limit);

    const Geometry& m_geometry;
    BlockCache& m_cache;
    Vector<GroupDescriptor, mm::HeapAllocator> m_groups;
    bool m_dirty { false };
    uint64_t m_free_blocks { 0 };
    uint64_t m_free_inodes { 0 };
};

} // namespace akuma::fs::ext2
