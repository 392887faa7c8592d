#include "kernel/mm/heap/heap.h"

namespace akuma {

ErrorOr<void> Heap::init(std::span<uint8_t> early_arena, const HeapOptions& options) {
    if (m_mode != HeapMode::Uninitialized)
        return Error::Exists;
    m_options = options;
    m_debug = HeapDebug { options.debug, options.on_corruption };
    m_arena.set_debug(m_debug);
    m_slabs.set_debug(m_debug);
    TRY(m_arena.add_chunk(early_arena));
    m_mode = HeapMode::Early;
    return {};
}

void Heap::mark_pages_ready(HeapBackend& backend) {
    if (m_mode != HeapMode::Early)
        return;
    m_backend = &backend;
    m_slabs.set_backend(&backend);
    if (m_options.arena_only) {
        m_arena.set_chunk_source({ grow_arena, release_arena_chunk, this });
        m_mode = HeapMode::ArenaOnly;
    } else {
        m_mode = HeapMode::Page;
    }
}

std::span<uint8_t> Heap::grow_arena(void* context, size_t min_bytes) {
    auto* heap = static_cast<Heap*>(context);
    size_t bytes = k_heap_page_size << heap->m_options.arena_grow_order;
    unsigned order = page_order_for(min_bytes > bytes ? min_bytes : bytes);
    if (order > k_heap_max_order)
        return {};
    void* block = heap->m_backend->allocate_block(order, BlockKind::Arena);
    if (!block)
        return {};
    return { static_cast<uint8_t*>(block), k_heap_page_size << order };
}

void Heap::release_arena_chunk(void* context, std::span<uint8_t> chunk) {
    static_cast<Heap*>(context)->m_backend->free_block(chunk.data());
}

Heap::Location Heap::locate(const void* pointer) const {
    // The arena first: its chunks are few (the early one, plus the grown
    // ones in arena-only mode), and early pointers live there for ever.
    if (m_arena.owns(pointer))
        return { Owner::Arena, {} };
    if (m_backend) {
        auto block = m_backend->block_info(pointer);
        // An Arena block the arena does not own is a released chunk.
        if (block && block->kind != BlockKind::Arena)
            return { Owner::Backend, *block };
    }
    return { Owner::None, {} };
}

void* Heap::allocate(size_t size, size_t alignment) {
    switch (m_mode) {
    case HeapMode::Early:
    case HeapMode::ArenaOnly:
        return m_arena.allocate(size, alignment);
    case HeapMode::Page:
        return m_slabs.allocate(size, alignment);
    case HeapMode::Uninitialized:
        break;
    }
    return nullptr;
}

void* Heap::allocate_zeroed(size_t size, size_t alignment) {
    void* pointer = allocate(size, alignment);
    if (pointer)
        __builtin_memset(pointer, 0, size);
    return pointer;
}

void Heap::free(void* pointer) {
    if (!pointer)
        return;
    Location location = locate(pointer);
    switch (location.owner) {
    case Owner::Arena:
        m_arena.free(pointer);
        return;
    case Owner::Backend:
        m_slabs.free(pointer, location.block);
        return;
    case Owner::None:
        m_debug.report(HeapCorruptionKind::InvalidFree, pointer);
        return;
    }
}

void* Heap::reallocate(void* pointer, size_t new_size) {
    if (!pointer)
        return allocate(new_size, k_heap_default_alignment);
    Location location = locate(pointer);
    switch (location.owner) {
    case Owner::Arena: {
        if (m_mode != HeapMode::Page)
            return m_arena.reallocate(pointer, new_size);
        // An early-mode object after the switch moves to page mode.
        size_t keep = m_arena.usable_size(pointer);
        void* moved = m_slabs.allocate(new_size, k_heap_default_alignment);
        if (!moved)
            return nullptr;
        __builtin_memcpy(moved, pointer, keep < new_size ? keep : new_size);
        if (!m_arena.free(pointer)) {
            free(moved);
            return nullptr;
        }
        return moved;
    }
    case Owner::Backend:
        return m_slabs.reallocate(pointer, location.block, new_size);
    case Owner::None:
        break;
    }
    m_debug.report(HeapCorruptionKind::InvalidFree, pointer);
    return nullptr;
}

size_t Heap::usable_size(const void* pointer) const {
    Location location = locate(pointer);
    switch (location.owner) {
    case Owner::Arena:
        return m_arena.usable_size(pointer);
    case Owner::Backend:
        return m_slabs.usable_size(pointer, location.block);
    case Owner::None:
        break;
    }
    return 0;
}

void Heap::release_cached_memory() {
    if (m_backend)
        m_slabs.release_cached_slabs();
}

HeapStats Heap::stats() const {
    HeapStats stats {};
    SlabAllocator::Stats slabs = m_slabs.stats();
    for (unsigned i = 0; i < SlabAllocator::k_class_count; ++i) {
        stats.classes[i] = slabs.classes[i];
        stats.allocations += slabs.classes[i].objects;
        stats.bytes_in_use += slabs.classes[i].bytes_in_use;
    }
    stats.large = slabs.large;
    stats.arena = m_arena.stats();
    stats.allocations += stats.large.allocations + stats.arena.allocations;
    stats.bytes_in_use += stats.large.pages * k_heap_page_size + stats.arena.bytes_in_use;
    return stats;
}

} // namespace akuma
