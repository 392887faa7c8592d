// ext2's cache of metadata blocks (bitmaps, inode table blocks, indirect
// blocks, directory blocks, the group descriptor table): a few dozen
// blocks, least recently used evicted, written back when dirty at eviction
// or flush. File data does not pass through it (the page cache holds it:
// Ext2FileSystem), so a block that changes role (freed, then reused as
// data) must be forgotten when freed.
//
// A pointer from get() is valid until the next call into the cache: take
// what is needed from it (or modify it and mark_dirty) before asking for
// another block. Not synchronised: the VFS lock serialises its users.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/drivers/block_device.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs::ext2 {

class BlockCache {
public:
    static constexpr size_t k_entries = 64;

    BlockCache(drivers::BlockDevice& device, uint32_t block_size);
    ~BlockCache();
    BlockCache(const BlockCache&) = delete;
    BlockCache& operator=(const BlockCache&) = delete;

    // The block's bytes, read from the disk if not cached. NoMemory, IoError.
    ErrorOr<uint8_t*> get(uint32_t block);
    // A block about to be overwritten whole (a new indirect or directory
    // block): zeroed, not read, already dirty.
    ErrorOr<uint8_t*> get_zeroed(uint32_t block);
    // The block returned last by get() was changed: write it back later.
    void mark_dirty(uint32_t block);
    // Whether the cached block passed a whole-block check (a directory
    // block's records) since it was last read or changed; set_validated
    // records that it did. Changing it (get_zeroed, mark_dirty) or reading
    // it again clears this.
    bool validated(uint32_t block) const;
    void set_validated(uint32_t block);
    // Drops the block without writing it (it was freed).
    void forget(uint32_t block);
    // Writes every dirty block; the first error is returned, the others tried.
    ErrorOr<void> flush();
    // Whether a block waits to be written back.
    bool has_dirty() const;
    // Memory is wanted (or counted): writes back and frees every block's
    // buffer; returns how many were freed. No pointer from get() may be in
    // use.
    size_t release_memory();

    // Whole blocks straight to or from the disk (file data).
    ErrorOr<void> read_blocks(uint32_t block, std::span<uint8_t> buffer);
    // Consecutive blocks from `block` into several buffers in turn (each a
    // whole number of blocks), one disk request where the device can.
    ErrorOr<void> read_blocks_scattered(uint32_t block, std::span<const std::span<uint8_t>> buffers);
    ErrorOr<void> write_blocks(uint32_t block, std::span<const uint8_t> data);
    ErrorOr<void> write_blocks_scattered(uint32_t block, std::span<const std::span<const uint8_t>> buffers);
    uint32_t block_size() const { return m_block_size; }
    drivers::BlockDevice& device() { return m_device; }

private:
    struct Entry {
        uint32_t block;
        bool valid;
        bool dirty;
        bool validated;
        uint64_t last_use;
        uint8_t* data;
    };
    ErrorOr<Entry*> slot_for(uint32_t block, bool read);
    ErrorOr<void> write_back(Entry& entry);

    drivers::BlockDevice& m_device;
    uint32_t m_block_size;
    uint64_t m_clock { 0 };
    Entry m_entries[k_entries] {};
    // Where a block was last seen, by block number modulo the table: a hit
    // is checked against the entry, a miss falls back to the scan. Walking a
    // directory tree asks for the same few blocks thousands of times.
    static constexpr size_t k_hints = 256;
    uint8_t m_hints[k_hints] {};
};

} // namespace akuma::fs::ext2
