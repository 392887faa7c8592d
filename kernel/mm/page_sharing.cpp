#include "kernel/mm/page_sharing.h"

#include "kernel/arch/aarch64/page_zero.h"
#include "kernel/mm/pmm.h"

namespace akuma::mm {

// The count and the clean bit share the page's owner-data word and change
// with atomic operations, no lock: only holders touch the word (a page's
// last holder is alone with it).
namespace {
constexpr uint32_t k_icache_clean = 1u << 31;
constexpr uint32_t k_sharers_mask = k_icache_clean - 1;
uint32_t load(const uint32_t& word) { return __atomic_load_n(&word, __ATOMIC_ACQUIRE); }
}  // namespace

uint32_t extra_sharers(PhysAddr frame) { return load(allocated_page_owner_data(frame)) & k_sharers_mask; }

void add_sharer(PhysAddr frame) { __atomic_fetch_add(&allocated_page_owner_data(frame), 1, __ATOMIC_RELAXED); }

bool add_sharer_and_test_icache_clean(PhysAddr frame) {
    return __atomic_fetch_add(&allocated_page_owner_data(frame), 1, __ATOMIC_ACQUIRE) & k_icache_clean;
}

bool icache_clean(PhysAddr frame) { return load(allocated_page_owner_data(frame)) & k_icache_clean; }

void set_icache_clean(PhysAddr frame) {
    __atomic_fetch_or(&allocated_page_owner_data(frame), k_icache_clean, __ATOMIC_RELEASE);
}

void set_icache_dirty(PhysAddr frame) {
    uint32_t& word = allocated_page_owner_data(frame);
    if (load(word) & k_icache_clean)
        __atomic_fetch_and(&word, ~k_icache_clean, __ATOMIC_RELEASE);
}

void mark_code_frame(PhysAddr frame) {
    // No race with a drop that frees the frame (which reads the owner to
    // choose how): the caller is a holder, so that drop is not the last.
    if (page_descriptor(frame)->owner != static_cast<uint8_t>(PageOwner::UserCode))
        set_page_owner(frame, PageOwner::UserCode);
}

namespace {

[[gnu::noinline]] void free_code_frame(PhysAddr frame) {
    // Poisoning (memory_debug) overwrites every freed page the same way.
    if (!pmm_poisoning())
        arch::zero_page_by_stores(phys_to_virt(frame));
    free_pages(frame);
}

void free_user_frame(PhysAddr frame, const PageDescriptor& page) {
    if (page.owner == static_cast<uint8_t>(PageOwner::UserCode))
        free_code_frame(frame);
    else
        free_pages(frame);
}

}  // namespace

void drop_sharer(PhysAddr frame) {
    uint32_t& word = allocated_page_owner_data(frame);
    uint32_t seen = load(word);
    for (;;) {
        // No other holder: none can appear (only a holder adds one, and
        // this one is busy dropping it), and the page goes.
        if ((seen & k_sharers_mask) == 0) {
            free_user_frame(frame, *page_descriptor(frame));
            return;
        }
        if (__atomic_compare_exchange_n(&word, &seen, seen - 1, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return;
    }
}

}  // namespace akuma::mm
