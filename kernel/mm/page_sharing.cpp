#include "kernel/mm/page_sharing.h"

#include "kernel/arch/aarch64/page_zero.h"
#include "kernel/mm/pmm.h"

namespace akuma::mm {

using sharing_detail::k_icache_clean;
using sharing_detail::k_sharers_mask;
using sharing_detail::load;

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

}  // namespace

void free_user_frame(PhysAddr frame, const PageDescriptor& page) {
    if (page.owner == static_cast<uint8_t>(PageOwner::UserCode))
        free_code_frame(frame);
    else
        free_pages(frame);
}

}  // namespace akuma::mm
