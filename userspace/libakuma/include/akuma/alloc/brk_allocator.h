// The `brk` allocator: boundary-tagged blocks on the program break, the
// configuration that corrupted in the original Akuma (its state lives in
// BSS right before the heap), here made correct and loud.
//
//   block:  | size|flags (8) | prev_size (8) | payload ... |
//
// - size is the whole block (header included), a multiple of 16, >= 32;
//   flags: k_in_use, k_prev_in_use;
// - prev_size is the previous block's size, valid only while that block is
//   free (it is the free block's footer, kept in the next block's header);
// - free blocks keep list links in their payload and live in bins: exact
//   bins of 16-byte steps up to 1 KiB, then one bin per power of two;
// - two free blocks are never adjacent (freeing coalesces both ways), and a
//   free block never touches the wilderness: it merges into it;
// - the wilderness [top, end) is carved bump-style and grown with brk in
//   64 KiB steps; 16 bytes stay reserved at its end for a fence;
// - the start is wherever the break is at the first call (static glibc has
//   already taken its TLS block from brk by then), so nothing is assumed
//   about the initial break's alignment;
// - if someone else moved the break since our last call (sbrk in the
//   program), the current segment is closed with a fence block and a new
//   one starts at the new break: blocks never straddle foreign memory;
// - more than 256 KiB of free wilderness is given back (brk shrink).
// Every free() checks the block's tags and every unlink checks the list's
// links; inconsistencies abort with the address. Not thread-safe: the caller
// serialises.
#pragma once

#include <cstring>

#include "akuma/alloc/common.h"

namespace akuma::user {

template <typename PageSource>
class BrkAllocator {
public:
    static constexpr const char* k_name = "brk";
    static constexpr size_t k_header = 16;
    static constexpr size_t k_min_block = 32;
    static constexpr size_t k_grow_step = 64 * 1024;
    static constexpr size_t k_trim_threshold = 256 * 1024;
    static constexpr size_t k_trim_keep = 64 * 1024;

    struct Stats {
        size_t free_blocks = 0;
        size_t free_bytes = 0;
        size_t largest_free = 0;
        size_t used_blocks = 0;
        size_t used_bytes = 0;
        size_t wilderness = 0; // end - top of the current segment
        uintptr_t segment_start = 0;
        uintptr_t top = 0;
        uintptr_t end = 0;
        size_t segments = 0;
    };

    constexpr BrkAllocator() = default;
    explicit BrkAllocator(const PageSource& source) : m_source(source) {}

    PageSource& source() { return m_source; }

    void* allocate(size_t size, size_t alignment) {
        if (alignment > k_min_alignment)
            return allocate_aligned(size, alignment);
        Block* block = allocate_block(block_size_for(size));
        return block ? payload(block) : nullptr;
    }

    void* allocate_zeroed(size_t size) {
        void* pointer = allocate(size, k_min_alignment);
        if (pointer)
            std::memset(pointer, 0, size);
        return pointer;
    }

    void deallocate(void* pointer) {
        Block* block = checked_block(pointer, "free(): invalid pointer or double free");
        release(block);
    }

    // pointer non-null, size > 0.
    void* reallocate(void* pointer, size_t size) {
        Block* block = checked_block(pointer, "realloc(): invalid pointer");
        size_t need = block_size_for(size);
        size_t have = size_of(block);
        if (need <= have) {
            shrink(block, need);
            return pointer;
        }
        if (grow_in_place(block, need))
            return pointer;
        void* moved = allocate(size, k_min_alignment);
        if (!moved)
            return nullptr;
        std::memcpy(moved, pointer, have - k_header);
        release(block);
        return moved;
    }

    size_t usable_size(const void* pointer) {
        return size_of(checked_block(pointer, "malloc_usable_size(): invalid pointer")) - k_header;
    }

