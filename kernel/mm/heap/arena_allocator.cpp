#include "kernel/mm/heap/arena_allocator.h"

namespace akuma {

namespace {

// Block states: arbitrary values unlikely to appear in user data, so a
// pointer into the middle of an object is told apart from a block start.
constexpr uint32_t k_state_used = 0xA110C8ED;
constexpr uint32_t k_state_free = 0xF4EEB10C;
constexpr uint32_t k_state_sentinel = 0xE0DC4A2C;
constexpr uint64_t k_chunk_magic = 0x4B4E554843414E41ull; // "ANACHUNK"
constexpr size_t k_chunk_header_bytes = 48;
// Larger alignments are the slab allocator's (large blocks) business.
constexpr size_t k_max_alignment = size_t(1) << 20;

uintptr_t address_of(const void* pointer) {
    return reinterpret_cast<uintptr_t>(pointer);
}

unsigned bin_index(size_t block_size) {
    unsigned log2 = 63 - unsigned(__builtin_clzll(block_size));
    unsigned bin = log2 - 6; // block_size >= k_min_block = 64
    return bin < 48 ? bin : 47;
}

} // namespace

struct ArenaAllocator::Block {
    size_t size; // the whole block, header included; 0 for the sentinel
    size_t prev_size; // the block physically before this one; 0 if first
    size_t requested; // bytes asked for (used blocks)
    uint32_t state;
    uint32_t seal;
    Block* next_free;
    Block* prev_free;

    uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this); }
    uint8_t* payload() { return bytes() + k_header_bytes; }
    size_t capacity() const { return size - k_header_bytes; }
    Block* next() { return reinterpret_cast<Block*>(bytes() + size); }
    Block* prev() { return reinterpret_cast<Block*>(bytes() - prev_size); }

    uint32_t compute_seal() const {
        uint64_t hash = address_of(this) ^ 0x9E3779B97F4A7C15ull;
        auto mix = [&hash](uint64_t value) {
            hash = (hash ^ value) * 0x100000001B3ull;
            hash ^= hash >> 29;
        };
        mix(size);
        mix(prev_size);
        mix(requested);
        mix(state);
        mix(address_of(next_free));
        mix(address_of(prev_free));
        return uint32_t(hash ^ (hash >> 32));
    }
    void reseal() { seal = compute_seal(); }
};

struct ArenaAllocator::Chunk {
    uint64_t magic;
    Chunk* next;
    uint8_t* memory; // the span as given, for release
    size_t memory_bytes;
    Block* sentinel; // zero-sized "used" block ending the chunk
    bool releasable;

    Block* first() {
        return reinterpret_cast<Block*>(reinterpret_cast<uint8_t*>(this) + k_chunk_header_bytes);
    }
};

ErrorOr<void> ArenaAllocator::add_chunk(std::span<uint8_t> memory, bool releasable) {
    static_assert(sizeof(Block) == k_header_bytes);
    static_assert(sizeof(Chunk) <= k_chunk_header_bytes);
    uintptr_t begin = align_up(address_of(memory.data()), 16);
    uintptr_t end = (address_of(memory.data()) + memory.size()) & ~uintptr_t(15);
    if (memory.data() == nullptr || end < begin || end - begin < k_min_chunk)
        return Error::Invalid;
    for (Chunk* other = m_chunks; other; other = other->next) {
        uintptr_t other_begin = address_of(other->memory);
        if (begin < other_begin + other->memory_bytes && other_begin < end)
            return Error::Exists;
    }

    auto* chunk = reinterpret_cast<Chunk*>(begin);
    auto* sentinel = reinterpret_cast<Block*>(end - k_header_bytes);
    *chunk = Chunk { k_chunk_magic, m_chunks, memory.data(), memory.size(), sentinel, releasable };
    Block* first = chunk->first();
    first->size = address_of(sentinel) - address_of(first);
    first->prev_size = 0;
    *sentinel = Block { 0, first->size, 0, k_state_sentinel, 0, nullptr, nullptr };
    sentinel->reseal();
    if (m_debug.enabled)
        __builtin_memset(first->payload(), k_heap_free_poison, first->capacity());
    insert_free(first);

    m_chunks = chunk;
    m_stats.chunks++;
    m_stats.chunk_bytes += memory.size();
    return {};
}

