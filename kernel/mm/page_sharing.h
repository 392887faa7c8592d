// How many holders a user page has. A user page's PMM owner_data counts the
// holders beyond the first (address spaces mapping it, and the shared
// memory object that keeps a MAP_SHARED page), so a freshly allocated page
// (owner_data 0) belongs to one holder. Only a holder can add another (a
// fork, under its space's lock; a space mapping a shared object's page,
// under the object's lock): a page its only holder sees exclusive stays
// exclusive meanwhile. Dropping a share races with the other holders'
// drops, so it is an atomic read-modify-write of the owner word, as are all
// changes of it here: no lock.
#pragma once

#include <cstdint>

#include "kernel/mm/page_table.h"
#include "kernel/mm/pmm.h"

namespace akuma::mm {

namespace sharing_detail {
// The count and the clean bit share the page's owner-data word and change
// with atomic operations, no lock: only holders touch the word (a page's
// last holder is alone with it). Inline: fault-around, fork and teardown
// make them once a page.
constexpr uint32_t k_icache_clean = 1u << 31;
constexpr uint32_t k_sharers_mask = k_icache_clean - 1;
inline uint32_t load(const uint32_t& word) { return __atomic_load_n(&word, __ATOMIC_ACQUIRE); }
}  // namespace sharing_detail

inline uint32_t extra_sharers(PhysAddr frame) {
    return sharing_detail::load(allocated_page_owner_data(frame)) & sharing_detail::k_sharers_mask;
}
inline void add_sharer(PhysAddr frame) { __atomic_fetch_add(&allocated_page_owner_data(frame), 1, __ATOMIC_RELAXED); }
// add_sharer() that also answers icache_clean() (below) from the same word.
inline bool add_sharer_and_test_icache_clean(PhysAddr frame) {
    return __atomic_fetch_add(&allocated_page_owner_data(frame), 1, __ATOMIC_ACQUIRE) & sharing_detail::k_icache_clean;
}
// Frees a user page its last holder dropped (a frame that held code is
// cleared first; see mark_code_frame).
void free_user_frame(PhysAddr frame, const PageDescriptor& page);

// Drops one holder's share of the page and frees it if that was the last.
// Inline: a teardown drops every page it mapped. No other holder (count 0):
// none can appear (only a holder adds one, and this one is busy dropping
// it), and the page goes without a write. Otherwise one atomic decrement;
// if the others dropped theirs meanwhile it found 0 and borrowed from the
// clean bit, which does not matter: this was the last holder, alone with
// the word, and the page goes (its next allocation resets the word).
inline void drop_sharer(PhysAddr frame) {
    PageDescriptor& page = allocated_page(frame);
    uint32_t& word = page.owner_data;
    if ((sharing_detail::load(word) & sharing_detail::k_sharers_mask) == 0 ||
        (__atomic_fetch_sub(&word, 1, __ATOMIC_ACQ_REL) & sharing_detail::k_sharers_mask) == 0)
        free_user_frame(frame, page);
}

// Frames that held code. QEMU's TCG keeps the code it has translated from a
// physical page until stores cover the bytes it came from, and while it
// keeps any, every store into that page takes its slow path (a lookup of
// the page's translations). Without a page cache each process runs private
// copies of its text, freed at exit: reused as a kernel stack or a heap
// page (zeroed with DC ZVA, which QEMU checks at each block's first byte
// only), such a frame stayed slow for as long as it lived. So a frame that
// was ever mapped executable is tagged PageOwner::UserCode and zeroed with
// ordinary stores when its last holder drops it, which drops all its
// translations at once (docs/PERFORMANCE.md, "Wall clock under TCG"). On
// hardware this costs ~320 instructions a page.
void mark_code_frame(PhysAddr frame);

// Whether the frame's bytes have reached instruction fetch since it was last
// written by the kernel or mapped writable (Linux's PG_dcache_clean): a
// page-cache frame mapped executable by many processes needs its caches
// synchronised once, not at every mapping. A fresh frame is not clean.
// Kept in the top bit of the owner data, beside the share count.
inline bool icache_clean(PhysAddr frame) {
    return sharing_detail::load(allocated_page_owner_data(frame)) & sharing_detail::k_icache_clean;
}
inline void set_icache_clean(PhysAddr frame) {
    __atomic_fetch_or(&allocated_page_owner_data(frame), sharing_detail::k_icache_clean, __ATOMIC_RELEASE);
}
void set_icache_dirty(PhysAddr frame);

}  // namespace akuma::mm
