// The page-level memory the kernel heap stands on. The kernel implements it
// over the PMM (per-page descriptors record the owner; the head page records
// the order); the host tests implement it over aligned_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace akuma {

// Who owns a backend block, recorded by the backend for every page of it.
enum class BlockKind : uint8_t {
    Slab, // one slab of the size-class allocator
    Large, // one large allocation (object at the block base)
    Arena, // a chunk of the arena allocator (arena-only mode)
};

struct BlockInfo {
    BlockKind kind;
    void* base; // first byte of the block
    unsigned order; // the block is 2^order pages, naturally aligned
};

class HeapBackend {
public:
    // 2^order pages aligned to their size, or nullptr. Contents undefined.
    // Must not call back into the heap.
    virtual void* allocate_block(unsigned order, BlockKind kind) = 0;
    // block is a base returned by allocate_block and not yet freed.
    virtual void free_block(void* block) = 0;
    // The live heap block containing address, or nullopt when no heap block
    // contains it (foreign or freed memory). Never faults on any address.
    virtual std::optional<BlockInfo> block_info(const void* address) const = 0;

protected:
    // Not deleted through this interface: no virtual destructor (and so no
    // operator delete) needed in the kernel.
    ~HeapBackend() = default;
};

} // namespace akuma
