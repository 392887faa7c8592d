// PageTable over simulated physical memory: the same code the boot path
// runs with the MMU off and the kernel runs live.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <functional>
#include <random>
#include <vector>

#include "kernel/mm/page_table.h"

using namespace akuma;
using namespace akuma::mm;

namespace {

// Physical memory made of separately allocated pages, so ASan catches any
// access outside a table.
struct SimulatedMemory {
    std::map<PhysAddr, std::unique_ptr<uint64_t[]>> pages;
    PhysAddr next = 0x4000'0000;
    size_t limit = SIZE_MAX;

    std::optional<PhysAddr> allocate_table() {
        if (pages.size() >= limit)
            return std::nullopt;
        PhysAddr pa = next;
        next += k_page_size;
        pages[pa] = std::make_unique<uint64_t[]>(k_entries_per_table);
        return pa;
    }
    uint64_t* table_pointer(PhysAddr pa) {
        auto it = pages.find(pa);
        EXPECT_NE(it, pages.end()) << "walk reached a non-table address " << std::hex << pa;
        return it->second.get();
    }
    void free_table(PhysAddr pa) {
        auto it = pages.find(pa);
        ASSERT_NE(it, pages.end());
        for (size_t i = 0; i < k_entries_per_table; ++i)
            EXPECT_EQ(it->second[i], 0u) << "freed a table that still has entries";
        pages.erase(it);
        ++tables_freed;
    }
    void invalidate_tlb(VirtAddr va) {
        invalidations.push_back(va);
        // Break-before-make: when the TLB is invalidated, no valid entry may
        // translate va any more.
        if (checker)
            EXPECT_FALSE(checker(va)) << "TLB invalidated while va " << std::hex << va << " is still mapped";
    }

    size_t tables_freed = 0;
    std::vector<VirtAddr> invalidations;
    std::function<bool(VirtAddr)> checker;
};

using Table = PageTable<SimulatedMemory>;

// SimulatedMemory whose tables keep the span of slots used above the last
// level, as user address spaces do; counts the slots a release reads.
struct SpanKeepingMemory : SimulatedMemory {
    std::map<PhysAddr, TableSlotSpan> spans;
    void note_table_slot(PhysAddr table, unsigned index) {
        auto [it, fresh] = spans.try_emplace(table, TableSlotSpan { index, index + 1 });
        if (!fresh) {
            it->second.first = std::min(it->second.first, index);
            it->second.end = std::max(it->second.end, index + 1);
        }
    }
    TableSlotSpan table_slot_span(PhysAddr table) {
        auto it = spans.find(table);
        return it == spans.end() ? TableSlotSpan { 0, 0 } : it->second;
    }
};
static_assert(KeepsTableSlotSpans<SpanKeepingMemory>);
static_assert(!KeepsTableSlotSpans<SimulatedMemory>);

void enable_bbm_check(SimulatedMemory& memory, Table& table) {
    memory.checker = [&table](VirtAddr va) { return table.query(va).has_value(); };
}

constexpr uint32_t k_rw = k_page_read | k_page_write;
constexpr uint32_t k_rx = k_page_read | k_page_execute;

}  // namespace

TEST(PageTable, MapsAndQueriesSinglePage) {
    SimulatedMemory memory;
    auto table = PageTable<SimulatedMemory>::create(memory).release_value();
    ASSERT_FALSE(table.map(0xffffffff80001000, 0x40201000, k_page_size, k_rx, false).is_error());
    auto translation = table.query(0xffffffff80001abc);
    ASSERT_TRUE(translation);
    EXPECT_EQ(translation->physical, 0x40201abcu);
    EXPECT_EQ(translation->flags, k_rx);
    EXPECT_EQ(translation->level, 3u);
    EXPECT_FALSE(table.query(0xffffffff80000fff));
    EXPECT_FALSE(table.query(0xffffffff80002000));
    EXPECT_EQ(memory.pages.size(), 4u);  // L0..L3
}

