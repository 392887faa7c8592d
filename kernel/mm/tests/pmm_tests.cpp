// In-kernel tests of the physical memory manager on real RAM.
#include "kernel/mm/pmm.h"
#include "kernel/tests/ktest.h"

using namespace akuma;
using namespace akuma::mm;

KTEST(pmm_stats_consistent, "PMM: page counts add up") {
    auto stats = pmm_stats();
    KEXPECT(stats.total_pages > 0);
    KEXPECT_EQ(stats.free_pages + stats.reserved_pages + stats.allocated_pages, stats.total_pages);
    uint64_t from_blocks = 0;
    for (unsigned order = 0; order <= BuddyArena::k_max_order; ++order)
        from_blocks += stats.free_blocks[order] << order;
    KEXPECT_EQ(from_blocks, stats.free_pages);
}

namespace {
// Blocks a test holds, given back however the test ends (a failed
// expectation returns early: in a small machine the big orders may not
// exist, and the leak check must still see every page again).
template <size_t N>
struct HeldBlocks {
    PhysAddr address[N];
    size_t count = 0;
    ~HeldBlocks() {
        while (count > 0)
            free_pages(address[--count]);
    }
};
}  // namespace

KTEST(pmm_orders, "PMM: blocks of every order are aligned, usable and returned") {
    uint64_t free_before = pmm_stats().free_pages;
    {
        HeldBlocks<BuddyArena::k_max_order + 1> blocks;
        for (unsigned order = 0; order <= BuddyArena::k_max_order; ++order) {
            auto block = allocate_pages(order, PageOwner::Test);
            KEXPECT(!block.is_error());
            PhysAddr address = blocks.address[blocks.count++] = block.value();
            uint64_t bytes = k_page_size << order;
            KEXPECT_EQ(address % bytes, 0u);
            auto* descriptor = page_descriptor(address);
            KEXPECT(descriptor != nullptr);
            KEXPECT(descriptor->state == PageState::Allocated);
            KEXPECT_EQ(descriptor->owner, uint8_t(PageOwner::Test));
            // Write the first and last word of the block through the linear map.
            auto* words = static_cast<uint64_t*>(phys_to_virt(address));
            words[0] = address;
            words[bytes / 8 - 1] = ~address;
        }
        for (unsigned order = 0; order <= BuddyArena::k_max_order; ++order) {
            auto* words = static_cast<uint64_t*>(phys_to_virt(blocks.address[order]));
            KEXPECT_EQ(words[0], blocks.address[order]);
            KEXPECT_EQ(words[((k_page_size << order) / 8) - 1], ~blocks.address[order]);
        }
    }
    KEXPECT_EQ(pmm_stats().free_pages, free_before);
}

KTEST(pmm_contiguous, "PMM: contiguous runs with alignment") {
    uint64_t free_before = pmm_stats().free_pages;
    auto run = allocate_contiguous(5, 16, PageOwner::Test);
    KEXPECT(!run.is_error());
    KEXPECT_EQ(run.value() % (16 * k_page_size), 0u);
    KEXPECT_EQ(pmm_stats().free_pages, free_before - 5);
    free_contiguous(run.value(), 5);
    KEXPECT_EQ(pmm_stats().free_pages, free_before);
}

KTEST(pmm_exhaustion, "PMM: exhaustion is an error, not a crash, and fully recovers") {
    uint64_t free_before = pmm_stats().free_pages;
    // Chain allocated blocks through their first word so no array is needed.
    PhysAddr chain = 0;
    uint64_t blocks = 0;
    for (unsigned order = BuddyArena::k_max_order + 1; order-- > 0;) {
        for (;;) {
            auto block = allocate_pages(order, PageOwner::Test);
            if (block.is_error()) {
                KEXPECT(block.error() == Error::NoMemory);
                break;
            }
            *static_cast<PhysAddr*>(phys_to_virt(block.value())) = chain;
            chain = block.value();
            ++blocks;
        }
    }
    KEXPECT_EQ(pmm_stats().free_pages, 0u);
    KEXPECT(allocate_pages(0, PageOwner::Test).is_error());
    while (chain) {
        PhysAddr next = *static_cast<PhysAddr*>(phys_to_virt(chain));
        free_pages(chain);
        chain = next;
    }
    KEXPECT(blocks > 0);
    KEXPECT_EQ(pmm_stats().free_pages, free_before);
}
