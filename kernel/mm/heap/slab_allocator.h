// Size-class slab allocator for the kernel heap in page mode, plus "large"
// allocations straight from the backend.
//
// Size classes 16, 32, ..., 2048. Every slab is one naturally aligned block
// of k_slab_bytes (16 KiB, order 2) from the backend, laid out as
//
//   [SlabHeader | in-use bitmap | requested size per object (u16) | canary |
//    pad | object 0 | object 1 | ... ]
//
// Objects start at a multiple of the class size from the (16 KiB aligned)
// block, so every object is aligned to its class size; an allocation with
// alignment A <= 2048 is served from a class >= max(size, A). The free set is
// the bitmap in the header, not a list threaded through the free objects: a
// write through a dangling pointer can never redirect the allocator, a double
// free is a clear bit (detected in every mode), and debug poison can cover
// the whole freed slot. The recorded requested size makes the statistics
// exact and tells the debug check where the redzone starts.
//
// Anything larger than 2048 bytes (after the debug redzone) or more aligned
// than 2048 is a "large" block of 2^order pages with the object at its base;
// in debug mode its last 16 bytes are a trailer holding the requested size.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/mm/heap/heap_backend.h"
#include "kernel/mm/heap/heap_common.h"

namespace akuma {

class SlabAllocator {
public:
    static constexpr unsigned k_class_count = 8;
    static constexpr size_t k_min_class = 16;
    static constexpr size_t k_max_class = 2048;
    static constexpr unsigned k_slab_order = 2;
    static constexpr size_t k_slab_bytes = k_heap_page_size << k_slab_order;

    struct SlabHeader {
        uint64_t magic; // k_slab_magic ^ address: a stale copy elsewhere fails
        SlabHeader* prev;
        SlabHeader* next;
        uint16_t class_index;
        uint16_t in_use;
        uint16_t hint; // lowest bitmap word that may have a clear bit
        uint8_t list; // which per-class list holds it (SlabList)
        uint8_t reserved;
    };

    struct ClassStats {
        size_t object_size = 0;
        size_t objects = 0; // live objects
        size_t bytes_in_use = 0; // sum of their requested sizes
        size_t slabs = 0; // slabs held, including the cached empty one
    };
    struct LargeStats {
        size_t allocations = 0;
        size_t pages = 0;
    };
    struct Stats {
        ClassStats classes[k_class_count];
        LargeStats large;
    };

    constexpr SlabAllocator() = default;
    SlabAllocator(const SlabAllocator&) = delete;
    SlabAllocator& operator=(const SlabAllocator&) = delete;

    void set_debug(const HeapDebug& debug) { m_debug = debug; }
    void set_backend(HeapBackend* backend) { m_backend = backend; }

    static size_t class_size(unsigned index) { return k_min_class << index; }
    static size_t objects_per_slab(unsigned index);

    // nullptr on failure or if alignment is not a power of two.
    void* allocate(size_t size, size_t alignment);

    // The functions below take the backend's answer for pointer's block
    // (kind Slab or Large); the heap asks once and dispatches.
    // Refuses (reports, returns false) anything that is not a live object.
    bool free(void* pointer, const BlockInfo& block);
    // In place when the new size still fits the slot/block sensibly, else
    // moved (alignment 16, like C realloc). nullptr on failure or refusal,
    // leaving the old object intact.
    void* reallocate(void* pointer, const BlockInfo& block, size_t new_size);
    // Requested size in debug mode, the whole slot/block otherwise; 0 if
    // pointer is not a live object.
    size_t usable_size(const void* pointer, const BlockInfo& block) const;

    // Returns the cached empty slabs to the backend (memory pressure,
    // shutdown, leak checks).
    void release_cached_slabs();

    Stats stats() const;

private:
    enum SlabList : uint8_t { Partial, Full, EmptyCache };

    struct ClassState {
        SlabHeader* partial = nullptr; // slabs with free and used objects
        SlabHeader* empty = nullptr; // at most one cached empty slab
        size_t slabs = 0;
        size_t objects = 0;
        size_t bytes_in_use = 0;
    };

    // A live object as found by locate().
    struct Object {
        uint8_t* address;
        SlabHeader* slab; // nullptr for a large block
        unsigned index; // slot index in the slab
        size_t slot_bytes; // class size, or the large block size
        size_t requested; // debug-mode large: from the trailer
    };

    bool locate(const void* pointer, const BlockInfo& block, bool report, Object& out) const;
    bool redzone_intact(const Object& object) const;
    void* allocate_small(unsigned class_index, size_t size);
    void* allocate_large(size_t size, size_t alignment);
    SlabHeader* new_slab(unsigned class_index);
    bool slab_ok(const SlabHeader* slab) const;
    void push_partial(ClassState& state, SlabHeader* slab);
    void remove_partial(ClassState& state, SlabHeader* slab);
    void release(const Object& object);
    void dress(uint8_t* object, size_t from, size_t requested, size_t redzone_end) const;
    size_t large_payload_bytes(size_t block_bytes) const;

    HeapDebug m_debug {};
    HeapBackend* m_backend = nullptr;
    ClassState m_classes[k_class_count] {};
    LargeStats m_large {};
};

} // namespace akuma
