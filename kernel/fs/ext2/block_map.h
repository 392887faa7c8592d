// The block map of an ext2 file: i_block's 12 direct pointers, then a
// single, a double and a triple indirect block, each a block of 32-bit
// block numbers. A zero pointer is a hole (sparse files read zeros there
// and take no block). Every pointer read from disk is checked
// (Allocator::check_data_block) before it is followed or returned.
//
// `sectors` is the inode's i_blocks (512-byte units): allocation and
// freeing keep it counting data and indirect blocks.
#pragma once

#include <cstdint>

#include "kernel/fs/ext2/allocator.h"
#include "kernel/fs/ext2/block_cache.h"
#include "kernel/fs/ext2/ext2_format.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs::ext2 {

struct BlockPointers {
    uint32_t* slots; // the inode's 15 i_block entries
    uint32_t* sectors;
};

class BlockMap {
public:
    BlockMap(const Geometry& geometry, BlockCache& cache, Allocator& allocator)
        : m_geometry(geometry)
        , m_cache(cache)
        , m_allocator(allocator) { }

    // Logical blocks the map can address.
    uint64_t capacity() const;
    // The disk block of a logical block, 0 for a hole. Invalid past capacity().
    ErrorOr<uint32_t> lookup(const uint32_t* slots, uint64_t logical);
    struct Allocated {
        uint32_t block;
        bool fresh; // newly allocated: its old contents are garbage
    };
    // The disk block of a logical block, allocating it (and the indirect
    // blocks on its path, zeroed) if it is a hole. NoSpace leaves what was
    // allocated on the path attached (consistent, just not yet useful).
    ErrorOr<Allocated> allocate(BlockPointers pointers, uint64_t logical, uint32_t goal);
    // Frees every data block at logical index `first` or above, and every
    // indirect block that covers only such blocks.
    ErrorOr<void> free_from(BlockPointers pointers, uint64_t first);

private:
    struct Path {
        uint32_t slot;
        uint32_t depth; // indirect levels below the slot: 0 (direct) to 3
        uint32_t index[3];
    };
    ErrorOr<Path> path_of(uint64_t logical) const;
    ErrorOr<void> free_tree(
        uint32_t& pointer, uint32_t depth, uint64_t base, uint64_t first, uint32_t& sectors);
    ErrorOr<void> release(uint32_t block, uint32_t& sectors);

    const Geometry& m_geometry;
    BlockCache& m_cache;
    Allocator& m_allocator;
};

} // namespace akuma::fs::ext2
