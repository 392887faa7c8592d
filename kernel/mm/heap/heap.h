// The kernel heap: an arena allocator until the PMM exists (early mode),
// then size-class slabs and large blocks on PMM pages (page mode); or, when
// configured arena-only, the arena for the whole uptime, growing by chunks
// from the PMM. Early-mode pointers stay valid after the switch: free and
// reallocate route every pointer to the allocator that owns it.
//
// Not thread-safe: the kernel wraps every call in an IRQ-masking spinlock.
// constexpr-constructible, so the kernel's single instance needs no global
// constructor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/lib/error_or.h"
#include "kernel/mm/heap/arena_allocator.h"
#include "kernel/mm/heap/heap_backend.h"
#include "kernel/mm/heap/heap_common.h"
#include "kernel/mm/heap/slab_allocator.h"

namespace akuma {

enum class HeapMode : uint8_t { Uninitialized, Early, Page, ArenaOnly };

struct HeapOptions {
    // Redzones, poisoning and their checks (test builds).
    bool debug = false;
    // Never switch to slabs; the arena grows from the backend instead.
    bool arena_only = false;
    // Called on every detected corruption; the operation is then refused.
    HeapCorruptionHandler on_corruption = nullptr;
    // Smallest chunk the arena takes from the backend in arena-only mode
    // (2^order pages; 6 = 256 KiB), so growth is rare.
    unsigned arena_grow_order = 6;
};

struct HeapStats {
    SlabAllocator::ClassStats classes[SlabAllocator::k_class_count];
    SlabAllocator::LargeStats large;
    ArenaAllocator::Stats arena;
    size_t allocations = 0; // live objects, all allocators
    size_t bytes_in_use = 0; // requested bytes of slab and arena objects,
                             // plus the whole pages of large blocks
};

class Heap {
public:
    constexpr Heap() = default;
    Heap(const Heap&) = delete;
    Heap& operator=(const Heap&) = delete;

    // Early mode over memory inside the kernel image. Once only.
    ErrorOr<void> init(std::span<uint8_t> early_arena, const HeapOptions& options);
    // The PMM is up: switch to page mode (or, arena-only, let the arena grow
    // from backend). backend must outlive the heap. Once only.
    void mark_pages_ready(HeapBackend& backend);

    HeapMode mode() const { return m_mode; }
    bool debug() const { return m_options.debug; }

    // nullptr on failure or a non-power-of-two alignment; never panics.
    // Size 0 gives a unique minimal allocation.
    void* allocate(size_t size, size_t alignment = k_heap_default_alignment);
    // Zero-filled, whatever the memory held before.
    void* allocate_zeroed(size_t size, size_t alignment = k_heap_default_alignment);
    // C realloc: nullptr pointer allocates; keeps min(old, new) bytes; a
    // moved object gets alignment 16; nullptr on failure with the old object
    // intact. An early-mode pointer moves to page mode after the switch.
    void* reallocate(void* pointer, size_t new_size);
    // nullptr is fine; anything that is not a live object is reported and
    // refused.
    void free(void* pointer);
    // Bytes the caller may use: the requested size in debug mode, the whole
    // slot otherwise; 0 for a pointer that is not a live object.
    size_t usable_size(const void* pointer) const;

    // Hands cached empty slabs back to the backend.
    void release_cached_memory();

    HeapStats stats() const;

private:
    enum class Owner : uint8_t { None, Arena, Backend };
    struct Location {
        Owner owner;
        BlockInfo block;
    };
    Location locate(const void* pointer) const;
    static std::span<uint8_t> grow_arena(void* context, size_t min_bytes);
    static void release_arena_chunk(void* context, std::span<uint8_t> chunk);

    HeapOptions m_options {};
    HeapDebug m_debug {};
    HeapMode m_mode = HeapMode::Uninitialized;
    HeapBackend* m_backend = nullptr;
    ArenaAllocator m_arena;
    SlabAllocator m_slabs;
};

} // namespace akuma