    // Walks the current segment checking every invariant above; for tests.
    // Returns nullptr when consistent, else what is wrong.
    const char* verify(Stats* stats = nullptr) const {
        Stats local;
        local.segment_start = m_segment_start;
        local.top = m_top;
        local.end = m_end;
        local.wilderness = m_end >= m_top ? m_end - m_top : 0;
        local.segments = m_segments;
        bool prev_free = false;
        size_t prev_size = 0;
        for (uintptr_t address = m_segment_start; address < m_top;) {
            const Block* block = reinterpret_cast<const Block*>(address);
            size_t size = size_of(block);
            if (size < k_min_block || size % 16 || address + size > m_top)
                return "block size out of range";
            bool in_use = block->head & k_in_use;
            if (bool(block->head & k_prev_in_use) == prev_free)
                return "prev-in-use flag disagrees with the previous block";
            if (prev_free && block->prev_size != prev_size)
                return "footer disagrees with the previous free block";
            if (!in_use) {
                if (prev_free)
                    return "two adjacent free blocks";
                if (!in_bin(block))
                    return "free block missing from its bin";
                local.free_blocks++;
                local.free_bytes += size;
                if (size > local.largest_free)
                    local.largest_free = size;
            } else {
                local.used_blocks++;
                local.used_bytes += size;
            }
            prev_free = !in_use;
            prev_size = size;
            address += size;
        }
        if (prev_free)
            return "free block next to the wilderness";
        if (m_top != m_segment_start && (m_end < m_top || m_end - m_top < k_header))
            return "no room left for a fence";
        if (stats) {
            size_t binned = 0;
            for (const Block* head : m_bins)
                for (const Block* block = head; block; block = block->next_free)
                    binned++;
            if (m_segments <= 1 && binned != local.free_blocks)
                return "bins hold blocks that are not in the heap";
            *stats = local;
        }
        return nullptr;
    }

private:
    static constexpr size_t k_in_use = 1;
    static constexpr size_t k_prev_in_use = 2;
    static constexpr size_t k_flag_mask = 15;
    static constexpr unsigned k_exact_bins = 63; // 32 .. 1024 bytes
    static constexpr unsigned k_bin_count = k_exact_bins + 54;

    struct Block {
        size_t head;
        size_t prev_size;
        Block* next_free; // free blocks only
        Block* prev_free;
    };

    static size_t size_of(const Block* block) { return block->head & ~k_flag_mask; }
    static void* payload(Block* block) { return to_pointer(to_address(block) + k_header); }
    static Block* block_at(uintptr_t address) { return reinterpret_cast<Block*>(address); }
    static Block* next_of(const Block* block) { return block_at(to_address(block) + size_of(block)); }

    // size <= k_max_request (the API layer checks), so this cannot overflow.
    static size_t block_size_for(size_t size) {
        size_t block = align_up(size + k_header, 16);
        return block < k_min_block ? k_min_block : block;
    }

    static unsigned bin_index(size_t size) {
        if (size <= 1024)
            return static_cast<unsigned>(size / 16 - 2);
        unsigned log = 63 - static_cast<unsigned>(__builtin_clzll(size)); // >= 10
        return k_exact_bins + (log - 10);
    }

    bool in_bin(const Block* block) const {
        for (const Block* entry = m_bins[bin_index(size_of(block))]; entry; entry = entry->next_free)
            if (entry == block)
                return true;
        return false;
    }

    void insert(Block* block) {
        unsigned index = bin_index(size_of(block));
        block->prev_free = nullptr;
        block->next_free = m_bins[index];
        if (m_bins[index])
            m_bins[index]->prev_free = block;
        m_bins[index] = block;
        m_bin_map[index / 64] |= uint64_t(1) << (index % 64);
    }

    void unlink(Block* block) {
        unsigned index = bin_index(size_of(block));
        Block* next = block->next_free;
        Block* prev = block->prev_free;
        if ((next && next->prev_free != block) || (prev ? prev->next_free != block : m_bins[index] != block))
            m_source.fatal("malloc(): corrupted free list (write after free?)", block);
        if (prev)
            prev->next_free = next;
        else
            m_bins[index] = next;
        if (next)
            next->prev_free = prev;
        if (!m_bins[index])
            m_bin_map[index / 64] &= ~(uint64_t(1) << (index % 64));
    }