TEST(PageTable, UsesBlocksOnlyWhenAligned) {
    SimulatedMemory memory;
    auto table = PageTable<SimulatedMemory>::create(memory).release_value();
    // 1 GiB aligned on both sides -> one level-1 block.
    ASSERT_FALSE(table.map(0xffff000040000000, 0x40000000, 1ull << 30, k_rw, true).is_error());
    EXPECT_EQ(table.query(0xffff000040000000 + 12345)->level, 1u);
    // 2 MiB aligned, 4 MiB + 4 KiB long -> two level-2 blocks and one page.
    ASSERT_FALSE(table.map(0xffff000100000000, 0x100000000, (4ull << 20) + 4096, k_rw, true).is_error());
    EXPECT_EQ(table.query(0xffff000100000000)->level, 2u);
    EXPECT_EQ(table.query(0xffff000100200000)->level, 2u);
    EXPECT_EQ(table.query(0xffff000100400000)->level, 3u);
    EXPECT_EQ(table.query(0xffff000100400000)->physical, 0x100400000u);
    // Without allow_blocks everything is pages.
    ASSERT_FALSE(table.map(0xffff000200000000, 0x200000000, 2ull << 20, k_rw, false).is_error());
    EXPECT_EQ(table.query(0xffff000200000000)->level, 3u);
}

TEST(PageTable, RejectsWriteExecuteUnalignedAndOverlap) {
    SimulatedMemory memory;
    auto table = PageTable<SimulatedMemory>::create(memory).release_value();
    auto wx = table.map(0x1000, 0x1000, k_page_size, k_page_write | k_page_execute, false);
    ASSERT_TRUE(wx.is_error());
    EXPECT_EQ(wx.error(), Error::Invalid);
    // A user page may be writable and executable (the user_wx policy is
    // the address space's business); the kernel still never executes it.
    ASSERT_FALSE(table.map(0x1000, 0x1000, k_page_size, k_page_write | k_page_execute | k_page_user, false).is_error());
    EXPECT_TRUE(table.query(0x1000)->flags & k_page_execute);
    EXPECT_FALSE(table.unmap(0x1000, k_page_size).is_error());
    EXPECT_TRUE(table.map(0x1001, 0x1000, k_page_size, k_rw, false).is_error());
    EXPECT_TRUE(table.map(0x1000, 0x1000, 100, k_rw, false).is_error());
    EXPECT_TRUE(table.map(~0ull - 0xfff, 0x1000, 0x2000, k_rw, false).is_error());  // wraps
    ASSERT_FALSE(table.map(0x200000, 0x200000, 2ull << 20, k_rw, true).is_error());
    auto overlap = table.map(0x201000, 0x5000, k_page_size, k_rw, false);
    ASSERT_TRUE(overlap.is_error());
    EXPECT_EQ(overlap.error(), Error::Exists);
    ASSERT_FALSE(table.map(0x600000, 0x600000, k_page_size, k_rw, false).is_error());
    EXPECT_EQ(table.map(0x600000, 0x700000, k_page_size, k_rw, false).error(), Error::Exists);
}

TEST(PageTable, ReportsOutOfTableMemory) {
    SimulatedMemory memory;
    memory.limit = 3;  // root + two levels: no room for the last table
    auto table = PageTable<SimulatedMemory>::create(memory).release_value();
    auto result = table.map(0x1000, 0x1000, k_page_size, k_rw, false);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::NoMemory);
}

TEST(PageTable, AttributeEncodingRoundTrips) {
    for (uint32_t flags = 0; flags < 32; ++flags) {
        uint32_t normalized = flags | k_page_read;
        if (is_kernel_writable_executable(normalized))
            continue;
        uint64_t descriptor = encode_leaf_attributes(normalized);
        EXPECT_EQ(decode_leaf_flags(descriptor), normalized) << "flags " << flags;
        // Hardware view: kernel never executes user pages; no kernel page is W+X.
        bool privileged_executable = !(descriptor & descriptor::k_pxn);
        bool user_executable = !(descriptor & descriptor::k_uxn);
        EXPECT_EQ(privileged_executable, (normalized & k_page_execute) && !(normalized & k_page_user));
        EXPECT_EQ(user_executable, (normalized & k_page_execute) && (normalized & k_page_user));
        EXPECT_EQ(bool(descriptor & descriptor::k_not_global), bool(normalized & k_page_user));
        EXPECT_TRUE(descriptor & descriptor::k_access_flag);
    }
}

