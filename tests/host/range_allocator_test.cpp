#include <gtest/gtest.h>

#include <map>
#include <random>

#include "kernel/mm/range_allocator.h"

using akuma::mm::RangeAllocator;

TEST(RangeAllocator, FirstFitAlignmentAndMerge) {
    RangeAllocator<8> ranges;
    ranges.init(0x10000, 0x10000);
    EXPECT_EQ(ranges.allocate(0x1000, 0x1000), 0x10000u);
    EXPECT_EQ(ranges.allocate(0x1000, 0x4000), 0x14000u);  // skips to alignment, splits
    EXPECT_EQ(ranges.allocate(0x2000, 0x1000), 0x11000u);  // first fit: the gap before
    EXPECT_EQ(ranges.free_bytes(), 0x10000u - 0x4000u);
    EXPECT_FALSE(ranges.allocate(0x20000, 0x1000));
    EXPECT_FALSE(ranges.free(0x18000, 0x1000));  // already free
    EXPECT_TRUE(ranges.free(0x11000, 0x2000));
    EXPECT_TRUE(ranges.free(0x14000, 0x1000));
    EXPECT_TRUE(ranges.free(0x10000, 0x1000));
    EXPECT_EQ(ranges.free_range_count(), 1u);
    EXPECT_EQ(ranges.free_bytes(), 0x10000u);
}

TEST(RangeAllocator, RandomizedAgainstModel) {
    RangeAllocator<64> ranges;
    const uint64_t base = 0x100000, pages = 4096, page = 4096;
    ranges.init(base, pages * page);
    std::map<uint64_t, uint64_t> live;  // start -> size
    std::mt19937_64 random(5);
    uint64_t live_bytes = 0;
    for (int i = 0; i < 200000; ++i) {
        if (live.empty() || random() % 2) {
            uint64_t size = (1 + random() % 16) * page;
            uint64_t alignment = page << (random() % 4);
            auto start = ranges.allocate(size, alignment);
            if (!start)
                continue;
            ASSERT_EQ(*start % alignment, 0u);
            ASSERT_GE(*start, base);
            ASSERT_LE(*start + size, base + pages * page);
            auto next = live.lower_bound(*start);
            if (next != live.end())
                ASSERT_LE(*start + size, next->first);
            if (next != live.begin())
                ASSERT_LE(std::prev(next)->first + std::prev(next)->second, *start);
            live[*start] = size;
            live_bytes += size;
        } else {
            auto it = live.begin();
            std::advance(it, random() % live.size());
            if (!ranges.free(it->first, it->second))
                continue;  // no slot left to record the hole: allowed, nothing changed
            live_bytes -= it->second;
            live.erase(it);
        }
        ASSERT_EQ(ranges.free_bytes(), pages * page - live_bytes);
    }
}