bool ArenaAllocator::grow(size_t need, size_t alignment) {
    if (!m_source.grow)
        return false;
    // Room for the block, its worst alignment gap, and the chunk's own
    // header, sentinel and start alignment.
    size_t overhead = alignment + k_min_block + k_chunk_header_bytes + k_header_bytes + 16;
    if (need > SIZE_MAX - overhead)
        return false;
    std::span<uint8_t> memory = m_source.grow(m_source.context, need + overhead);
    if (memory.empty())
        return false;
    if (add_chunk(memory, true).is_error()) {
        if (m_source.release)
            m_source.release(m_source.context, memory);
        return false;
    }
    return true;
}

ArenaAllocator::Chunk* ArenaAllocator::find_chunk(const void* pointer) const {
    uintptr_t address = address_of(pointer);
    for (Chunk* chunk = m_chunks; chunk; chunk = chunk->next) {
        if (address >= address_of(chunk) && address < address_of(chunk->sentinel) + k_header_bytes)
            return chunk;
    }
    return nullptr;
}

bool ArenaAllocator::header_ok(const Block* block) const {
    return block->seal == block->compute_seal();
}

ArenaAllocator::Block* ArenaAllocator::checked_used_block(
    const void* pointer, Chunk** chunk_out, bool report) const {
    auto refuse = [&](HeapCorruptionKind kind) -> Block* {
        if (report)
            m_debug.report(kind, pointer);
        return nullptr;
    };
    Chunk* chunk = find_chunk(pointer);
    if (!chunk || chunk->magic != k_chunk_magic)
        return refuse(HeapCorruptionKind::InvalidFree);
    uintptr_t address = address_of(pointer);
    uintptr_t first = address_of(chunk->first());
    uintptr_t sentinel = address_of(chunk->sentinel);
    if ((address & 15) || address < first + k_header_bytes || address > sentinel)
        return refuse(HeapCorruptionKind::InvalidFree);

    auto* block = reinterpret_cast<Block*>(address - k_header_bytes);
    bool known_state = block->state == k_state_used || block->state == k_state_free;
    if (!header_ok(block))
        return refuse(known_state ? HeapCorruptionKind::HeaderCorrupt : HeapCorruptionKind::InvalidFree);
    if (block->state == k_state_free)
        return refuse(HeapCorruptionKind::DoubleFree);
    if (block->state != k_state_used)
        return refuse(HeapCorruptionKind::InvalidFree);

    // The neighbours must agree with this header, else it (or they) were
    // overwritten: never walk or merge through an inconsistent chain.
    uintptr_t start = address_of(block);
    bool size_ok = block->size >= k_min_block && (block->size & 15) == 0 && block->size <= sentinel - start;
    bool prev_ok = block->prev_size == 0 ? start == first
                                         : (block->prev_size & 15) == 0 && block->prev_size <= start - first
            && header_ok(block->prev()) && block->prev()->size == block->prev_size;
    if (!size_ok || !prev_ok || !header_ok(block->next()) || block->next()->prev_size != block->size)
        return refuse(HeapCorruptionKind::HeaderCorrupt);
    if (chunk_out)
        *chunk_out = chunk;
    return block;
}

bool ArenaAllocator::block_size_for(size_t size, size_t& out) const {
    size_t payload = size;
    if (m_debug.enabled && __builtin_add_overflow(payload, k_heap_min_redzone, &payload))
        return false;
    if (payload < 16)
        payload = 16;
    if (!align_up_checked(payload, 16, payload) || payload > SIZE_MAX - k_header_bytes)
        return false;
    out = payload + k_header_bytes;
    return true;
}

void ArenaAllocator::insert_free(Block* block) {
    unsigned bin = bin_index(block->size);
    Block* head = m_bins[bin];
    block->state = k_state_free;
    block->requested = 0;
    block->prev_free = nullptr;
    block->next_free = head;
    block->reseal();
    if (head) {
        head->prev_free = block;
        head->reseal();
    }
    m_bins[bin] = block;
    m_bin_mask |= uint64_t(1) << bin;
}

void ArenaAllocator::unlink_free(Block* block) {
    unsigned bin = bin_index(block->size);
    if (block->prev_free) {
        block->prev_free->next_free = block->next_free;
        block->prev_free->reseal();
    } else {
        m_bins[bin] = block->next_free;
    }
    if (block->next_free) {
        block->next_free->prev_free = block->prev_free;
        block->next_free->reseal();
    }
    if (!m_bins[bin])
        m_bin_mask &= ~(uint64_t(1) << bin);
    block->next_free = block->prev_free = nullptr;
    block->reseal();
}