// Random non-overlapping mappings against a page-granular reference model.
TEST(PageTable, RandomizedAgainstModel) {
    SimulatedMemory memory;
    auto table = PageTable<SimulatedMemory>::create(memory).release_value();
    std::mt19937_64 random(1234);
    std::map<uint64_t, std::pair<uint64_t, uint32_t>> model;  // va page -> (pa page, flags)
    const uint32_t flag_choices[] = { k_page_read, k_rw, k_rx, k_rw | k_page_user, k_rx | k_page_user,
                                      k_rw | k_page_device };
    for (int round = 0; round < 3000; ++round) {
        uint64_t va = (random() % (1ull << 24)) << 12;  // 64 GiB of VA space
        uint64_t pages = 1 + random() % 600;
        uint64_t pa = (random() % (1ull << 24)) << 12;
        if (random() % 4 == 0) {  // sometimes make 2 MiB blocks possible
            va &= ~((2ull << 20) - 1);
            pa &= ~((2ull << 20) - 1);
        }
        uint32_t flags = flag_choices[random() % std::size(flag_choices)];
        bool overlaps = false;
        for (uint64_t i = 0; i < pages && !overlaps; ++i)
            overlaps = model.count(va + i * k_page_size) != 0;
        auto result = table.map(va, pa, pages * k_page_size, flags, true);
        if (overlaps) {
            EXPECT_TRUE(result.is_error());
            // Pages before the collision stay mapped (documented): model them.
            for (uint64_t i = 0; i < pages; ++i) {
                uint64_t page = va + i * k_page_size;
                if (model.count(page))
                    break;
                auto translation = table.query(page);
                ASSERT_TRUE(translation);
                EXPECT_EQ(translation->physical, pa + i * k_page_size);
                model[page] = { pa + i * k_page_size, flags };
            }
            continue;
        }
        ASSERT_FALSE(result.is_error()) << "round " << round;
        for (uint64_t i = 0; i < pages; ++i)
            model[va + i * k_page_size] = { pa + i * k_page_size, flags };
    }
    for (auto& [va, expected] : model) {
        auto translation = table.query(va + 0x123);
        ASSERT_TRUE(translation);
        EXPECT_EQ(translation->physical, expected.first + 0x123);
        EXPECT_EQ(translation->flags, expected.second);
    }
    for (int probe = 0; probe < 100000; ++probe) {
        uint64_t va = (random() % (1ull << 24)) << 12;
        auto translation = table.query(va);
        EXPECT_EQ(bool(translation), bool(model.count(va)));
    }
}

TEST(PageTable, UnmapFreesEmptyTablesAndReportsLeaves) {
    SimulatedMemory memory;
    auto table = Table::create(memory).release_value();
    enable_bbm_check(memory, table);
    ASSERT_FALSE(table.map(0x400000, 0x80000000, 16 * k_page_size, k_rw, false).is_error());
    ASSERT_EQ(memory.pages.size(), 4u);
    std::vector<std::pair<VirtAddr, PhysAddr>> removed;
    auto record = [&](VirtAddr va, PhysAddr pa, uint64_t bytes) {
        EXPECT_EQ(bytes, k_page_size);
        removed.emplace_back(va, pa);
    };
    ASSERT_FALSE(table.unmap(0x402000, 2 * k_page_size, record).is_error());
    ASSERT_EQ(removed.size(), 2u);
    EXPECT_EQ(removed[0], std::make_pair(VirtAddr(0x402000), PhysAddr(0x80002000)));
    EXPECT_FALSE(table.query(0x402000));
    EXPECT_FALSE(table.query(0x403000));
    EXPECT_TRUE(table.query(0x401000));
    EXPECT_TRUE(table.query(0x404000));
    EXPECT_EQ(memory.pages.size(), 4u);  // the L3 table still holds pages
    // Unmapping a range wider than what is mapped skips the holes and frees
    // every table but the root.
    ASSERT_FALSE(table.unmap(0, 1ull << 30).is_error());
    EXPECT_EQ(memory.pages.size(), 1u);
    EXPECT_EQ(memory.tables_freed, 3u);
    EXPECT_FALSE(table.query(0x400000));
}

