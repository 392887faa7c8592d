// Per-thread free lists in front of the fast allocator, as glibc's tcache:
// malloc and free of a small block touch only the calling thread's lists,
// with no lock and no atomic operation. Blocks in a cache are allocated as
// far as the FastAllocator is concerned (their in-use bits stay set), so a
// chunk never goes away under a cache.
//
// Checks kept on the fast paths:
// - free() takes the cache only for the exact start of a slot the
//   allocator has marked in use (FastAllocator::cached_class_of); a wild or
//   already centrally freed pointer goes to the locked path, which reports.
// - A cached block's second word holds a per-process key. free() of a block
//   whose key matches looks through this thread's list of its class for it
//   (whether or not that list is full): a double free is reported, a
//   coincidence is not. A block freed twice by two different threads, the
//   first time into the first thread's cache, is not found (glibc's tcache
//   has the same gap): the check is per thread.
// - malloc() checks the key of the block it takes: a write after free that
//   hit it is reported instead of handing out a corrupted list.
//
// Not thread-safe by design: each thread owns one; the owner flushes it back
// (under the allocator's lock) when the thread exits. The hot functions are
// always inlined: libakuma is built with -Os, which would otherwise call
// them and turn malloc and free into non-leaf functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "akuma/alloc/fast_allocator.h"

namespace akuma::user {

// The size class of every request up to `MaxSize`, by 16-byte steps.
template <size_t MaxSize>
struct ClassBy16Bytes {
    uint8_t index[MaxSize / 16 + 1];

    static constexpr ClassBy16Bytes make() {
        ClassBy16Bytes table {};
        for (size_t i = 0; i <= MaxSize / 16; i++)
            table.index[i] = static_cast<uint8_t>(SizeClasses::index_for(i * 16));
        return table;
    }
};

class ThreadCache {
public:
    // Cached: the classes up to 1 KiB (what programs allocate most), at
    // most k_limit blocks each; a refill takes k_refill at once.
    static constexpr size_t k_max_size = 1024;
    static constexpr unsigned k_classes = SizeClasses::index_for(k_max_size) + 1;
    static constexpr uint16_t k_limit = 16;
    static constexpr unsigned k_refill = 8;

    // size <= k_max_size. A table: no branches, no division.
    [[gnu::always_inline]] static unsigned class_for(size_t size) { return k_class_table.index[(size + 15) / 16]; }

    // No block is cached until enable(): the owner must first be able to
    // flush the cache at its exit.
    constexpr ThreadCache() = default;
    bool enabled() const { return m_enabled; }
    void enable() { m_enabled = true; }

    // A cached block of class `index`, or nullptr if there is none (always
    // so while the cache is not enabled).
    template <typename Fatal>
    [[gnu::always_inline]] void* take(unsigned index, uintptr_t key, Fatal fatal) {
        Bin& bin = m_bins[index];
        Entry* entry = bin.head;
        if (!entry)
            return nullptr;
        if (entry->key != key) [[unlikely]]
            fatal("malloc(): corrupted thread cache (write after free?)", entry);
        bin.head = entry->next;
        bin.count--;
        entry->key = 0;
        return entry;
    }

    // Caches `block` (the start of an in-use slot of class `index`); false
    // if the class is full. Only while enabled().
    template <typename Fatal>
    [[gnu::always_inline]] bool put(unsigned index, void* block, uintptr_t key, Fatal fatal) {
        Bin& bin = m_bins[index];
        auto* entry = static_cast<Entry*>(block);
        // Before the limit: a block freed again while its list is full would
        // otherwise go to the allocator, which sees its in-use bit still set
        // (cached blocks keep it) and takes it back while it stays cached.
        if (entry->key == key) [[unlikely]] {
            for (Entry* cached = bin.head; cached; cached = cached->next) {
                if (cached == entry)
                    fatal("free(): double free (thread cache)", block);
            }
        }
        if (bin.count >= k_limit)
            return false;
        entry->next = bin.head;
        entry->key = key;
        bin.head = entry;
        bin.count++;
        return true;
    }

    unsigned count(unsigned index) const { return m_bins[index].count; }

    // Hands every cached block to `release` (the allocator's deallocate,
    // under its lock) and stops caching: at thread exit.
    template <typename Release>
    void flush(Release release) {
        m_enabled = false;
        for (Bin& bin : m_bins) {
            while (Entry* entry = bin.head) {
                bin.head = entry->next;
                entry->key = 0;
                release(entry);
            }
            bin.count = 0;
        }
    }

private:
    static constexpr ClassBy16Bytes<k_max_size> k_class_table = ClassBy16Bytes<k_max_size>::make();

    struct Entry {
        Entry* next;
        uintptr_t key;
    };
    static_assert(sizeof(Entry) <= 16, "the smallest class holds the entry");

    // A class's list and its length side by side: one base address for both.
    struct Bin {
        Entry* head = nullptr;
        uint32_t count = 0;
    };

    Bin m_bins[k_classes] {};
    bool m_enabled = false;
};

} // namespace akuma::user
