// The `fast` allocator: size classes carved from 64 KiB chunks that are
// aligned to their size, so free() finds a chunk's header by masking the
// pointer (O(1), no per-object header); requests above the largest class get
// a mapping of their own.
//
//   small chunk (64 KiB, 64 KiB-aligned)
//   +--------------------+-----------------------------------------------+
//   | header + bitmap    | slot | slot | slot | ...   (carved lazily)     |
//   +--------------------+-----------------------------------------------+
//   large mapping (64 KiB-aligned start; header in its first 64 bytes)
//   +--------+--------------------------------------+
//   | header | user block ...                       |
//   +--------+--------------------------------------+
//
// Slots are carved with a bump index before the free list is used, so pages
// of a chunk that never held an object are never touched (stay unbacked).
// The in-use bitmap makes double and invalid frees loud instead of silently
// corrupting the free list. Not thread-safe: the caller serialises.
#pragma once

#include <cstring>

#include "akuma/alloc/common.h"

namespace akuma::user {

// 16-byte steps up to 128, then four classes per power of two up to 8 KiB:
// at most 25% internal waste above 128 bytes.
struct SizeClasses {
    static constexpr unsigned k_count = 32;
    static constexpr size_t k_max_size = 8192;

    static constexpr size_t size_of(unsigned index) {
        if (index < 8)
            return 16 * (index + 1);
        unsigned group = (index - 8) / 4;
        unsigned step = (index - 8) % 4;
        return (size_t(128) << group) + (step + 1) * (size_t(32) << group);
    }

    // The smallest class holding `size` bytes; size <= k_max_size.
    static constexpr unsigned index_for(size_t size) {
        if (size <= 128)
            return size == 0 ? 0 : static_cast<unsigned>((size + 15) / 16 - 1);
        size_t last = size - 1;
        unsigned log = 63 - static_cast<unsigned>(__builtin_clzll(last)); // >= 7
        size_t step = size_t(1) << (log - 2);
        return 8 + (log - 7) * 4 + static_cast<unsigned>((last - (size_t(1) << log)) / step);
    }
};

template <typename PageSource>
class FastAllocator {
public:
    static constexpr const char* k_name = "fast";
    static constexpr size_t k_chunk_size = 64 * 1024;
    static constexpr size_t k_max_small = SizeClasses::k_max_size;

    constexpr FastAllocator() = default;
    explicit FastAllocator(const PageSource& source) : m_source(source) {}

    PageSource& source() { return m_source; }
    // Mappings currently held: chunks (including spares) and large blocks.
    size_t chunk_count() const { return m_chunk_count; }
    size_t large_count() const { return m_large_count; }

    // alignment: a power of two >= k_min_alignment.
    void* allocate(size_t size, size_t alignment) {
        if (alignment <= k_min_alignment) {
            if (size <= k_max_small)
                return allocate_small(SizeClasses::index_for(size));
            return allocate_large(size, k_min_alignment);
        }
        // An aligned request takes a slot big enough to contain an aligned
        // address with `size` bytes after it; free() snaps back to the slot.
        size_t slot_size;
        if (!add_overflows(size ? size : 1, alignment - k_min_alignment, &slot_size) && slot_size <= k_max_small) {
            void* slot = allocate_small(SizeClasses::index_for(slot_size));
            return slot ? to_pointer(align_up(to_address(slot), alignment)) : nullptr;
        }
        return allocate_large(size, alignment);
    }

    void* allocate_zeroed(size_t size) {
        void* pointer = allocate(size, k_min_alignment);
        // Large blocks are fresh anonymous mappings, already zero.
        if (pointer && size <= k_max_small)
            std::memset(pointer, 0, size);
        return pointer;
    }

    void deallocate(void* pointer) {
        Chunk* chunk = chunk_of(pointer);
        if (chunk->magic == k_large_magic)
            return release_large(chunk, pointer);
        ClassState& state = m_classes[chunk->class_index];
        uint32_t index = slot_index(chunk, pointer, "free(): invalid pointer");
        uint64_t bit = uint64_t(1) << (index % 64);
        if (!(chunk->in_use[index / 64] & bit))
            m_source.fatal("free(): double free", pointer);
        chunk->in_use[index / 64] &= ~bit;
        auto* slot = static_cast<FreeSlot*>(slot_address(chunk, index));
        slot->next = chunk->free_list;
        chunk->free_list = slot;
        bool was_full = chunk->used == chunk->capacity;
        chunk->used--;
        if (chunk->used == 0) {
            if (!was_full)
                unlink_partial(state, chunk);
            retire_empty(state, chunk);
        } else if (was_full) {
            push_partial(state, chunk);
        }
    }