TEST(PageTable, ReleaseAllReportsEveryLeafAndFreesEveryTableButTheRoot) {
    SimulatedMemory memory;
    auto table = Table::create(memory).release_value();
    ASSERT_FALSE(table.map(0x400000, 0x80000000, 3 * k_page_size, k_rx, false).is_error());
    ASSERT_FALSE(table.map(0x7fff'f000'0000, 0x90000000, 2 * k_page_size, k_rw, false).is_error());
    ASSERT_FALSE(table.map(0x4000'0000, 0xa0000000, (2ull << 20), k_rw, true).is_error());  // a 2 MiB block
    size_t tables = memory.pages.size();
    ASSERT_GT(tables, 5u);
    std::map<VirtAddr, std::pair<PhysAddr, uint64_t>> released;
    table.release_all([&](VirtAddr va, PhysAddr pa, uint64_t bytes) {
        EXPECT_TRUE(released.emplace(va, std::make_pair(pa, bytes)).second) << "leaf reported twice";
    });
    std::map<VirtAddr, std::pair<PhysAddr, uint64_t>> expected {
        { 0x400000, { 0x80000000, k_page_size } },
        { 0x401000, { 0x80001000, k_page_size } },
        { 0x402000, { 0x80002000, k_page_size } },
        { 0x7fff'f000'0000, { 0x90000000, k_page_size } },
        { 0x7fff'f000'1000, { 0x90001000, k_page_size } },
        { 0x4000'0000, { 0xa0000000, (2ull << 20) } },
    };
    EXPECT_EQ(released, expected);
    EXPECT_EQ(memory.pages.size(), 1u);  // the root; the freed tables were empty (free_table checks)
    EXPECT_EQ(memory.tables_freed, tables - 1);
    EXPECT_TRUE(memory.invalidations.empty());
    EXPECT_FALSE(table.query(0x400000));
}

TEST(PageTable, ReleaseTablesFreesEveryTableOnceTheLeavesAreCleared) {
    SimulatedMemory memory;
    auto table = Table::create(memory).release_value();
    ASSERT_FALSE(table.map(0x400000, 0x80000000, 3 * k_page_size, k_rx, false).is_error());
    ASSERT_FALSE(table.map(0x7fff'f000'0000, 0x90000000, 2 * k_page_size, k_rw, false).is_error());
    size_t tables = memory.pages.size();
    ASSERT_GT(tables, 5u);
    // The caller clears the leaves itself (free_table checks the level-3
    // tables come back empty, though release_tables never reads them).
    for (VirtAddr va : { 0x400000ull, 0x401000ull, 0x402000ull, 0x7fff'f000'0000ull, 0x7fff'f000'1000ull })
        *table.page_slot(va).value() = 0;
    table.release_tables();
    EXPECT_EQ(memory.pages.size(), 1u);  // the root
    EXPECT_EQ(memory.tables_freed, tables - 1);
    EXPECT_TRUE(memory.invalidations.empty());
    EXPECT_FALSE(table.query(0x400000));
}

TEST(PageTable, SlotSpansCoverEveryEntryAboveTheLastLevel) {
    SpanKeepingMemory memory;
    auto table = PageTable<SpanKeepingMemory>::create(memory).release_value();
    // Leaves far apart: different slots in the root and the tables below,
    // and a 2 MiB block (an entry of a level-2 table that is not a table).
    const VirtAddr pages[] = { 0x400000, 0x7fff'f000'0000, 0x5555'5555'0000, 0x7fff'ffff'f000 };
    for (VirtAddr va : pages)
        ASSERT_FALSE(table.map(va, 0x80000000, k_page_size, k_rw, false).is_error());
    ASSERT_FALSE(table.map(0x4000'0000, 0xa0000000, (2ull << 20), k_rw, true).is_error());
    // Every table above level 3 has a span (four last-level tables, one per
    // page), and every valid entry of it lies inside.
    EXPECT_EQ(memory.spans.size(), memory.pages.size() - 4);
    for (auto& [pa, span] : memory.spans) {
        const uint64_t* entries = memory.pages.at(pa).get();
        for (unsigned i = 0; i < k_entries_per_table; ++i) {
            if (entries[i] & 1)
                EXPECT_TRUE(i >= span.first && i < span.end) << "slot " << i << " outside its span";
        }
    }
    std::map<VirtAddr, uint64_t> released;
    table.release_all([&](VirtAddr va, PhysAddr, uint64_t bytes) { released[va] = bytes; });
    EXPECT_EQ(released.size(), 5u);
    for (VirtAddr va : pages)
        EXPECT_EQ(released[va], k_page_size);
    EXPECT_EQ(released[0x4000'0000], 2ull << 20);
    EXPECT_EQ(memory.pages.size(), 1u);  // every table freed, each empty
}

TEST(PageTable, UnmapSplitsPartlyCoveredBlocks) {
    SimulatedMemory memory;
    auto table = Table::create(memory).release_value();
    enable_bbm_check(memory, table);
    ASSERT_FALSE(table.map(0x40000000, 0x40000000, 1ull << 30, k_rw, true).is_error());
    ASSERT_EQ(table.query(0x40000000)->level, 1u);
    // Punch one page out of the middle of the 1 GiB block.
    ASSERT_FALSE(table.unmap(0x40201000, k_page_size).is_error());
    EXPECT_FALSE(table.query(0x40201000));
    auto before = table.query(0x40200fff);
    ASSERT_TRUE(before);
    EXPECT_EQ(before->physical, 0x40200fffu);
    EXPECT_EQ(before->level, 3u);
    EXPECT_EQ(before->flags, k_rw);
    auto after = table.query(0x40202000);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->physical, 0x40202000u);
    // The rest of the gigabyte stays in 2 MiB blocks.
    EXPECT_EQ(table.query(0x40400000)->level, 2u);
    EXPECT_EQ(table.query(0x7fffffff)->physical, 0x7fffffffu);
}

TEST(PageTable, ProtectFollowsBreakBeforeMake) {
    SimulatedMemory memory;
    auto table = Table::create(memory).release_value();
    enable_bbm_check(memory, table);
    ASSERT_FALSE(table.map(0x10000, 0x90000, 4 * k_page_size, k_rw, false).is_error());
    memory.invalidations.clear();
    ASSERT_FALSE(table.protect(0x11000, 2 * k_page_size, k_page_read).is_error());
    EXPECT_EQ(memory.invalidations, (std::vector<VirtAddr> { 0x11000, 0x12000 }));
    EXPECT_EQ(table.query(0x10000)->flags, k_rw);
    EXPECT_EQ(table.query(0x11000)->flags, k_page_read);
    EXPECT_EQ(table.query(0x12000)->flags, k_page_read);
    EXPECT_EQ(table.query(0x13000)->flags, k_rw);
    EXPECT_EQ(table.query(0x12000)->physical, 0x92000u);
    // Same permissions again: no entry changes, no invalidation.
    memory.invalidations.clear();
    ASSERT_FALSE(table.protect(0x11000, 2 * k_page_size, k_page_read).is_error());
    EXPECT_TRUE(memory.invalidations.empty());
    EXPECT_EQ(table.protect(0x10000, k_page_size, k_page_write | k_page_execute).error(), Error::Invalid);
    EXPECT_EQ(table.protect(0x13000, 2 * k_page_size, k_page_read).error(), Error::NotFound);
}

TEST(PageTable, ProtectSplitsBlocks) {
    SimulatedMemory memory;
    auto table = Table::create(memory).release_value();
    enable_bbm_check(memory, table);
    ASSERT_FALSE(table.map(0x200000, 0x600000, 2ull << 20, k_rw, true).is_error());
    ASSERT_FALSE(table.protect(0x3ff000, k_page_size, k_page_read | k_page_execute).is_error());
    EXPECT_EQ(table.query(0x3ff000)->flags, k_rx);
    EXPECT_EQ(table.query(0x3ff000)->physical, 0x7ff000u);
    EXPECT_EQ(table.query(0x3fe000)->flags, k_rw);
    EXPECT_EQ(table.query(0x200000)->level, 3u);
}

// Random map / unmap / protect against a page-granular model; at the end
// everything is unmapped and only the root table remains.
TEST(PageTable, RandomizedMapUnmapProtect) {
    SimulatedMemory memory;
    auto table = Table::create(memory).release_value();
    std::mt19937_64 random(99);
    std::map<uint64_t, std::pair<uint64_t, uint32_t>> model;
    const uint32_t flag_choices[] = { k_page_read, k_rw, k_rx, k_rw | k_page_user };
    constexpr uint64_t k_space_pages = 1ull << 20;  // 4 GiB of VA
    for (int round = 0; round < 4000; ++round) {
        uint64_t va = (random() % k_space_pages) << 12;
        uint64_t pages = 1 + random() % 1100;
        if (va + pages * k_page_size > (k_space_pages << 12))
            continue;
        uint32_t flags = flag_choices[random() % std::size(flag_choices)];
        switch (random() % 3) {
        case 0: {
            if (random() % 3 == 0)
                va &= ~((2ull << 20) - 1);
            uint64_t pa = va + 0x1000000000;  // blocks possible when va is aligned
            bool free_range = true;
            for (uint64_t i = 0; i < pages && free_range; ++i)
                free_range = !model.count(va + i * k_page_size);
            if (!free_range)
                break;
            ASSERT_FALSE(table.map(va, pa, pages * k_page_size, flags, true).is_error());
            for (uint64_t i = 0; i < pages; ++i)
                model[va + i * k_page_size] = { pa + i * k_page_size, flags };
            break;
        }
        case 1: {
            uint64_t unmapped = 0;
            ASSERT_FALSE(table.unmap(va, pages * k_page_size, [&](VirtAddr, PhysAddr, uint64_t bytes) {
                                 unmapped += bytes;
                             }).is_error());
            uint64_t expected = 0;
            for (uint64_t i = 0; i < pages; ++i)
                expected += model.erase(va + i * k_page_size) * k_page_size;
            EXPECT_EQ(unmapped, expected);
            break;
        }
        case 2: {
            bool all_mapped = true;
            for (uint64_t i = 0; i < pages && all_mapped; ++i)
                all_mapped = model.count(va + i * k_page_size);
            if (!all_mapped)
                break;
            ASSERT_FALSE(table.protect(va, pages * k_page_size, flags).is_error());
            for (uint64_t i = 0; i < pages; ++i)
                model[va + i * k_page_size].second = flags;
            break;
        }
        }
    }
    for (int probe = 0; probe < 200000; ++probe) {
        uint64_t va = (random() % k_space_pages) << 12;
        auto translation = table.query(va);
        auto it = model.find(va);
        ASSERT_EQ(bool(translation), it != model.end()) << std::hex << va;
        if (translation) {
            EXPECT_EQ(translation->physical, it->second.first);
            EXPECT_EQ(translation->flags, it->second.second);
        }
    }
    ASSERT_FALSE(table.unmap(0, k_space_pages << 12).is_error());
    EXPECT_EQ(memory.pages.size(), 1u);
}
