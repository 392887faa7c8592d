#include "kernel/mm/page_sharing.h"

#include "kernel/arch/aarch64/page_zero.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/spinlock.h"

namespace akuma::mm {

namespace {
constinit IrqSpinLock g_share_lock {};
constexpr uint32_t k_icache_clean = 1u << 31;
constexpr uint32_t k_sharers_mask = k_icache_clean - 1;
uint32_t owner_data(PhysAddr frame) { return page_descriptor(frame)->owner_data; }
}  // namespace

uint32_t extra_sharers(PhysAddr frame) { return owner_data(frame) & k_sharers_mask; }

void add_sharer(PhysAddr frame) {
    SpinLockGuard guard(g_share_lock);
    set_page_owner_data(frame, owner_data(frame) + 1);
}

bool icache_clean(PhysAddr frame) { return owner_data(frame) & k_icache_clean; }

void set_icache_clean(PhysAddr frame) {
    SpinLockGuard guard(g_share_lock);
    set_page_owner_data(frame, owner_data(frame) | k_icache_clean);
}

void set_icache_dirty(PhysAddr frame) {
    if (!icache_clean(frame))
        return;
    SpinLockGuard guard(g_share_lock);
    set_page_owner_data(frame, owner_data(frame) & ~k_icache_clean);
}

void mark_code_frame(PhysAddr frame) {
    // Under the share lock: another holder's drop reads the owner to decide
    // how to free the frame.
    SpinLockGuard guard(g_share_lock);
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

// The page is (or was, a moment ago) held by others too.
[[gnu::noinline]] void drop_shared(PhysAddr frame, const PageDescriptor& page) {
    bool last;
    {
        SpinLockGuard guard(g_share_lock);
        uint32_t extra = extra_sharers(frame);
        last = extra == 0;
        if (!last)
            set_page_owner_data(frame, owner_data(frame) - 1);
    }
    if (last)
        free_user_frame(frame, page);
}

}  // namespace

void drop_sharer(PhysAddr frame) {
    const PageDescriptor& page = *page_descriptor(frame);
    // The common case needs no lock: with no other holder, nobody else can
    // add one (only a holder can, and this one is busy dropping it). (A
    // clean page-cache frame has its top bit set: the locked path.)
    if (page.owner_data == 0)
        free_user_frame(frame, page);
    else
        drop_shared(frame, page);
}

}  // namespace akuma::mm