    // pointer non-null, size > 0.
    void* reallocate(void* pointer, size_t size) {
        Chunk* chunk = chunk_of(pointer);
        size_t usable = usable_size(pointer);
        if (chunk->magic == k_small_magic) {
            // Stay in place while the request still belongs to this class.
            unsigned index = chunk->class_index;
            if (size <= usable && (index == 0 || size > SizeClasses::size_of(index - 1)))
                return pointer;
        } else if (size <= usable && size > k_max_small) {
            // Shrink a large block in place by returning whole tail pages.
            size_t keep = align_up(chunk->user_offset + size, k_page_size);
            if (keep < chunk->map_bytes) {
                m_source.unmap(to_pointer(to_address(chunk) + keep), chunk->map_bytes - keep);
                chunk->map_bytes = keep;
            }
            return pointer;
        }
        void* moved = allocate(size, k_min_alignment);
        if (!moved)
            return nullptr;
        std::memcpy(moved, pointer, usable < size ? usable : size);
        deallocate(pointer);
        return moved;
    }

    // For the per-thread cache (thread_cache.h), read without the lock:
    // the class of `pointer` if it is the exact start of a slot of a class
    // below `class_limit` that is in use; -1 otherwise (a large block, an
    // interior pointer, or misuse, which the locked path reports). Only the
    // slot's own in-use bit decides, and only its owner changes it.
    [[gnu::always_inline]] int cached_class_of(const void* pointer, unsigned class_limit) const {
        uintptr_t address = to_address(pointer);
        uintptr_t in_chunk = address & (k_chunk_size - 1);
        // The chunk's header, bitmap included, is never a slot.
        if (in_chunk < k_data_offset)
            return -1;
        auto* chunk = reinterpret_cast<const Chunk*>(address - in_chunk);
        if (chunk->magic != k_small_magic || chunk->class_index >= class_limit)
            return -1;
        // index < k_bitmap_words * 64 (static_assert below). No need to
        // compare with `carved`: only carved slots ever have their bit set.
        uintptr_t offset = in_chunk - k_data_offset;
        uintptr_t index = offset / chunk->slot_size;
        if (index * chunk->slot_size != offset)
            return -1;
        uint64_t word = __atomic_load_n(&chunk->in_use[index / 64], __ATOMIC_RELAXED);
        if (!(word & (uint64_t(1) << (index % 64))))
            return -1;
        return static_cast<int>(chunk->class_index);
    }

    // One slot of class `class_index`: the cache's refill.
    void* allocate_in_class(unsigned class_index) { return allocate_small(class_index); }

    size_t usable_size(const void* pointer) {
        Chunk* chunk = chunk_of(pointer);
        if (chunk->magic == k_large_magic)
            return chunk->map_bytes - chunk->user_offset;
        uint32_t index = slot_index(chunk, pointer, "malloc_usable_size(): invalid pointer");
        return to_address(slot_address(chunk, index)) + chunk->slot_size - to_address(pointer);
    }

private:
    static constexpr uint32_t k_small_magic = 0x534c4142; // "SLAB"
    static constexpr uint32_t k_large_magic = 0x4c415247; // "LARG"
    static constexpr size_t k_bitmap_words = 64;          // 4096 slots >= capacity of the 16-byte class

    struct FreeSlot {
        FreeSlot* next;
    };

    struct Chunk {
        uint32_t magic;
        uint32_t class_index;
        uint32_t slot_size;
        uint32_t capacity;
        uint32_t used;
        uint32_t carved; // slots ever handed out by the bump index
        FreeSlot* free_list;
        Chunk* next; // the class's list of chunks with a free slot
        Chunk* prev;
        size_t map_bytes;   // large: the whole mapping
        size_t user_offset; // large: user pointer - header
        uint64_t in_use[k_bitmap_words]; // small only
    };

    struct ClassState {
        Chunk* partial = nullptr;
        Chunk* spare = nullptr; // one empty chunk kept to absorb alloc/free churn
    };

    static constexpr size_t k_large_header = offsetof(Chunk, in_use);
    static constexpr size_t k_data_offset = align_up(sizeof(Chunk), k_min_alignment);
    static_assert(k_large_header == 64);
    static_assert((k_chunk_size - k_data_offset) / 16 <= k_bitmap_words * 64);

    // A large block aligned to >= k_chunk_size starts on a chunk boundary, so
    // its header sits one chunk below; no slot ever starts on a boundary.
    Chunk* chunk_of(const void* pointer) {
        uintptr_t address = to_address(pointer);
        uintptr_t base = address & ~(k_chunk_size - 1);
        if (base == address)
            base -= k_chunk_size;
        auto* chunk = reinterpret_cast<Chunk*>(base);
        if (chunk->magic != k_small_magic && chunk->magic != k_large_magic)
            m_source.fatal("free(): pointer not from the fast allocator", pointer);
        return chunk;
    }