ArenaAllocator::Block* ArenaAllocator::find_fit(size_t need, size_t alignment, size_t& gap) {
    uint64_t mask = m_bin_mask & (~uint64_t(0) << bin_index(need));
    while (mask) {
        unsigned bin = unsigned(__builtin_ctzll(mask));
        mask &= mask - 1;
        Block* previous = nullptr;
        for (Block* block = m_bins[bin]; block; previous = block, block = block->next_free) {
            if (!header_ok(block) || block->state != k_state_free) {
                // The rest of this list cannot be trusted: drop it (leaking
                // its blocks) rather than follow a wild pointer.
                m_debug.report(HeapCorruptionKind::HeaderCorrupt, block->payload());
                if (previous) {
                    previous->next_free = nullptr;
                    previous->reseal();
                } else {
                    m_bins[bin] = nullptr;
                    m_bin_mask &= ~(uint64_t(1) << bin);
                }
                break;
            }
            if (block->size < need)
                continue;
            uintptr_t start = address_of(block);
            size_t offset = align_up(start + k_header_bytes, alignment) - k_header_bytes - start;
            // A gap in front must be able to stand as a free block itself.
            while (offset != 0 && offset < k_min_block)
                offset += alignment;
            if (offset <= block->size && block->size - offset >= need) {
                gap = offset;
                return block;
            }
        }
    }
    return nullptr;
}

void ArenaAllocator::verify_free_poison(const uint8_t* from, const uint8_t* to, Block* object) const {
    if (!m_debug.enabled || from >= to)
        return;
    size_t count = size_t(to - from);
    size_t bad = find_mismatch(from, count, k_heap_free_poison);
    if (bad < count)
        m_debug.report(HeapCorruptionKind::WriteAfterFree, object->payload(), 0,
            (from + bad) - object->payload(), k_heap_free_poison, from[bad]);
}

ArenaAllocator::Block* ArenaAllocator::carve(Block* block, size_t gap, size_t need, size_t requested) {
    size_t total = block->size - gap;
    bool split = total - need >= k_min_block;
    size_t object_size = split ? need : total;
    auto* object = reinterpret_cast<Block*>(block->bytes() + gap);
    Block* after = block->next();
    // Every byte about to be handed out or overwritten by a new header was
    // poisoned when freed; a difference is a write through a stale pointer.
    verify_free_poison(gap ? object->bytes() : block->payload(),
        object->bytes() + object_size + (split ? k_header_bytes : 0), object);

    unlink_free(block);
    if (gap) {
        block->size = gap;
        insert_free(block);
        object->prev_size = gap;
    }
    object->size = object_size;
    object->requested = requested;
    object->state = k_state_used;
    object->next_free = object->prev_free = nullptr;
    object->reseal();
    if (split) {
        Block* rest = object->next();
        rest->size = total - need;
        rest->prev_size = object_size;
        insert_free(rest);
        after->prev_size = rest->size;
    } else {
        after->prev_size = object_size;
    }
    after->reseal();
    return object;
}

ArenaAllocator::Block* ArenaAllocator::coalesce_and_insert(Block* block, Chunk* chunk) {
    // A stale header left behind by a merge still says "free", so a second
    // free of it is reported as a double free (when not poisoned over).
    block->state = k_state_free;
    block->requested = 0;
    block->next_free = block->prev_free = nullptr;
    block->reseal();
    if (m_debug.enabled)
        __builtin_memset(block->payload(), k_heap_free_poison, block->capacity());

    Block* next = block->next();
    if (next->state == k_state_free && header_ok(next)) {
        unlink_free(next);
        block->size += next->size;
        block->reseal();
        if (m_debug.enabled)
            __builtin_memset(next, k_heap_free_poison, k_header_bytes);
    }
    if (block->prev_size) {
        Block* prev = block->prev();
        if (prev->state == k_state_free && header_ok(prev)) {
            unlink_free(prev);
            prev->size += block->size;
            prev->reseal();
            if (m_debug.enabled)
                __builtin_memset(block, k_heap_free_poison, k_header_bytes);
            block = prev;
        }
    }
    Block* after = block->next();
    after->prev_size = block->size;
    after->reseal();

    if (chunk->releasable && m_source.release && block->prev_size == 0 && after == chunk->sentinel) {
        Chunk** link = &m_chunks;
        while (*link != chunk)
            link = &(*link)->next;
        *link = chunk->next;
        m_stats.chunks--;
        m_stats.chunk_bytes -= chunk->memory_bytes;
        chunk->magic = 0;
        m_source.release(m_source.context, { chunk->memory, chunk->memory_bytes });
        return nullptr;
    }
    insert_free(block);
    return block;
}

