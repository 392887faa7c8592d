// A general-purpose allocator over one or more memory chunks: boundary-tag
// blocks, segregated free lists (power-of-two bins, first fit inside a bin),
// splitting, coalescing of neighbours on free, in-place realloc. Serves the
// kernel heap before the PMM exists (early mode) and, in arena-only mode,
// for the whole uptime, growing by chunks from a ChunkSource.
//
// Every block starts with a 48-byte header {size, prev_size, requested,
// state, seal, free-list links}; the payload follows, 16-byte aligned. The
// free-list links live in the header, not in the freed payload, so a write
// through a dangling pointer can never redirect the allocator. The seal is a
// hash of the header fields and the header's own address: a header damaged
// by an overflow, or a pointer into the middle of a block, fails it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/lib/error_or.h"
#include "kernel/mm/heap/heap_common.h"

namespace akuma {

class ArenaAllocator {
public:
    // Where an arena grows from when its chunks are full (arena-only mode).
    // grow returns a chunk of at least min_bytes (or an empty span); a chunk
    // that becomes entirely free again is handed back through release.
    struct ChunkSource {
        std::span<uint8_t> (*grow)(void* context, size_t min_bytes) = nullptr;
        void (*release)(void* context, std::span<uint8_t> chunk) = nullptr;
        void* context = nullptr;
    };

    struct Stats {
        size_t allocations = 0; // live blocks
        size_t bytes_in_use = 0; // sum of requested sizes of live blocks
        size_t chunks = 0;
        size_t chunk_bytes = 0; // total bytes of all chunks
    };

    static constexpr size_t k_header_bytes = 48;
    static constexpr size_t k_min_block = 64; // header + 16 bytes of payload
    // Smallest chunk add_chunk accepts (chunk header, one block, sentinel).
    static constexpr size_t k_min_chunk = 48 + k_min_block + k_header_bytes + 16;

    constexpr ArenaAllocator() = default;
    ArenaAllocator(const ArenaAllocator&) = delete;
    ArenaAllocator& operator=(const ArenaAllocator&) = delete;

    void set_debug(const HeapDebug& debug) { m_debug = debug; }
    void set_chunk_source(const ChunkSource& source) { m_source = source; }

    // Adds memory the arena may use until the end of time (never released).
    ErrorOr<void> add_chunk(std::span<uint8_t> memory) { return add_chunk(memory, false); }

    // nullptr on failure or if alignment is not a power of two.
    void* allocate(size_t size, size_t alignment);
    // Refuses (reports, returns false) anything that is not a live block.
    bool free(void* pointer);
    // Keeps the first min(old, new) bytes; in place when the block or its
    // free successor is big enough, otherwise moved (alignment 16). nullptr
    // on failure, leaving the old block intact.
    void* reallocate(void* pointer, size_t new_size);

    bool owns(const void* pointer) const { return find_chunk(pointer) != nullptr; }
    // The caller's view of a live block (requested size in debug mode, the
    // whole payload otherwise); 0 if pointer is not a live block.
    size_t usable_size(const void* pointer) const;
    // Bytes asked for at allocation or the last reallocate; 0 if not live.
    size_t requested_size(const void* pointer) const;

    Stats stats() const { return m_stats; }

private:
    struct Block;
    struct Chunk;
    static constexpr unsigned k_bin_count = 48;

    ErrorOr<void> add_chunk(std::span<uint8_t> memory, bool releasable);
    bool grow(size_t need, size_t alignment);
    Chunk* find_chunk(const void* pointer) const;
    // The live block whose payload is pointer, or nullptr (after a report
    // when asked to report).
    Block* checked_used_block(const void* pointer, Chunk** chunk, bool report) const;
    bool header_ok(const Block* block) const;
    bool block_size_for(size_t size, size_t& out) const;
    Block* find_fit(size_t need, size_t alignment, size_t& gap);
    Block* carve(Block* block, size_t gap, size_t need, size_t requested);
    void split_tail(Block* block, size_t need, Chunk* chunk);
    Block* coalesce_and_insert(Block* block, Chunk* chunk);
    void insert_free(Block* block);
    void unlink_free(Block* block);
    void verify_free_poison(const uint8_t* from, const uint8_t* to, Block* object) const;
    bool redzone_intact(Block* block) const;
    void dress_object(Block* block, size_t from);

    HeapDebug m_debug {};
    ChunkSource m_source {};
    Chunk* m_chunks = nullptr;
    Block* m_bins[k_bin_count] {};
    uint64_t m_bin_mask = 0;
    Stats m_stats {};
};

} // namespace akuma