    // First fit in the request's own bin, then the head of any larger bin.
    Block* take_free(size_t need) {
        unsigned index = bin_index(need);
        for (Block* block = m_bins[index]; block; block = block->next_free) {
            if (size_of(block) >= need) {
                unlink(block);
                return block;
            }
        }
        for (unsigned word = (index + 1) / 64; word < 2; word++) {
            uint64_t bits = m_bin_map[word];
            if (word == (index + 1) / 64)
                bits &= ~uint64_t(0) << ((index + 1) % 64);
            if (bits) {
                Block* block = m_bins[word * 64 + static_cast<unsigned>(__builtin_ctzll(bits))];
                unlink(block);
                return block;
            }
        }
        return nullptr;
    }

    Block* allocate_block(size_t need) {
        if (!m_segment_start && !start_segment())
            return nullptr;
        if (Block* block = take_free(need)) {
            size_t size = size_of(block);
            if (size - need >= k_min_block) {
                Block* rest = block_at(to_address(block) + need);
                rest->head = (size - need) | k_prev_in_use;
                next_of(rest)->prev_size = size - need; // its prev-in-use flag is already clear
                insert(rest);
                size = need;
            } else {
                next_of(block)->head |= k_prev_in_use;
            }
            block->head = size | k_in_use | k_prev_in_use; // free blocks always follow a used one
            return block;
        }
        return carve_top(need);
    }

    Block* carve_top(size_t need) {
        if (!reserve_wilderness(need))
            return nullptr;
        Block* block = block_at(m_top);
        block->head = need | k_in_use | k_prev_in_use; // the block before the wilderness is in use
        m_top += need;
        return block;
    }

    // Makes [top, top + need + k_header) ours, moving the break if needed.
    // May start a new segment, so callers re-read m_top afterwards.
    bool reserve_wilderness(size_t need) {
        size_t room;
        if (add_overflows(need, k_header, &room))
            return false;
        if (m_end >= m_top && m_end - m_top >= room) // a fresh segment may start above an unaligned break
            return true;
        uintptr_t current = m_source.current_break();
        if (current != m_end) {
            if (current < m_end && m_top != m_segment_start)
                m_source.fatal("brk allocator: the program break moved below the heap", to_pointer(current));
            close_segment();
            if (!begin_segment_at(current))
                return false;
        }
        uintptr_t want;
        if (add_overflows(m_top, room, &want) || add_overflows(want, k_grow_step - 1, &want))
            return false;
        want = align_down(want, k_grow_step);
        if (m_source.set_break(want) != want)
            return false;
        m_end = want;
        return true;
    }

    bool start_segment() { return begin_segment_at(m_source.current_break()); }

    bool begin_segment_at(uintptr_t brk) {
        // 0 or a negative errno (a kernel without brk) means no heap.
        if (brk == 0 || brk > ~uintptr_t(0) - k_grow_step)
            return false;
        m_segment_start = m_top = align_up(brk, 16);
        m_end = brk;
        if (!m_heap_low || m_segment_start < m_heap_low)
            m_heap_low = m_segment_start;
        m_segments++;
        return true;
    }

    // Seals [top, end) so no block ever coalesces across foreign memory.
    void close_segment() {
        if (m_top == m_segment_start) {
            m_segments--; // empty: simply moves
            return;
        }
        size_t rest = m_end - m_top; // >= k_header by the reservation
        Block* fence = block_at(m_end - k_header);
        if (rest >= k_min_block + k_header) {
            Block* tail = block_at(m_top);
            tail->head = (rest - k_header) | k_prev_in_use;
            insert(tail);
            fence->prev_size = rest - k_header;
            fence->head = k_header | k_in_use;
        } else {
            fence = block_at(m_top);
            fence->head = rest | k_in_use | k_prev_in_use;
        }
        m_top = m_end;
    }

    Block* checked_block(const void* pointer, const char* what) {
        uintptr_t address = to_address(pointer) - k_header;
        Block* block = block_at(address);
        if (address % 16 || address < m_heap_low || address >= m_top)
            m_source.fatal(what, pointer);
        size_t size = size_of(block);
        if (!(block->head & k_in_use) || size < k_min_block || size > m_top - address)
            m_source.fatal(what, pointer);
        if (address + size != m_top && !(next_of(block)->head & k_prev_in_use))
            m_source.fatal(what, pointer);
        return block;
    }