void ArenaAllocator::split_tail(Block* block, size_t need, Chunk* chunk) {
    if (block->size - need < k_min_block)
        return;
    auto* rest = reinterpret_cast<Block*>(block->bytes() + need);
    rest->size = block->size - need;
    rest->prev_size = need;
    block->size = need;
    block->reseal();
    coalesce_and_insert(rest, chunk);
}

void ArenaAllocator::dress_object(Block* block, size_t from) {
    if (!m_debug.enabled)
        return;
    if (block->requested > from)
        __builtin_memset(block->payload() + from, k_heap_fresh_byte, block->requested - from);
    __builtin_memset(
        block->payload() + block->requested, k_heap_redzone_byte, block->capacity() - block->requested);
}

bool ArenaAllocator::redzone_intact(Block* block) const {
    if (!m_debug.enabled)
        return true;
    size_t count = block->capacity() - block->requested;
    size_t bad = find_mismatch(block->payload() + block->requested, count, k_heap_redzone_byte);
    if (bad == count)
        return true;
    m_debug.report(HeapCorruptionKind::RedzoneOverwrite, block->payload(), 0,
        ptrdiff_t(block->requested + bad), k_heap_redzone_byte, block->payload()[block->requested + bad]);
    return false;
}

void* ArenaAllocator::allocate(size_t size, size_t alignment) {
    if (!is_power_of_two(alignment) || alignment > k_max_alignment)
        return nullptr;
    if (alignment < 16)
        alignment = 16;
    size_t need;
    if (!block_size_for(size, need))
        return nullptr;
    size_t gap = 0;
    Block* block = find_fit(need, alignment, gap);
    if (!block && grow(need, alignment))
        block = find_fit(need, alignment, gap);
    if (!block)
        return nullptr;
    Block* object = carve(block, gap, need, size);
    m_stats.allocations++;
    m_stats.bytes_in_use += size;
    dress_object(object, 0);
    return object->payload();
}

bool ArenaAllocator::free(void* pointer) {
    Chunk* chunk = nullptr;
    Block* block = checked_used_block(pointer, &chunk, true);
    if (!block || !redzone_intact(block))
        return false;
    m_stats.allocations--;
    m_stats.bytes_in_use -= block->requested;
    coalesce_and_insert(block, chunk);
    return true;
}

void* ArenaAllocator::reallocate(void* pointer, size_t new_size) {
    Chunk* chunk = nullptr;
    Block* block = checked_used_block(pointer, &chunk, true);
    if (!block || !redzone_intact(block))
        return nullptr;
    size_t need;
    if (!block_size_for(new_size, need))
        return nullptr;

    if (need > block->size) {
        Block* next = block->next();
        size_t total = block->size + (next->state == k_state_free ? next->size : 0);
        if (next->state != k_state_free || !header_ok(next) || total < need) {
            void* moved = allocate(new_size, 16);
            if (!moved)
                return nullptr;
            size_t keep = m_debug.enabled ? block->requested : block->capacity();
            __builtin_memcpy(moved, pointer, keep < new_size ? keep : new_size);
            free(pointer);
            return moved;
        }
        bool split = total - need >= k_min_block;
        verify_free_poison(next->payload(), block->bytes() + (split ? need + k_header_bytes : total), block);
        unlink_free(next);
        block->size = total;
        block->reseal();
        block->next()->prev_size = total;
        block->next()->reseal();
    }
    split_tail(block, need, chunk);

    size_t old_requested = block->requested;
    block->requested = new_size;
    block->reseal();
    m_stats.bytes_in_use = m_stats.bytes_in_use - old_requested + new_size;
    dress_object(block, old_requested);
    return pointer;
}

size_t ArenaAllocator::usable_size(const void* pointer) const {
    Block* block = checked_used_block(pointer, nullptr, false);
    if (!block)
        return 0;
    return m_debug.enabled ? block->requested : block->capacity();
}

size_t ArenaAllocator::requested_size(const void* pointer) const {
    Block* block = checked_used_block(pointer, nullptr, false);
    return block ? block->requested : 0;
}

} // namespace akuma
