#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "kernel/mm/physical_ranges.h"

using namespace akuma::mm;

namespace {
std::vector<std::pair<uint64_t, uint64_t>> usable(PhysicalSpan range, std::vector<PhysicalSpan> reserved,
                                                  uint64_t page = 4096) {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for_each_usable_span(range, reserved, page, [&](PhysicalSpan s) { out.emplace_back(s.base, s.end()); });
    return out;
}
using Spans = std::vector<std::pair<uint64_t, uint64_t>>;
}  // namespace

TEST(PhysicalRanges, NoReservations) {
    EXPECT_EQ(usable({ 0x40000000, 0x8000000 }, {}), (Spans { { 0x40000000, 0x48000000 } }));
}

TEST(PhysicalRanges, CutsAndRoundsOutward) {
    // kernel image, an unaligned DTB, an overlapping pair, one outside RAM
    auto spans = usable({ 0x40000000, 0x100000 },
                        { { 0x40010000, 0x5000 }, { 0x40020010, 0x10 }, { 0x40030000, 0x2000 },
                          { 0x40031000, 0x3000 }, { 0x50000000, 0x1000 } });
    EXPECT_EQ(spans, (Spans { { 0x40000000, 0x40010000 },
                               { 0x40015000, 0x40020000 },
                               { 0x40021000, 0x40030000 },
                               { 0x40034000, 0x40100000 } }));
}

TEST(PhysicalRanges, ReservationCoveringEverythingOrEdges) {
    EXPECT_TRUE(usable({ 0x1000, 0x3000 }, { { 0, 0x10000 } }).empty());
    EXPECT_EQ(usable({ 0x1000, 0x3000 }, { { 0x1000, 0x1000 } }), (Spans { { 0x2000, 0x4000 } }));
    EXPECT_EQ(usable({ 0x1000, 0x3000 }, { { 0x3fff, 0x1 } }), (Spans { { 0x1000, 0x3000 } }));
    EXPECT_EQ(usable({ 0x1800, 0x3000 }, {}), (Spans { { 0x2000, 0x4000 } }));  // unaligned RAM range
}

TEST(PhysicalRanges, RandomizedAgainstPageBitmap) {
    std::mt19937_64 random(7);
    for (int round = 0; round < 2000; ++round) {
        const uint64_t page = 4096;
        uint64_t base = (random() % 64) * 512 + 0x100000;
        PhysicalSpan range { base, 1 + random() % (200 * page) };
        std::vector<PhysicalSpan> reserved;
        for (int i = random() % 6; i > 0; --i)
            reserved.push_back({ base - 8192 + random() % (220 * page), random() % (20 * page) });
        std::set<uint64_t> expected;
        for (uint64_t p = (range.base + page - 1) / page * page; p + page <= range.end(); p += page) {
            bool hit = false;
            for (auto& r : reserved)
                hit |= r.size && r.base < p + page && r.end() > p;
            if (!hit)
                expected.insert(p);
        }
        std::set<uint64_t> got;
        uint64_t last_end = 0;
        for_each_usable_span(range, reserved, page, [&](PhysicalSpan s) {
            EXPECT_GT(s.size, 0u);
            EXPECT_GT(s.base, last_end == 0 ? 0 : last_end - 1);  // ascending, non-adjacent
            last_end = s.end();
            for (uint64_t p = s.base; p < s.end(); p += page)
                got.insert(p);
        });
        ASSERT_EQ(got, expected) << "round " << round;
    }
}