    static void* slot_address(Chunk* chunk, uint32_t index) {
        return to_pointer(to_address(chunk) + k_data_offset + size_t(index) * chunk->slot_size);
    }

    // Slot holding `pointer` (an aligned pointer may lie inside its slot).
    uint32_t slot_index(Chunk* chunk, const void* pointer, const char* what) {
        uintptr_t data = to_address(chunk) + k_data_offset;
        uintptr_t address = to_address(pointer);
        if (address < data || (address - data) / chunk->slot_size >= chunk->carved)
            m_source.fatal(what, pointer);
        return static_cast<uint32_t>((address - data) / chunk->slot_size);
    }

    void* allocate_small(unsigned class_index) {
        ClassState& state = m_classes[class_index];
        Chunk* chunk = state.partial;
        if (!chunk) {
            if (state.spare) {
                chunk = state.spare;
                state.spare = nullptr;
            } else {
                chunk = new_chunk(class_index);
                if (!chunk)
                    return nullptr;
            }
            push_partial(state, chunk);
        }
        uint32_t index;
        if (FreeSlot* slot = chunk->free_list) {
            index = slot_index(chunk, slot, "malloc(): corrupted free list (write after free?)");
            if (slot != slot_address(chunk, index) || (chunk->in_use[index / 64] & (uint64_t(1) << (index % 64))))
                m_source.fatal("malloc(): corrupted free list (write after free?)", slot);
            chunk->free_list = slot->next;
        } else {
            index = chunk->carved++;
        }
        chunk->in_use[index / 64] |= uint64_t(1) << (index % 64);
        if (++chunk->used == chunk->capacity)
            unlink_partial(state, chunk);
        return slot_address(chunk, index);
    }

    Chunk* new_chunk(unsigned class_index) {
        uintptr_t base = map_with_aligned_point(m_source, k_chunk_size, k_chunk_size, 0);
        if (!base)
            return nullptr;
        auto* chunk = reinterpret_cast<Chunk*>(base); // fresh mapping: counters and bitmap are zero
        chunk->magic = k_small_magic;
        chunk->class_index = class_index;
        chunk->slot_size = static_cast<uint32_t>(SizeClasses::size_of(class_index));
        chunk->capacity = static_cast<uint32_t>((k_chunk_size - k_data_offset) / chunk->slot_size);
        m_chunk_count++;
        return chunk;
    }

    void retire_empty(ClassState& state, Chunk* chunk) {
        if (!state.spare) {
            state.spare = chunk; // keeps its free list: a later double free is still recognised
            return;
        }
        chunk->magic = 0;
        m_source.unmap(chunk, k_chunk_size);
        m_chunk_count--;
    }

    void push_partial(ClassState& state, Chunk* chunk) {
        chunk->prev = nullptr;
        chunk->next = state.partial;
        if (state.partial)
            state.partial->prev = chunk;
        state.partial = chunk;
    }

    void unlink_partial(ClassState& state, Chunk* chunk) {
        if (chunk->prev)
            chunk->prev->next = chunk->next;
        else
            state.partial = chunk->next;
        if (chunk->next)
            chunk->next->prev = chunk->prev;
        chunk->next = chunk->prev = nullptr;
    }

    void* allocate_large(size_t size, size_t alignment) {
        bool chunk_aligned = alignment >= k_chunk_size;
        size_t offset = chunk_aligned ? k_chunk_size : align_up(k_large_header, alignment);
        size_t bytes;
        if (add_overflows(offset, size, &bytes) || add_overflows(bytes, k_page_size - 1, &bytes))
            return nullptr;
        bytes = align_down(bytes, k_page_size);
        uintptr_t base = chunk_aligned ? map_with_aligned_point(m_source, bytes, alignment, k_chunk_size)
                                       : map_with_aligned_point(m_source, bytes, k_chunk_size, 0);
        if (!base)
            return nullptr;
        auto* chunk = reinterpret_cast<Chunk*>(base);
        chunk->magic = k_large_magic;
        chunk->map_bytes = bytes;
        chunk->user_offset = offset;
        m_large_count++;
        return to_pointer(base + offset);
    }

    void release_large(Chunk* chunk, void* pointer) {
        if (to_address(pointer) != to_address(chunk) + chunk->user_offset)
            m_source.fatal("free(): invalid pointer (inside a large block)", pointer);
        chunk->magic = 0;
        m_source.unmap(chunk, chunk->map_bytes);
        m_large_count--;
    }

    PageSource m_source {};
    ClassState m_classes[SizeClasses::k_count] {};
    size_t m_chunk_count = 0;
    size_t m_large_count = 0;
};

} // namespace akuma::user
