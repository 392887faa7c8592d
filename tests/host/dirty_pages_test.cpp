// DirtyPages against a std::set model: random adds and truncations keep the
// same pages, as disjoint, sorted, non-adjacent ranges.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "kernel/fs/dirty_pages.h"

using akuma::fs::DirtyPages;

namespace {

void expect_matches(const DirtyPages& pages, const std::set<uint64_t>& model) {
    std::set<uint64_t> seen;
    uint64_t previous_end = 0;
    bool first = true;
    for (auto range : pages.ranges()) {
        ASSERT_LT(range.first, range.end);
        if (!first)
            ASSERT_GT(range.first, previous_end) << "ranges must be sorted and not touch";
        first = false;
        previous_end = range.end;
        for (uint64_t index = range.first; index < range.end; ++index)
            seen.insert(index);
    }
    EXPECT_EQ(seen, model);
    EXPECT_EQ(pages.page_count(), model.size());
    EXPECT_EQ(pages.empty(), model.empty());
}

}  // namespace

TEST(DirtyPages, SequentialPagesAreOneRange) {
    DirtyPages pages;
    for (uint64_t index = 10; index < 10000; ++index)
        ASSERT_FALSE(pages.add(index).is_error());
    ASSERT_EQ(pages.ranges().size(), 1u);
    EXPECT_EQ(pages.ranges()[0].first, 10u);
    EXPECT_EQ(pages.ranges()[0].end, 10000u);
    EXPECT_TRUE(pages.contains(10));
    EXPECT_FALSE(pages.contains(9));
    EXPECT_FALSE(pages.contains(10000));
}

TEST(DirtyPages, GapsFillAndMerge) {
    DirtyPages pages;
    for (uint64_t index : { 0, 2, 4, 6 })
        ASSERT_FALSE(pages.add(index).is_error());
    EXPECT_EQ(pages.ranges().size(), 4u);
    ASSERT_FALSE(pages.add(1).is_error());  // joins 0 and 2
    ASSERT_FALSE(pages.add(5).is_error());  // joins 4 and 6
    EXPECT_EQ(pages.ranges().size(), 2u);
    ASSERT_FALSE(pages.add(3).is_error());
    ASSERT_EQ(pages.ranges().size(), 1u);
    EXPECT_EQ(pages.page_count(), 7u);
    ASSERT_FALSE(pages.add(3).is_error());  // already there
    EXPECT_EQ(pages.page_count(), 7u);
}

TEST(DirtyPages, TruncationCutsRanges) {
    DirtyPages pages;
    for (uint64_t index : { 1, 2, 3, 7, 8, 20 })
        ASSERT_FALSE(pages.add(index).is_error());
    pages.remove_from(8);
    expect_matches(pages, { 1, 2, 3, 7 });
    pages.remove_from(2);
    expect_matches(pages, { 1 });
    pages.remove_from(0);
    expect_matches(pages, {});
    ASSERT_FALSE(pages.add(5).is_error());
    pages.clear();
    expect_matches(pages, {});
}

TEST(DirtyPages, RandomOperationsMatchASet) {
    std::mt19937_64 random(42);
    DirtyPages pages;
    std::set<uint64_t> model;
    for (int step = 0; step < 20000; ++step) {
        if (random() % 100 == 0) {
            uint64_t cut = random() % 600;
            pages.remove_from(cut);
            model.erase(model.lower_bound(cut), model.end());
        } else {
            uint64_t index = random() % 512;
            ASSERT_FALSE(pages.add(index).is_error());
            model.insert(index);
        }
        if (step % 97 == 0)
            expect_matches(pages, model);
        uint64_t probe = random() % 520;
        ASSERT_EQ(pages.contains(probe), model.count(probe) == 1) << probe;
    }
    expect_matches(pages, model);
}