    // Frees a used block: coalesces with free neighbours or the wilderness.
    void release(Block* block) {
        block->head &= ~k_in_use; // a stale header must not pass checked_block again
        uintptr_t start = to_address(block);
        size_t size = size_of(block);
        if (!(block->head & k_prev_in_use)) {
            Block* prev = block_at(start - block->prev_size);
            if (block->prev_size < k_min_block || start - m_heap_low < block->prev_size || (prev->head & k_in_use)
                || size_of(prev) != block->prev_size)
                m_source.fatal("free(): corrupted block footer", payload(block));
            unlink(prev);
            start -= block->prev_size;
            size += block->prev_size;
        }
        if (start + size == m_top) {
            m_top = start;
            trim();
            return;
        }
        Block* next = block_at(start + size);
        if (!(next->head & k_in_use)) {
            unlink(next);
            size += size_of(next);
        }
        Block* merged = block_at(start);
        merged->head = size | k_prev_in_use;
        Block* after = block_at(start + size);
        after->prev_size = size;
        after->head &= ~k_prev_in_use;
        insert(merged);
    }

    // Gives a used block's tail beyond `need` back, if worth a block.
    void shrink(Block* block, size_t need) {
        size_t size = size_of(block);
        if (size - need < k_min_block)
            return;
        block->head = need | (block->head & k_flag_mask);
        Block* tail = block_at(to_address(block) + need);
        tail->head = (size - need) | k_in_use | k_prev_in_use;
        release(tail);
    }

    bool grow_in_place(Block* block, size_t need) {
        uintptr_t address = to_address(block);
        size_t size = size_of(block);
        if (address + size == m_top) {
            if (!reserve_wilderness(need - size) || address + size != m_top)
                return false; // a new segment started elsewhere
            m_top = address + need;
            block->head = need | (block->head & k_flag_mask);
            return true;
        }
        Block* next = next_of(block);
        if ((next->head & k_in_use) || size + size_of(next) < need)
            return false;
        unlink(next);
        size += size_of(next);
        block->head = size | (block->head & k_flag_mask);
        next_of(block)->head |= k_prev_in_use;
        shrink(block, need);
        return true;
    }

    void* allocate_aligned(size_t size, size_t alignment) {
        size_t need = block_size_for(size);
        size_t request;
        if (add_overflows(need, alignment, &request) || add_overflows(request, k_min_block, &request))
            return nullptr;
        Block* block = allocate_block(request);
        if (!block)
            return nullptr;
        uintptr_t first = to_address(payload(block));
        uintptr_t aligned = (first + alignment - 1) & ~(static_cast<uintptr_t>(alignment) - 1);
        if (aligned != first) {
            if (aligned - first < k_min_block)
                aligned += alignment; // the lead must be able to stand alone as a free block
            size_t lead = aligned - first;
            size_t total = size_of(block);
            Block* rest = block_at(to_address(block) + lead);
            rest->head = (total - lead) | k_in_use | k_prev_in_use;
            block->head = lead | (block->head & k_flag_mask);
            release(block); // clears rest's prev-in-use and writes its footer
            block = rest;
        }
        shrink(block, need);
        return payload(block);
    }

    void trim() {
        if (m_end < m_top || m_end - m_top <= k_trim_threshold)
            return;
        if (m_source.current_break() != m_end)
            return; // someone else's memory lies above: leave the break alone
        uintptr_t want = align_up(m_top + k_header + k_trim_keep, k_page_size);
        if (want < m_end && m_source.set_break(want) == want)
            m_end = want;
    }

    PageSource m_source {};
    uintptr_t m_heap_low = 0;      // lowest block address ever (for pointer checks)
    uintptr_t m_segment_start = 0; // first block of the current segment; 0 before the first call
    uintptr_t m_top = 0;           // start of the wilderness
    uintptr_t m_end = 0;           // the break as we last set it
    size_t m_segments = 0;
    Block* m_bins[k_bin_count] {};
    uint64_t m_bin_map[2] {};
};

} // namespace akuma::user
