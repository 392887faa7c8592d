#include "kernel/mm/page_sharing.h"

#include "kernel/mm/pmm.h"
#include "kernel/sched/spinlock.h"

namespace akuma::mm {

namespace {
constinit IrqSpinLock g_share_lock {};
}  // namespace

uint32_t extra_sharers(PhysAddr frame) { return page_descriptor(frame)->owner_data; }

void add_sharer(PhysAddr frame) {
    SpinLockGuard guard(g_share_lock);
    set_page_owner_data(frame, extra_sharers(frame) + 1);
}

void drop_sharer(PhysAddr frame) {
    // The common case needs no lock: with no other holder, nobody else can
    // add one (only a holder can, and this one is busy dropping it).
    if (extra_sharers(frame) == 0) {
        free_pages(frame);
        return;
    }
    bool last;
    {
        SpinLockGuard guard(g_share_lock);
        uint32_t extra = extra_sharers(frame);
        last = extra == 0;
        if (!last)
            set_page_owner_data(frame, extra - 1);
    }
    if (last)
        free_pages(frame);
}

}  // namespace akuma::mm
