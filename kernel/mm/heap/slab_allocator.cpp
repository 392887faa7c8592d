#include "kernel/mm/heap/slab_allocator.h"

namespace akuma {

namespace {

constexpr uint64_t k_slab_magic = 0x42414C53414D554Bull; // "KUMASLAB"
constexpr uint64_t k_canary_magic = 0x5952414E41434C53ull; // "SLCANARY"
constexpr uint64_t k_large_magic = 0x454752414C414B55ull; // "UKALARGE"
constexpr size_t k_large_trailer_bytes = 16;

using SlabHeader = SlabAllocator::SlabHeader;

// Where the parts of a slab of one class live (byte offsets from the block).
struct ClassLayout {
    uint32_t object_size;
    uint32_t capacity;
    uint32_t bitmap_words;
    uint32_t sizes_offset;
    uint32_t canary_offset;
    uint32_t first_offset;
};

constexpr ClassLayout make_layout(uint32_t object_size) {
    for (uint32_t capacity = SlabAllocator::k_slab_bytes / object_size; capacity > 0; --capacity) {
        uint32_t words = (capacity + 63) / 64;
        uint32_t sizes_offset = uint32_t(sizeof(SlabHeader)) + 8 * words;
        uint32_t canary_offset = uint32_t(align_up(sizes_offset + 2 * capacity, 8));
        uint32_t first_offset = uint32_t(align_up(canary_offset + 8, object_size));
        if (first_offset + capacity * object_size <= SlabAllocator::k_slab_bytes)
            return { object_size, capacity, words, sizes_offset, canary_offset, first_offset };
    }
    return {};
}

constexpr ClassLayout k_layouts[SlabAllocator::k_class_count] = {
    make_layout(16),
    make_layout(32),
    make_layout(64),
    make_layout(128),
    make_layout(256),
    make_layout(512),
    make_layout(1024),
    make_layout(2048),
};
static_assert(k_layouts[0].capacity > 0 && k_layouts[0].capacity <= 0xFFFF);
static_assert(k_layouts[SlabAllocator::k_class_count - 1].capacity >= 2);

uint8_t* bytes_of(const SlabHeader* slab) {
    return reinterpret_cast<uint8_t*>(const_cast<SlabHeader*>(slab));
}
uint64_t* bitmap_of(const SlabHeader* slab) {
    return reinterpret_cast<uint64_t*>(bytes_of(slab) + sizeof(SlabHeader));
}
uint16_t* sizes_of(const SlabHeader* slab) {
    return reinterpret_cast<uint16_t*>(bytes_of(slab) + k_layouts[slab->class_index].sizes_offset);
}
uint64_t& canary_of(const SlabHeader* slab) {
    return *reinterpret_cast<uint64_t*>(bytes_of(slab) + k_layouts[slab->class_index].canary_offset);
}
uint64_t address_key(const void* pointer) {
    return reinterpret_cast<uintptr_t>(pointer);
}

unsigned class_index_for(size_t bytes) {
    if (bytes <= SlabAllocator::k_min_class)
        return 0;
    return unsigned(64 - __builtin_clzll(bytes - 1)) - 4; // ceil(log2) - log2(16)
}

} // namespace

size_t SlabAllocator::objects_per_slab(unsigned index) {
    return k_layouts[index].capacity;
}

bool SlabAllocator::slab_ok(const SlabHeader* slab) const {
    return slab->magic == (k_slab_magic ^ address_key(slab)) && slab->class_index < k_class_count
        && slab->in_use <= k_layouts[slab->class_index].capacity
        && canary_of(slab) == (k_canary_magic ^ address_key(slab));
}

SlabHeader* SlabAllocator::new_slab(unsigned class_index) {
    if (!m_backend)
        return nullptr;
    auto* slab = static_cast<SlabHeader*>(m_backend->allocate_block(k_slab_order, BlockKind::Slab));
    if (!slab)
        return nullptr;
    const ClassLayout& layout = k_layouts[class_index];
    *slab = SlabHeader { k_slab_magic ^ address_key(slab), nullptr, nullptr, uint16_t(class_index), 0, 0,
        Partial, 0 };
    uint64_t* bitmap = bitmap_of(slab);
    __builtin_memset(bitmap, 0, 8 * layout.bitmap_words);
    // Bits past the capacity read as "in use" so the search never finds them.
    if (layout.capacity % 64)
        bitmap[layout.bitmap_words - 1] = ~uint64_t(0) << (layout.capacity % 64);
    __builtin_memset(sizes_of(slab), 0, 2 * layout.capacity);
    canary_of(slab) = k_canary_magic ^ address_key(slab);
    if (m_debug.enabled)
        __builtin_memset(
            bytes_of(slab) + layout.first_offset, k_heap_free_poison, k_slab_bytes - layout.first_offset);
    return slab;
}

void SlabAllocator::push_partial(ClassState& state, SlabHeader* slab) {
    slab->list = Partial;
    slab->prev = nullptr;
    slab->next = state.partial;
    if (state.partial)
        state.partial->prev = slab;
    state.partial = slab;
}

void SlabAllocator::remove_partial(ClassState& state, SlabHeader* slab) {
    if (slab->prev)
        slab->prev->next = slab->next;
    else
        state.partial = slab->next;
    if (slab->next)
        slab->next->prev = slab->prev;
    slab->prev = slab->next = nullptr;
}

void SlabAllocator::dress(uint8_t* object, size_t from, size_t requested, size_t redzone_end) const {
    if (!m_debug.enabled)
        return;
    if (requested > from)
        __builtin_memset(object + from, k_heap_fresh_byte, requested - from);
    __builtin_memset(object + requested, k_heap_redzone_byte, redzone_end - requested);
}

void* SlabAllocator::allocate(size_t size, size_t alignment) {
    if (!is_power_of_two(alignment))
        return nullptr;
    size_t need = size;
    if (m_debug.enabled && __builtin_add_overflow(size, k_heap_min_redzone, &need))
        return nullptr;
    if (need <= k_max_class && alignment <= k_max_class)
        return allocate_small(class_index_for(need > alignment ? need : alignment), size);
    return allocate_large(size, alignment);
}

void* SlabAllocator::allocate_small(unsigned class_index, size_t size) {
    ClassState& state = m_classes[class_index];
    const ClassLayout& layout = k_layouts[class_index];
    for (;;) {
        SlabHeader* slab = state.partial;
        if (slab && !slab_ok(slab)) {
            // Never carve objects out of a slab whose header was overwritten.
            m_debug.report(HeapCorruptionKind::HeaderCorrupt, slab, layout.object_size);
            state.partial = nullptr;
            continue;
        }
        if (!slab) {
            if (state.empty) {
                slab = state.empty;
                state.empty = nullptr;
            } else {
                slab = new_slab(class_index);
                if (!slab)
                    return nullptr;
                state.slabs++;
            }
            push_partial(state, slab);
        }

        uint64_t* bitmap = bitmap_of(slab);
        unsigned word = slab->hint;
        while (word < layout.bitmap_words && bitmap[word] == ~uint64_t(0))
            ++word;
        if (word == layout.bitmap_words) {
            // A partial slab with no clear bit: the bitmap and the count
            // disagree, so the header cannot be trusted; retire the slab.
            m_debug.report(HeapCorruptionKind::HeaderCorrupt, slab, layout.object_size);
            remove_partial(state, slab);
            slab->list = Full;
            continue;
        }
        unsigned index = word * 64 + unsigned(__builtin_ctzll(~bitmap[word]));
        bitmap[word] |= uint64_t(1) << (index % 64);
        slab->hint = uint16_t(word);
        slab->in_use++;
        sizes_of(slab)[index] = uint16_t(size);
        if (slab->in_use == layout.capacity) {
            remove_partial(state, slab);
            slab->list = Full;
        }
        state.objects++;
        state.bytes_in_use += size;

        uint8_t* object = bytes_of(slab) + layout.first_offset + size_t(index) * layout.object_size;
        if (m_debug.enabled) {
            size_t bad = find_mismatch(object, layout.object_size, k_heap_free_poison);
            if (bad < layout.object_size)
                m_debug.report(HeapCorruptionKind::WriteAfterFree, object, layout.object_size, ptrdiff_t(bad),
                    k_heap_free_poison, object[bad]);
            dress(object, 0, size, layout.object_size);
        }
        return object;
    }
}

size_t SlabAllocator::large_payload_bytes(size_t block_bytes) const {
    return m_debug.enabled ? block_bytes - k_large_trailer_bytes : block_bytes;
}

void* SlabAllocator::allocate_large(size_t size, size_t alignment) {
    size_t bytes = size;
    if (m_debug.enabled && __builtin_add_overflow(size, k_heap_min_redzone + k_large_trailer_bytes, &bytes))
        return nullptr;
    if (bytes < alignment)
        bytes = alignment; // blocks are aligned to their own size
    unsigned order = page_order_for(bytes);
    if (order > k_heap_max_order || !m_backend)
        return nullptr;
    auto* block = static_cast<uint8_t*>(m_backend->allocate_block(order, BlockKind::Large));
    if (!block)
        return nullptr;
    size_t block_bytes = k_heap_page_size << order;
    if (m_debug.enabled) {
        uint64_t trailer[2] = { size, size ^ k_large_magic ^ address_key(block) };
        __builtin_memcpy(block + block_bytes - k_large_trailer_bytes, trailer, sizeof(trailer));
        dress(block, 0, size, large_payload_bytes(block_bytes));
    }
    m_large.allocations++;
    m_large.pages += size_t(1) << order;
    return block;
}

bool SlabAllocator::locate(const void* pointer, const BlockInfo& block, bool report, Object& out) const {
    auto refuse = [&](HeapCorruptionKind kind, size_t size_class, ptrdiff_t offset = 0) {
        if (report)
            m_debug.report(kind, pointer, size_class, offset);
        return false;
    };
    auto* address = static_cast<uint8_t*>(const_cast<void*>(pointer));
    if (block.kind == BlockKind::Large) {
        if (pointer != block.base)
            return refuse(HeapCorruptionKind::InvalidFree, 0);
        size_t block_bytes = k_heap_page_size << block.order;
        size_t requested = block_bytes;
        if (m_debug.enabled) {
            uint64_t trailer[2];
            __builtin_memcpy(trailer, address + block_bytes - k_large_trailer_bytes, sizeof(trailer));
            requested = trailer[0];
            if (trailer[1] != (trailer[0] ^ k_large_magic ^ address_key(address))
                || requested > block_bytes - k_large_trailer_bytes)
                return refuse(
                    HeapCorruptionKind::HeaderCorrupt, 0, ptrdiff_t(block_bytes - k_large_trailer_bytes));
        }
        out = Object { address, nullptr, 0, block_bytes, requested };
        return true;
    }
    if (block.kind != BlockKind::Slab)
        return refuse(HeapCorruptionKind::InvalidFree, 0);

    auto* slab = static_cast<SlabHeader*>(block.base);
    if (block.order != k_slab_order || !slab_ok(slab))
        return refuse(HeapCorruptionKind::HeaderCorrupt, 0);
    const ClassLayout& layout = k_layouts[slab->class_index];
    size_t offset = size_t(address - bytes_of(slab));
    // first_offset is a multiple of the class size, so a slot start is too.
    if (offset < layout.first_offset || offset % layout.object_size)
        return refuse(HeapCorruptionKind::InvalidFree, layout.object_size);
    unsigned index = unsigned((offset - layout.first_offset) / layout.object_size);
    if (index >= layout.capacity)
        return refuse(HeapCorruptionKind::InvalidFree, layout.object_size);
    if (!(bitmap_of(slab)[index / 64] & (uint64_t(1) << (index % 64))))
        return refuse(HeapCorruptionKind::DoubleFree, layout.object_size);
    out = Object { address, slab, index, layout.object_size, sizes_of(slab)[index] };
    return true;
}

bool SlabAllocator::redzone_intact(const Object& object) const {
    if (!m_debug.enabled)
        return true;
    size_t end = object.slab ? object.slot_bytes : large_payload_bytes(object.slot_bytes);
    size_t count = end - object.requested;
    size_t bad = find_mismatch(object.address + object.requested, count, k_heap_redzone_byte);
    if (bad == count)
        return true;
    m_debug.report(HeapCorruptionKind::RedzoneOverwrite, object.address, object.slab ? object.slot_bytes : 0,
        ptrdiff_t(object.requested + bad), k_heap_redzone_byte, object.address[object.requested + bad]);
    return false;
}

void SlabAllocator::release(const Object& object) {
    if (!object.slab) {
        unsigned order = page_order_for(object.slot_bytes);
        m_large.allocations--;
        m_large.pages -= size_t(1) << order;
        m_backend->free_block(object.address);
        return;
    }
    SlabHeader* slab = object.slab;
    ClassState& state = m_classes[slab->class_index];
    unsigned word = object.index / 64;
    bitmap_of(slab)[word] &= ~(uint64_t(1) << (object.index % 64));
    if (word < slab->hint)
        slab->hint = uint16_t(word);
    sizes_of(slab)[object.index] = 0;
    slab->in_use--;
    state.objects--;
    state.bytes_in_use -= object.requested;
    if (m_debug.enabled)
        __builtin_memset(object.address, k_heap_free_poison, object.slot_bytes);

    if (slab->list == Full)
        push_partial(state, slab);
    if (slab->in_use == 0) {
        remove_partial(state, slab);
        if (!state.empty) {
            slab->list = EmptyCache;
            state.empty = slab;
        } else {
            state.slabs--;
            slab->magic = 0; // a stale pointer into it must not pass as a slab
            m_backend->free_block(slab);
        }
    }
}

bool SlabAllocator::free(void* pointer, const BlockInfo& block) {
    Object object;
    if (!locate(pointer, block, true, object) || !redzone_intact(object))
        return false;
    release(object);
    return true;
}

void* SlabAllocator::reallocate(void* pointer, const BlockInfo& block, size_t new_size) {
    Object object;
    if (!locate(pointer, block, true, object) || !redzone_intact(object))
        return nullptr;
    size_t need = new_size;
    if (m_debug.enabled && __builtin_add_overflow(new_size, k_heap_min_redzone, &need))
        return nullptr;

    bool in_place;
    size_t redzone_end;
    if (object.slab) {
        unsigned index = object.slab->class_index;
        // Stay unless it no longer fits or would fit two classes lower.
        in_place = need <= object.slot_bytes && class_index_for(need) + 1 >= index;
        redzone_end = object.slot_bytes;
    } else {
        size_t bytes = m_debug.enabled ? need + k_large_trailer_bytes : need;
        unsigned order = page_order_for(object.slot_bytes);
        unsigned new_order = page_order_for(bytes);
        // Shrinking by one order is not worth a copy; smaller than a slab
        // class is (large blocks are whole pages).
        in_place = bytes > k_max_class && (new_order == order || new_order + 1 == order);
        redzone_end = large_payload_bytes(object.slot_bytes);
    }

    if (!in_place) {
        void* moved = allocate(new_size, k_heap_default_alignment);
        if (!moved)
            return nullptr;
        size_t keep = m_debug.enabled ? object.requested : object.slot_bytes;
        __builtin_memcpy(moved, pointer, keep < new_size ? keep : new_size);
        release(object);
        return moved;
    }

    if (object.slab) {
        ClassState& state = m_classes[object.slab->class_index];
        sizes_of(object.slab)[object.index] = uint16_t(new_size);
        state.bytes_in_use = state.bytes_in_use - object.requested + new_size;
    } else if (m_debug.enabled) {
        uint64_t trailer[2] = { new_size, new_size ^ k_large_magic ^ address_key(object.address) };
        __builtin_memcpy(
            object.address + object.slot_bytes - k_large_trailer_bytes, trailer, sizeof(trailer));
    }
    dress(object.address, object.requested, new_size, redzone_end);
    return pointer;
}

size_t SlabAllocator::usable_size(const void* pointer, const BlockInfo& block) const {
    Object object;
    if (!locate(pointer, block, false, object))
        return 0;
    if (m_debug.enabled)
        return object.requested;
    return object.slot_bytes;
}

void SlabAllocator::release_cached_slabs() {
    for (ClassState& state : m_classes) {
        if (state.empty) {
            state.empty->magic = 0;
            m_backend->free_block(state.empty);
            state.empty = nullptr;
            state.slabs--;
        }
    }
}

SlabAllocator::Stats SlabAllocator::stats() const {
    Stats stats {};
    for (unsigned i = 0; i < k_class_count; ++i) {
        stats.classes[i] = ClassStats { class_size(i), m_classes[i].objects, m_classes[i].bytes_in_use,
            m_classes[i].slabs };
    }
    stats.large = m_large;
    return stats;
}

} // namespace akuma
