// The kernel heap as the rest of the kernel sees it: kmalloc/kfree and an
// allocator policy for containers, over the single Heap instance
// (kernel/mm/heap/heap.h). IRQ-safe: every call holds an IRQ-masking lock.
//
// Boot sequence (kernel/main.cpp), as in the original Akuma:
//   heap_init_early()   -> "Allocator initialized (early mode)"
//   pmm_init()
//   heap_mark_pmm_ready() -> "PMM initialized, allocator switched to page mode"
#pragma once

#include <cstddef>

#include "kernel/mm/heap/heap.h"

namespace akuma::mm {

struct HeapConfig {
    bool debug;       // redzones, poisoning, reports (test builds default on)
    bool arena_only;  // never switch to slabs (the original's USE_PAGE_ALLOCATOR = false)
};

void heap_init_early(const HeapConfig& config);
void heap_mark_pmm_ready();

// nullptr when out of memory: the caller handles it. Never panics.
void* kmalloc(size_t size, size_t alignment = k_heap_default_alignment);
void* kzalloc(size_t size, size_t alignment = k_heap_default_alignment);
void* krealloc(void* pointer, size_t new_size);
void kfree(void* pointer);
size_t kmalloc_usable_size(const void* pointer);

HeapStats heap_stats();
HeapMode heap_mode();
bool heap_debug_enabled();
// Returns cached empty slabs to the PMM (leak checks measure after this).
void heap_release_cached_memory();

// Where the early arena lives, for the boot memory table.
struct EarlyArenaInfo {
    const void* base;
    size_t size;
};
EarlyArenaInfo heap_early_arena();

// Allocator policy (kernel/lib/allocator.h) for Vector, String, OwnPtr.
struct HeapAllocator {
    static void* allocate(size_t size, size_t alignment) { return kmalloc(size, alignment); }
    static void deallocate(void* pointer, size_t, size_t) { kfree(pointer); }
};

}  // namespace akuma::mm
