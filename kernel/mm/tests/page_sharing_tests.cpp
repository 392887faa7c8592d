// In-kernel tests of user-page sharing (kernel/mm/page_sharing.h): the share
// count beside the clean bit, and drops racing between holders.
#include "kernel/mm/page_sharing.h"
#include "kernel/mm/pmm.h"
#include "kernel/sched/scheduler.h"
#include "kernel/tests/ktest.h"

using namespace akuma;
using namespace akuma::mm;

KTEST(page_sharing_last_holder_frees, "Page sharing: only the last of four holders frees the page; the clean bit "
                                      "survives the others' drops") {
    uint64_t free_before = pmm_stats().free_pages;
    auto page = allocate_pages(0, PageOwner::UserPage);
    KEXPECT(!page.is_error());
    PhysAddr frame = page.value();
    for (int i = 0; i < 3; ++i)
        add_sharer(frame);
    set_icache_clean(frame);
    KEXPECT_EQ(extra_sharers(frame), 3u);
    for (uint32_t left = 2;; --left) {
        drop_sharer(frame);
        KEXPECT(page_descriptor(frame)->state == PageState::Allocated);
        KEXPECT_EQ(extra_sharers(frame), left);
        KEXPECT(icache_clean(frame));
        if (left == 0)
            break;
    }
    drop_sharer(frame);
    KEXPECT_EQ(pmm_stats().free_pages, free_before);
}

namespace {
constexpr int k_holders = 4;
constexpr int k_pages = 64;

struct SharedPages {
    PhysAddr frames[k_pages];
};

uint64_t drop_every_page(void* argument) {
    auto* pages = static_cast<SharedPages*>(argument);
    for (int i = 0; i < k_pages; ++i) {
        drop_sharer(pages->frames[i]);
        if (i % 5 == 0)
            sched::yield();  // interleave with the other holders
    }
    return 0;
}
}  // namespace

KTEST(page_sharing_racing_drops, "Page sharing: holders dropping the same pages at once free each exactly once") {
    uint64_t free_before = pmm_stats().free_pages;
    SharedPages pages;
    int allocated = 0;
    for (; allocated < k_pages; ++allocated) {
        auto page = allocate_pages(0, PageOwner::UserPage);
        if (page.is_error())
            break;
        pages.frames[allocated] = page.value();
        for (int holder = 1; holder < k_holders; ++holder)
            add_sharer(page.value());
    }
    KEXPECT_EQ(allocated, k_pages);
    sched::Thread* threads[k_holders];
    for (auto& thread : threads) {
        auto spawned = sched::spawn("dropper", drop_every_page, &pages);
        KEXPECT(!spawned.is_error());
        thread = spawned.value();
    }
    for (auto* thread : threads)
        KEXPECT(!sched::join(thread).is_error());
    // A page freed twice is a PMM error (reported, and the count is off);
    // one never freed is missing from the count.
    KEXPECT_EQ(pmm_stats().free_pages, free_before);
}
