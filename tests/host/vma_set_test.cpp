// Tests of VmaSet (kernel/mm/vma_set.h): insertion, lookup, munmap-style
// removal with splitting, mprotect-style protection, merging, free-range
// search, brk/stack resizing, out-of-memory injection (all-or-nothing, no
// leaks), the VMA count limit (vm.max_map_count), tens of thousands of VMAs
// (the tree stays balanced), and randomized comparisons against a
// page-granular std::map model.
#include "kernel/mm/vma_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "tests/host/host_kmalloc.h"

using namespace akuma;
using namespace akuma::mm;
using akuma::test::host_kmalloc_fail_after;
using akuma::test::host_kmalloc_live_objects;

namespace {

constexpr uint64_t P = k_page_size;
constexpr VirtAddr B = 0x10000000;  // where Akuma's mmap area starts
constexpr uint32_t R = k_prot_read;
constexpr uint32_t RW = k_prot_read | k_prot_write;
constexpr uint32_t RX = k_prot_read | k_prot_exec;

const char g_file_a = 'a';
const char g_file_b = 'b';
const void* const k_file_a = &g_file_a;
const void* const k_file_b = &g_file_b;

VirtAddr page(uint64_t n) { return B + n * P; }

Vma anon(VirtAddr start, VirtAddr end, uint32_t prot = RW, VmaKind kind = VmaKind::Anonymous) {
    return Vma {start, end, prot, kind, nullptr, 0, 0};
}

Vma file_vma(VirtAddr start, VirtAddr end, uint32_t prot, const void* file, uint64_t offset, uint64_t bytes,
    VmaKind kind = VmaKind::File) {
    return Vma {start, end, prot, kind, file, offset, bytes};
}

std::vector<Vma> contents(const VmaSet& set) {
    std::vector<Vma> result;
    for (const Vma& vma : set)
        result.push_back(vma);
    return result;
}

// The index-th VMA, or a failure and an all-zero VMA.
Vma nth(const VmaSet& set, size_t index) {
    if (index < set.size())
        return contents(set)[index];
    ADD_FAILURE() << "only " << set.size() << " VMAs";
    return {};
}

std::string describe(const Vma& v) {
    char text[160];
    std::snprintf(text, sizeof text, "[%#llx,%#llx) prot=%u %s%s file=%p off=%#llx bytes=%#llx",
        static_cast<unsigned long long>(v.start), static_cast<unsigned long long>(v.end), v.prot,
        vma_kind_name(v.kind), v.shared ? " shared" : "", v.file, static_cast<unsigned long long>(v.file_offset),
        static_cast<unsigned long long>(v.file_bytes));
    return text;
}

}  // namespace

namespace akuma::mm {
// For readable gtest failure messages.
void PrintTo(const Vma& v, std::ostream* out) { *out << describe(v); }
}  // namespace akuma::mm

namespace {

class VmaSetTest : public ::testing::Test {
protected:
    void SetUp() override { m_live_before = host_kmalloc_live_objects(); }
    void TearDown() override {
        host_kmalloc_fail_after(-1);
        EXPECT_EQ(host_kmalloc_live_objects(), m_live_before) << "leaked allocations";
    }

    // A clone of a set made of vmas (every extra VMA then needs a node, as in
    // any set; the clone exercises clone() on the way).
    static VmaSet full_set(const std::vector<Vma>& vmas) {
        VmaSet set;
        for (const Vma& vma : vmas)
            EXPECT_FALSE(set.insert(vma).is_error()) << describe(vma);
        auto cloned = set.clone();
        EXPECT_FALSE(cloned.is_error());
        EXPECT_EQ(contents(cloned.value()), contents(set));
        return cloned.release_value();
    }

private:
    size_t m_live_before {0};
};

// ---- Insert and lookup ------------------------------------------------------

TEST_F(VmaSetTest, KindNames) {
    EXPECT_STREQ(vma_kind_name(VmaKind::Anonymous), "anonymous");
    EXPECT_STREQ(vma_kind_name(VmaKind::File), "file");
    EXPECT_STREQ(vma_kind_name(VmaKind::Image), "image");
    EXPECT_STREQ(vma_kind_name(VmaKind::Heap), "heap");
    EXPECT_STREQ(vma_kind_name(VmaKind::Stack), "stack");
}

TEST_F(VmaSetTest, InsertRejectsInvalidVmas) {
    VmaSet set;
    EXPECT_EQ(set.insert(anon(B + 1, page(2))).error(), Error::Invalid);
    EXPECT_EQ(set.insert(anon(B, page(2) + 8)).error(), Error::Invalid);
    EXPECT_EQ(set.insert(anon(page(2), page(2))).error(), Error::Invalid);
    EXPECT_EQ(set.insert(anon(page(2), page(1))).error(), Error::Invalid);
    EXPECT_EQ(set.insert(anon(0xfffffffffffff000ull, 0)).error(), Error::Invalid);  // wraps
    EXPECT_EQ(set.insert(file_vma(B, page(1), R, k_file_a, 0, P + 1)).error(), Error::Invalid);
    EXPECT_EQ(set.insert(file_vma(B, page(1), R, nullptr, 0, 1)).error(), Error::Invalid);
    EXPECT_EQ(set.size(), 0u);
    EXPECT_TRUE(set.is_empty());
}

TEST_F(VmaSetTest, AnonymousVmasHaveNoFileOffset) {
    VmaSet set;
    Vma vma = anon(page(0), page(4));
    vma.file_offset = 0x5000;
    ASSERT_FALSE(set.insert(vma).is_error());
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(4))});
    ASSERT_FALSE(set.remove_range(page(1), page(2)).is_error());
    EXPECT_EQ(nth(set, 1), anon(page(2), page(4)));
}

TEST_F(VmaSetTest, InsertRejectsOverlap) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(4), page(8))).is_error());
    ASSERT_FALSE(set.insert(anon(page(12), page(14))).is_error());
    for (auto [start, end] : {std::pair {page(3), page(5)}, {page(5), page(6)}, {page(7), page(9)},
             {page(2), page(10)}, {page(4), page(8)}, {page(7), page(13)}}) {
        EXPECT_EQ(set.insert(anon(start, end, R)).error(), Error::Exists) << start << " " << end;
    }
    EXPECT_EQ(contents(set), (std::vector {anon(page(4), page(8)), anon(page(12), page(14))}));
    // Touching is not overlapping.
    ASSERT_FALSE(set.insert(anon(page(8), page(12), R)).is_error());
    ASSERT_FALSE(set.insert(anon(page(3), page(4), R)).is_error());
    EXPECT_EQ(set.size(), 4u);
}

TEST_F(VmaSetTest, InsertKeepsOrder) {
    VmaSet set;
    for (uint64_t n : {9, 1, 5, 13, 3})
        ASSERT_FALSE(set.insert(anon(page(n), page(n + 1), n % 2 ? R : RW)).is_error());
    std::vector<VirtAddr> starts;
    for (const Vma& vma : set)
        starts.push_back(vma.start);
    EXPECT_EQ(starts, (std::vector {page(1), page(3), page(5), page(9), page(13)}));
}

TEST_F(VmaSetTest, FindAndIsFree) {
    VmaSet set;
    EXPECT_EQ(set.find(B), nullptr);
    EXPECT_TRUE(set.is_free(0, ~0ull));
    ASSERT_FALSE(set.insert(anon(page(2), page(4), R)).is_error());
    ASSERT_FALSE(set.insert(anon(page(6), page(7), RW)).is_error());

    EXPECT_EQ(set.find(page(2) - 1), nullptr);
    ASSERT_NE(set.find(page(2)), nullptr);
    EXPECT_EQ(set.find(page(2))->start, page(2));
    EXPECT_EQ(set.find(page(4) - 1)->prot, R);
    EXPECT_EQ(set.find(page(4)), nullptr);
    EXPECT_EQ(set.find(page(6) + 123)->prot, RW);
    EXPECT_EQ(set.find(page(7)), nullptr);
    EXPECT_EQ(set.find(0), nullptr);

    EXPECT_TRUE(set.is_free(0, page(2)));
    EXPECT_FALSE(set.is_free(0, page(2) + 1));
    EXPECT_TRUE(set.is_free(page(4), page(6)));
    EXPECT_FALSE(set.is_free(page(3), page(5)));
    EXPECT_FALSE(set.is_free(page(5), page(8)));
    EXPECT_TRUE(set.is_free(page(7), page(100)));
    EXPECT_TRUE(set.is_free(page(3), page(3)));  // empty
}

// ---- Merging ----------------------------------------------------------------

TEST_F(VmaSetTest, MergesAdjacentIdenticalVmas) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(2))).is_error());
    ASSERT_FALSE(set.insert(anon(page(2), page(3))).is_error());  // right of it
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(3))});
    ASSERT_FALSE(set.insert(anon(page(5), page(6))).is_error());
    ASSERT_FALSE(set.insert(anon(page(4), page(5))).is_error());  // left of it
    EXPECT_EQ(contents(set), (std::vector {anon(page(0), page(3)), anon(page(4), page(6))}));
    ASSERT_FALSE(set.insert(anon(page(3), page(4))).is_error());  // fills the gap
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(6))});
}

// A shared file mapping (max_prot without write) next to a private one of
// the same file must stay apart: merged, mprotect could make it writable.
TEST_F(VmaSetTest, DoesNotMergeDifferentMaxProt) {
    VmaSet set;
    Vma shared_part = file_vma(page(0), page(1), R, k_file_a, 0, P);
    shared_part.max_prot = RX;
    ASSERT_FALSE(set.insert(shared_part).is_error());
    ASSERT_FALSE(set.insert(file_vma(page(1), page(2), R, k_file_a, P, P)).is_error());
    EXPECT_EQ(set.size(), 2u);
    Vma more_shared = file_vma(page(2), page(3), R, k_file_a, 2 * P, P);
    more_shared.max_prot = RX;
    ASSERT_FALSE(set.insert(more_shared).is_error());
    EXPECT_EQ(set.size(), 3u);
}

TEST_F(VmaSetTest, DoesNotMergeDifferentAttributes) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(1), RW)).is_error());
    ASSERT_FALSE(set.insert(anon(page(1), page(2), R)).is_error());
    ASSERT_FALSE(set.insert(anon(page(2), page(3), R, VmaKind::Heap)).is_error());
    ASSERT_FALSE(set.insert(file_vma(page(3), page(4), R, k_file_a, 0, 0, VmaKind::Heap)).is_error());
    ASSERT_FALSE(set.insert(file_vma(page(4), page(5), R, k_file_b, P, 0, VmaKind::Heap)).is_error());
    EXPECT_EQ(set.size(), 5u);
}

TEST_F(VmaSetTest, MergesFileVmasOnlyWhenContentsContinue) {
    VmaSet set;
    // Contiguous offsets, left fully file-backed: one VMA.
    ASSERT_FALSE(set.insert(file_vma(page(0), page(2), R, k_file_a, 0x10000, 2 * P)).is_error());
    ASSERT_FALSE(set.insert(file_vma(page(2), page(3), R, k_file_a, 0x12000, 0x800)).is_error());
    EXPECT_EQ(contents(set), std::vector {file_vma(page(0), page(3), R, k_file_a, 0x10000, 2 * P + 0x800)});
    // Left ends in zeros and right has file bytes: merging would lose the zeros.
    ASSERT_FALSE(set.insert(file_vma(page(3), page(4), R, k_file_a, 0x13000, P)).is_error());
    EXPECT_EQ(set.size(), 2u);
    // Left ends in zeros, right is all zeros: still reads the same merged.
    ASSERT_FALSE(set.insert(file_vma(page(4), page(5), R, k_file_a, 0x14000, 0)).is_error());
    EXPECT_EQ(nth(set, 1), file_vma(page(3), page(5), R, k_file_a, 0x13000, P));
    ASSERT_FALSE(set.insert(file_vma(page(5), page(6), R, k_file_a, 0x15000, 0)).is_error());
    EXPECT_EQ(nth(set, 1), file_vma(page(3), page(6), R, k_file_a, 0x13000, P));
    // Offsets that do not continue.
    ASSERT_FALSE(set.insert(file_vma(page(6), page(7), R, k_file_a, 0x99000, 0)).is_error());
    EXPECT_EQ(set.size(), 3u);
}

// ---- remove_range -------------------------------------------------------------

struct Recorder {
    std::vector<Vma>* pieces;
    void operator()(const Vma& piece) const { pieces->push_back(piece); }
};

TEST_F(VmaSetTest, SharedAndPrivateAnonymousMemoryStaySeparate) {
    VmaSet set;
    Vma shared = anon(page(1), page(3));
    shared.shared = true;
    ASSERT_FALSE(set.insert(anon(page(0), page(1))).is_error());
    ASSERT_FALSE(set.insert(shared).is_error());
    ASSERT_FALSE(set.insert(anon(page(3), page(4))).is_error());
    EXPECT_EQ(set.size(), 3u);
    // Splitting and re-protecting keep the flag on every piece.
    ASSERT_FALSE(set.protect_range(page(2), page(3), R).is_error());
    ASSERT_EQ(set.size(), 4u);
    EXPECT_TRUE(nth(set, 1).shared);
    EXPECT_TRUE(nth(set, 2).shared);
    EXPECT_FALSE(nth(set, 3).shared);
    ASSERT_FALSE(set.protect_range(page(2), page(3), RW).is_error());
    EXPECT_EQ(contents(set), (std::vector {anon(page(0), page(1)), shared, anon(page(3), page(4))}));
    std::vector<Vma> removed;
    ASSERT_FALSE(set.remove_range(page(2), page(4), Recorder {&removed}).is_error());
    ASSERT_EQ(removed.size(), 2u);
    EXPECT_TRUE(removed[0].shared);
    EXPECT_FALSE(removed[1].shared);
}

TEST_F(VmaSetTest, RemoveMiddleSplitsOneVmaIntoTwo) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(8), RW, VmaKind::Heap)).is_error());
    std::vector<Vma> removed;
    ASSERT_FALSE(set.remove_range(page(2), page(5), Recorder {&removed}).is_error());
    EXPECT_EQ(removed, std::vector {anon(page(2), page(5), RW, VmaKind::Heap)});
    EXPECT_EQ(contents(set),
        (std::vector {anon(page(0), page(2), RW, VmaKind::Heap), anon(page(5), page(8), RW, VmaKind::Heap)}));
    EXPECT_EQ(set.find(page(3)), nullptr);
}

TEST_F(VmaSetTest, RemoveAcrossSeveralVmasWithHoles) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(4), R)).is_error());
    ASSERT_FALSE(set.insert(anon(page(5), page(7), RW)).is_error());
    ASSERT_FALSE(set.insert(anon(page(8), page(9), RX)).is_error());
    ASSERT_FALSE(set.insert(anon(page(10), page(14), R)).is_error());
    ASSERT_FALSE(set.insert(anon(page(20), page(21), R)).is_error());
    std::vector<Vma> removed;
    ASSERT_FALSE(set.remove_range(page(2), page(12), Recorder {&removed}).is_error());
    EXPECT_EQ(removed, (std::vector {anon(page(2), page(4), R), anon(page(5), page(7), RW),
                           anon(page(8), page(9), RX), anon(page(10), page(12), R)}));
    EXPECT_EQ(contents(set),
        (std::vector {anon(page(0), page(2), R), anon(page(12), page(14), R), anon(page(20), page(21), R)}));

    // Exact VMA boundaries and a range covering nothing.
    removed.clear();
    ASSERT_FALSE(set.remove_range(page(12), page(21), Recorder {&removed}).is_error());
    EXPECT_EQ(removed, (std::vector {anon(page(12), page(14), R), anon(page(20), page(21), R)}));
    removed.clear();
    ASSERT_FALSE(set.remove_range(page(30), page(40), Recorder {&removed}).is_error());
    EXPECT_TRUE(removed.empty());
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(2), R)});
    ASSERT_FALSE(set.remove_range(0, page(50)).is_error());
    EXPECT_TRUE(set.is_empty());
}

TEST_F(VmaSetTest, RemoveRejectsBadRanges) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(4))).is_error());
    bool called = false;
    auto note = [&](const Vma&) { called = true; };
    EXPECT_EQ(set.remove_range(page(1) + 1, page(2), note).error(), Error::Invalid);
    EXPECT_EQ(set.remove_range(page(1), page(2) - 1, note).error(), Error::Invalid);
    EXPECT_EQ(set.remove_range(page(1), page(1), note).error(), Error::Invalid);
    EXPECT_EQ(set.remove_range(page(2), page(1), note).error(), Error::Invalid);
    EXPECT_FALSE(called);
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(4))});
}

TEST_F(VmaSetTest, SplittingAdjustsFileOffsetAndBytes) {
    VmaSet set;
    // 4 pages from offset 0x3000; the file provides 2.5 pages, the rest is zeros.
    ASSERT_FALSE(set.insert(file_vma(page(0), page(4), RX, k_file_a, 0x3000, 0x2800, VmaKind::Image)).is_error());
    std::vector<Vma> removed;
    ASSERT_FALSE(set.remove_range(page(1), page(2), Recorder {&removed}).is_error());
    EXPECT_EQ(removed, std::vector {file_vma(page(1), page(2), RX, k_file_a, 0x4000, P, VmaKind::Image)});
    EXPECT_EQ(contents(set), (std::vector {file_vma(page(0), page(1), RX, k_file_a, 0x3000, P, VmaKind::Image),
                                 file_vma(page(2), page(4), RX, k_file_a, 0x5000, 0x800, VmaKind::Image)}));
    removed.clear();
    ASSERT_FALSE(set.remove_range(page(2), page(3), Recorder {&removed}).is_error());
    EXPECT_EQ(removed, std::vector {file_vma(page(2), page(3), RX, k_file_a, 0x5000, 0x800, VmaKind::Image)});
    EXPECT_EQ(nth(set, 1), file_vma(page(3), page(4), RX, k_file_a, 0x6000, 0, VmaKind::Image));

    EXPECT_EQ(vma_slice(file_vma(page(0), page(4), R, k_file_a, 0, 0x2800), page(2), page(3)),
        file_vma(page(2), page(3), R, k_file_a, 0x2000, 0x800));
}

// ---- protect_range -------------------------------------------------------------

TEST_F(VmaSetTest, ProtectSplitsAndMergesBack) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(6), RW)).is_error());
    ASSERT_FALSE(set.protect_range(page(2), page(4), R).is_error());
    EXPECT_EQ(contents(set),
        (std::vector {anon(page(0), page(2), RW), anon(page(2), page(4), R), anon(page(4), page(6), RW)}));
    ASSERT_FALSE(set.protect_range(page(2), page(4), RW).is_error());
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(6), RW)});

    // At the edges: one split each.
    ASSERT_FALSE(set.protect_range(page(0), page(1), R).is_error());
    ASSERT_FALSE(set.protect_range(page(5), page(6), R).is_error());
    EXPECT_EQ(contents(set),
        (std::vector {anon(page(0), page(1), R), anon(page(1), page(5), RW), anon(page(5), page(6), R)}));
    ASSERT_FALSE(set.protect_range(page(0), page(6), RX).is_error());
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(6), RX)});
    // Empty range: nothing to do.
    EXPECT_FALSE(set.protect_range(page(3), page(3), R).is_error());
    EXPECT_EQ(set.protect_range(page(3) + 1, page(4), R).error(), Error::Invalid);
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(6), RX)});
}

TEST_F(VmaSetTest, UpdateRangeSplitsForLockFlagsAndMergesBack) {
    auto lock = [](Vma& vma, const void* on) { vma.locked = *static_cast<const bool*>(on); };
    auto locked = [](Vma vma) {
        vma.locked = true;
        return vma;
    };
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(6), RW)).is_error());
    const bool yes = true, no = false;
    ASSERT_FALSE(set.update_range(page(1), page(3), lock, &yes).is_error());
    EXPECT_EQ(contents(set), (std::vector {anon(page(0), page(1), RW), locked(anon(page(1), page(3), RW)),
                                           anon(page(3), page(6), RW)}));
    // Locking what is locked changes nothing and splits nothing.
    ASSERT_FALSE(set.update_range(page(2), page(3), lock, &yes).is_error());
    EXPECT_EQ(set.size(), 3u);
    // A protection change keeps the flag, and VMAs that differ only in it
    // stay apart.
    ASSERT_FALSE(set.protect_range(page(0), page(6), R).is_error());
    EXPECT_EQ(contents(set), (std::vector {anon(page(0), page(1), R), locked(anon(page(1), page(3), R)),
                                           anon(page(3), page(6), R)}));
    ASSERT_FALSE(set.update_range(page(0), page(6), lock, &no).is_error());
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(6), R)});
    // A hole: NoMemory, and nothing changed.
    ASSERT_FALSE(set.remove_range(page(4), page(5)).is_error());
    EXPECT_EQ(set.update_range(page(3), page(6), lock, &yes).error(), Error::NoMemory);
    EXPECT_EQ(contents(set), (std::vector {anon(page(0), page(4), R), anon(page(5), page(6), R)}));
    set.update_all(lock, &yes);
    EXPECT_EQ(contents(set), (std::vector {locked(anon(page(0), page(4), R)), locked(anon(page(5), page(6), R))}));
}

TEST_F(VmaSetTest, ProtectAcrossVmasKeepsFileOffsets) {
    VmaSet set;
    ASSERT_FALSE(set.insert(file_vma(page(0), page(3), R, k_file_a, 0, 3 * P)).is_error());
    ASSERT_FALSE(set.insert(anon(page(3), page(6), R)).is_error());
    ASSERT_FALSE(set.protect_range(page(1), page(5), RW).is_error());
    EXPECT_EQ(contents(set), (std::vector {file_vma(page(0), page(1), R, k_file_a, 0, P),
                                 file_vma(page(1), page(3), RW, k_file_a, P, 2 * P), anon(page(3), page(5), RW),
                                 anon(page(5), page(6), R)}));
}

TEST_F(VmaSetTest, ProtectFailsWithNoMemoryOnHoles) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(2), RW)).is_error());
    ASSERT_FALSE(set.insert(anon(page(3), page(5), RW)).is_error());
    auto before = contents(set);
    EXPECT_EQ(set.protect_range(page(1), page(4), R).error(), Error::NoMemory);    // hole in the middle
    EXPECT_EQ(set.protect_range(page(4), page(6), R).error(), Error::NoMemory);    // past the end
    EXPECT_EQ(set.protect_range(B - P, page(1), R).error(), Error::NoMemory);      // before the start
    EXPECT_EQ(set.protect_range(page(10), page(11), R).error(), Error::NoMemory);  // nothing there
    EXPECT_EQ(contents(set), before);
}

// ---- find_free -----------------------------------------------------------------

TEST_F(VmaSetTest, FindFreeFirstFit) {
    VmaSet set;
    const VirtAddr limit = page(100);
    EXPECT_EQ(set.find_free(P, B, limit), B);
    ASSERT_FALSE(set.insert(anon(page(0), page(2))).is_error());
    ASSERT_FALSE(set.insert(anon(page(3), page(5))).is_error());
    ASSERT_FALSE(set.insert(anon(page(7), page(8))).is_error());
    EXPECT_EQ(set.find_free(P, B, limit), page(2));          // the one-page gap
    EXPECT_EQ(set.find_free(2 * P, B, limit), page(5));      // an exact fit
    EXPECT_EQ(set.find_free(3 * P, B, limit), page(8));      // after the last VMA
    EXPECT_EQ(set.find_free(P + 1, B, limit), page(5));      // rounded up to 2 pages
    EXPECT_EQ(set.find_free(P, page(1), limit), page(2));    // minimum inside a VMA
    EXPECT_EQ(set.find_free(P, B - P, limit), B - P);        // minimum below everything
    EXPECT_EQ(set.find_free(P, B - P + 5, limit), page(2));  // minimum rounded up
    EXPECT_EQ(set.find_free(0, B, limit), std::nullopt);
    EXPECT_EQ(set.find_free(~0ull, B, limit), std::nullopt);
}

TEST_F(VmaSetTest, FindFreeRespectsLimit) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(2))).is_error());
    EXPECT_EQ(set.find_free(2 * P, B, page(4)), page(2));
    EXPECT_EQ(set.find_free(3 * P, B, page(4)), std::nullopt);
    EXPECT_EQ(set.find_free(P, B, page(2)), std::nullopt);
    EXPECT_EQ(set.find_free(P, page(5), page(4)), std::nullopt);  // minimum above the limit
    EXPECT_EQ(set.find_free(P, ~0ull - 10, ~0ull), std::nullopt);  // rounding would wrap
}

TEST_F(VmaSetTest, FindFreeHint) {
    VmaSet set;
    const VirtAddr limit = page(20);
    ASSERT_FALSE(set.insert(anon(page(0), page(2))).is_error());
    ASSERT_FALSE(set.insert(anon(page(10), page(12))).is_error());
    EXPECT_EQ(set.find_free(P, B, limit, page(5)), page(5));          // free at the hint
    EXPECT_EQ(set.find_free(P, B, limit, page(5) + 1), page(6));      // hint rounded up
    EXPECT_EQ(set.find_free(P, B, limit, page(11)), page(12));        // hint inside a VMA
    EXPECT_EQ(set.find_free(8 * P, B, limit, page(5)), page(12));     // no room at the hint
    EXPECT_EQ(set.find_free(8 * P, B, limit, page(13)), page(2));     // nothing above: fall back
    EXPECT_EQ(set.find_free(P, page(3), limit, page(1)), page(3));    // hint below minimum
    EXPECT_EQ(set.find_free(9 * P, B, limit, page(13)), std::nullopt);
}

// ---- resize_end and extend_down ------------------------------------------------------

TEST_F(VmaSetTest, ResizeEndGrowsAndShrinksTheHeap) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(1), RW, VmaKind::Heap)).is_error());
    ASSERT_FALSE(set.insert(anon(page(10), page(11), R)).is_error());
    ASSERT_FALSE(set.resize_end(page(0), page(4)).is_error());
    EXPECT_EQ(nth(set, 0), anon(page(0), page(4), RW, VmaKind::Heap));
    ASSERT_FALSE(set.resize_end(page(0), page(10)).is_error());  // up to the next VMA
    EXPECT_EQ(set.resize_end(page(0), page(11)).error(), Error::Exists);
    ASSERT_FALSE(set.resize_end(page(0), page(2)).is_error());
    EXPECT_EQ(contents(set), (std::vector {anon(page(0), page(2), RW, VmaKind::Heap), anon(page(10), page(11), R)}));

    EXPECT_EQ(set.resize_end(page(1), page(3)).error(), Error::NotFound);  // not a VMA start
    EXPECT_EQ(set.resize_end(page(5), page(6)).error(), Error::NotFound);
    EXPECT_EQ(set.resize_end(page(0), page(0)).error(), Error::Invalid);
    EXPECT_EQ(set.resize_end(page(0), page(3) + 1).error(), Error::Invalid);
    ASSERT_FALSE(set.resize_end(page(10), page(30)).is_error());  // the last VMA grows freely
    EXPECT_EQ(set.find(page(29))->start, page(10));
}

TEST_F(VmaSetTest, ResizeEndClipsFileBytes) {
    VmaSet set;
    ASSERT_FALSE(set.insert(file_vma(page(0), page(4), RW, k_file_a, 0x1000, 0x3800, VmaKind::Image)).is_error());
    ASSERT_FALSE(set.resize_end(page(0), page(2)).is_error());
    EXPECT_EQ(nth(set, 0), file_vma(page(0), page(2), RW, k_file_a, 0x1000, 2 * P, VmaKind::Image));
    ASSERT_FALSE(set.resize_end(page(0), page(5)).is_error());  // grown part reads zeros
    EXPECT_EQ(nth(set, 0), file_vma(page(0), page(5), RW, k_file_a, 0x1000, 2 * P, VmaKind::Image));
}

TEST_F(VmaSetTest, ExtendDownGrowsTheStack) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(2), R)).is_error());
    ASSERT_FALSE(set.insert(anon(page(10), page(12), RW, VmaKind::Stack)).is_error());
    ASSERT_FALSE(set.extend_down(set.find(page(10)), page(6)).is_error());
    EXPECT_EQ(nth(set, 1), anon(page(6), page(12), RW, VmaKind::Stack));
    ASSERT_FALSE(set.extend_down(set.find(page(6)), page(6)).is_error());  // no change
    EXPECT_EQ(set.extend_down(set.find(page(6)), page(1)).error(), Error::Exists);
    EXPECT_EQ(set.extend_down(set.find(page(6)), page(7)).error(), Error::Invalid);  // that would shrink
    EXPECT_EQ(set.extend_down(set.find(page(6)), page(5) + 8).error(), Error::Invalid);
    ASSERT_FALSE(set.extend_down(set.find(page(6)), page(2)).is_error());  // up to the previous VMA
    EXPECT_EQ(nth(set, 1), anon(page(2), page(12), RW, VmaKind::Stack));
    ASSERT_FALSE(set.extend_down(set.find(page(0)), B - 4 * P).is_error());  // the first VMA
    EXPECT_EQ(set.begin()->start, B - 4 * P);

    ASSERT_FALSE(set.insert(file_vma(page(20), page(21), R, k_file_a, 0, 0)).is_error());
    EXPECT_EQ(set.extend_down(set.find(page(20)), page(19)).error(), Error::Invalid);  // file-backed
}

TEST_F(VmaSetTest, ExtendDownRejectsForeignPointer) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(2), R)).is_error());
    Vma other = anon(page(10), page(11));
    EXPECT_DEATH((void)set.extend_down(&other, page(9)), "VERIFY");
}

// ---- clone and clear -----------------------------------------------------------------

TEST_F(VmaSetTest, CloneIsIndependent) {
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(4), RW, VmaKind::Heap)).is_error());
    ASSERT_FALSE(set.insert(file_vma(page(8), page(9), RX, k_file_a, 0x2000, 0x10, VmaKind::Image)).is_error());
    auto cloned = set.clone();
    ASSERT_FALSE(cloned.is_error());
    VmaSet copy = cloned.release_value();
    EXPECT_EQ(contents(copy), contents(set));
    ASSERT_FALSE(copy.remove_range(page(0), page(2)).is_error());
    EXPECT_EQ(set.find(page(0))->start, page(0));
    EXPECT_EQ(copy.find(page(0)), nullptr);

    host_kmalloc_fail_after(0);
    auto failed = set.clone();
    host_kmalloc_fail_after(-1);
    ASSERT_TRUE(failed.is_error());
    EXPECT_EQ(failed.error(), Error::NoMemory);

    VmaSet empty;
    auto empty_clone = empty.clone();
    ASSERT_FALSE(empty_clone.is_error());
    EXPECT_TRUE(empty_clone.value().is_empty());

    set.clear();
    EXPECT_TRUE(set.is_empty());
    EXPECT_EQ(set.find(page(0)), nullptr);
    ASSERT_FALSE(set.insert(anon(page(0), page(1))).is_error());
    EXPECT_EQ(set.size(), 1u);
}

// ---- Out of memory: all-or-nothing --------------------------------------------------------

TEST_F(VmaSetTest, InsertOutOfMemoryChangesNothing) {
    VmaSet set = full_set({anon(page(0), page(2), R), anon(page(4), page(6), R)});
    auto before = contents(set);
    host_kmalloc_fail_after(0);
    EXPECT_EQ(set.insert(anon(page(8), page(9), RW)).error(), Error::NoMemory);
    EXPECT_EQ(contents(set), before);
    // Merging needs no allocation.
    EXPECT_FALSE(set.insert(anon(page(2), page(4), R)).is_error());
    host_kmalloc_fail_after(-1);
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(6), R)});
}

TEST_F(VmaSetTest, RemoveOutOfMemoryChangesNothing) {
    VmaSet set = full_set({anon(page(0), page(8), RW), anon(page(10), page(12), R)});
    auto before = contents(set);
    std::vector<Vma> removed;
    host_kmalloc_fail_after(0);
    EXPECT_EQ(set.remove_range(page(2), page(4), Recorder {&removed}).error(), Error::NoMemory);
    EXPECT_TRUE(removed.empty());
    EXPECT_EQ(contents(set), before);
    // Removals that split nothing in two need no allocation.
    ASSERT_FALSE(set.remove_range(page(6), page(11), Recorder {&removed}).is_error());
    EXPECT_EQ(removed, (std::vector {anon(page(6), page(8), RW), anon(page(10), page(11), R)}));
    host_kmalloc_fail_after(1);
    removed.clear();
    ASSERT_FALSE(set.remove_range(page(2), page(4), Recorder {&removed}).is_error());
    host_kmalloc_fail_after(-1);
    EXPECT_EQ(removed, std::vector {anon(page(2), page(4), RW)});
    EXPECT_EQ(contents(set),
        (std::vector {anon(page(0), page(2), RW), anon(page(4), page(6), RW), anon(page(11), page(12), R)}));
}

TEST_F(VmaSetTest, ProtectOutOfMemoryChangesNothing) {
    VmaSet set = full_set({anon(page(0), page(8), RW), anon(page(8), page(12), R)});
    auto before = contents(set);
    host_kmalloc_fail_after(0);
    EXPECT_EQ(set.protect_range(page(2), page(4), R).error(), Error::NoMemory);  // middle: 2 splits
    EXPECT_EQ(set.protect_range(page(2), page(10), RX).error(), Error::NoMemory);  // 2 VMAs, 2 splits
    EXPECT_EQ(set.protect_range(page(0), page(10), RX).error(), Error::NoMemory);  // 1 split
    EXPECT_EQ(contents(set), before);
    // Whole VMAs need no split and no allocation (and merge).
    ASSERT_FALSE(set.protect_range(page(0), page(8), R).is_error());
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(12), R)});
    host_kmalloc_fail_after(-1);
}

// ---- The VMA limit (vm.max_map_count) and many VMAs ------------------------------------

// The AVL bound on the height of a tree of n nodes (Knuth, TAOCP 6.2.3).
unsigned max_tree_height(size_t n) { return static_cast<unsigned>(1.4405 * std::log2(double(n) + 2) - 0.3277); }

TEST_F(VmaSetTest, LimitIsLinuxDefaultMaxMapCount) {
    EXPECT_EQ(k_max_vmas, 65530u);
    VmaSet set;
    EXPECT_EQ(set.max_count(), k_max_vmas);
    VmaSet small(3);
    EXPECT_EQ(small.max_count(), 3u);
    auto cloned = small.clone();
    ASSERT_FALSE(cloned.is_error());
    EXPECT_EQ(cloned.value().max_count(), 3u);
}

TEST_F(VmaSetTest, LimitCountsWhatIsLeftAfterMerging) {
    VmaSet set(3);
    ASSERT_FALSE(set.insert(anon(page(0), page(8), RW)).is_error());
    ASSERT_FALSE(set.protect_range(page(2), page(4), R).is_error());  // 3 VMAs
    auto before = contents(set);
    EXPECT_EQ(set.protect_range(page(5), page(6), R).error(), Error::NoMemory);  // would be 5
    EXPECT_EQ(set.protect_range(page(7), page(8), R).error(), Error::NoMemory);  // would be 4
    EXPECT_EQ(set.remove_range(page(5), page(6)).error(), Error::NoMemory);      // would be 4
    EXPECT_EQ(set.insert(anon(page(9), page(10), RW, VmaKind::Heap)).error(), Error::NoMemory);
    EXPECT_EQ(contents(set), before);
    // Split, but merged with the neighbour: still 3.
    ASSERT_FALSE(set.protect_range(page(4), page(5), R).is_error());
    EXPECT_EQ(contents(set), (std::vector {anon(page(0), page(2), RW), anon(page(2), page(5), R),
                                 anon(page(5), page(8), RW)}));
    // Already R: nothing to split (Linux does not split it either).
    ASSERT_FALSE(set.protect_range(page(3), page(4), R).is_error());
    // Merging inserts and removals that split nothing need no room.
    ASSERT_FALSE(set.insert(anon(page(8), page(9), RW)).is_error());
    ASSERT_FALSE(set.remove_range(page(7), page(9)).is_error());
    ASSERT_FALSE(set.remove_range(page(0), page(2)).is_error());
    EXPECT_EQ(set.size(), 2u);
    ASSERT_FALSE(set.insert(anon(page(9), page(10), RW, VmaKind::Heap)).is_error());
    EXPECT_EQ(set.size(), 3u);
    // A lower limit only stops growth.
    set.set_max_count(1);
    ASSERT_FALSE(set.protect_range(page(2), page(7), R).is_error());
    EXPECT_EQ(set.size(), 2u);
    EXPECT_EQ(set.protect_range(page(3), page(4), RW).error(), Error::NoMemory);
}

// Fills a set to 65,530 VMAs by mprotecting every other page of one mapping,
// then checks that every operation that would add a VMA fails with NoMemory
// and changes nothing, and that the ones that do not add one still work.
TEST_F(VmaSetTest, FillToTheLimitBySplitting) {
    VmaSet set;
    constexpr uint64_t k_pages = 2 * k_max_vmas + 16;
    ASSERT_FALSE(set.insert(anon(page(0), page(k_pages), k_prot_none)).is_error());
    uint64_t next_odd = 1;
    // Each call turns the tail VMA into three.
    for (; set.size() + 2 <= k_max_vmas; next_odd += 2)
        ASSERT_FALSE(set.protect_range(page(next_odd), page(next_odd + 1), R).is_error()) << next_odd;
    ASSERT_EQ(set.size(), k_max_vmas - 1);
    // One more in the middle needs two splits: one too many.
    auto before = contents(set);
    size_t live_before = host_kmalloc_live_objects();
    EXPECT_EQ(set.protect_range(page(next_odd), page(next_odd + 1), R).error(), Error::NoMemory);
    EXPECT_EQ(contents(set), before);
    EXPECT_EQ(host_kmalloc_live_objects(), live_before);
    // At the end of the tail it needs one: exactly the limit.
    const VirtAddr top = page(k_pages);
    ASSERT_FALSE(set.protect_range(top - P, top, R).is_error());
    ASSERT_EQ(set.size(), k_max_vmas);
    EXPECT_TRUE(set.tree_is_valid());
    EXPECT_LE(set.tree_height(), max_tree_height(set.size()));

    // Full: whatever would add a VMA fails and changes nothing.
    before = contents(set);
    live_before = host_kmalloc_live_objects();
    EXPECT_EQ(set.protect_range(top - 5 * P, top - 4 * P, R).error(), Error::NoMemory);   // two splits
    EXPECT_EQ(set.protect_range(top - 2 * P, top - P, RW).error(), Error::NoMemory);      // one split
    EXPECT_EQ(set.remove_range(top - 5 * P, top - 4 * P).error(), Error::NoMemory);       // a hole in a VMA
    EXPECT_EQ(set.insert(anon(top + 2 * P, top + 3 * P, R)).error(), Error::NoMemory);    // a new VMA
    EXPECT_EQ(contents(set), before);
    EXPECT_EQ(host_kmalloc_live_objects(), live_before);

    // What adds nothing still works: a split that merges, a merging insert,
    // removals at VMA edges, a copy.
    ASSERT_FALSE(set.protect_range(top - 2 * P, top - P, R).is_error());
    ASSERT_FALSE(set.insert(anon(top, top + P, R)).is_error());
    ASSERT_FALSE(set.remove_range(top, top + P).is_error());
    EXPECT_EQ(set.size(), k_max_vmas);
    auto cloned = set.clone();
    ASSERT_FALSE(cloned.is_error());
    EXPECT_EQ(cloned.value().size(), k_max_vmas);
    EXPECT_EQ(cloned.value().insert(anon(top + 2 * P, top + 3 * P, R)).error(), Error::NoMemory);
    // Unmapping a whole VMA makes room for one more.
    ASSERT_FALSE(set.remove_range(page(1), page(2)).is_error());
    ASSERT_FALSE(set.insert(anon(top + 2 * P, top + 3 * P, R)).is_error());
    EXPECT_EQ(set.insert(anon(top + 4 * P, top + 5 * P, R)).error(), Error::NoMemory);

    // Protecting it all alike merges it back into one VMA per run.
    ASSERT_FALSE(set.protect_range(page(2), top, RW).is_error());
    EXPECT_EQ(contents(set), (std::vector {anon(page(0), page(1), k_prot_none), anon(page(2), top, RW),
                                 anon(top + 2 * P, top + 3 * P, R)}));
    EXPECT_TRUE(set.tree_is_valid());
}

// Issue 16: with a vector, 16,384 of these took 53 s. Asserts the structure
// (balanced, every VMA where it belongs), not the time.
TEST_F(VmaSetTest, AlternatePageProtectionKeepsTheTreeBalanced) {
    constexpr uint64_t k_calls = 16384;
    constexpr uint64_t k_pages = 2 * k_calls;
    VmaSet set;
    ASSERT_FALSE(set.insert(anon(page(0), page(k_pages), RW)).is_error());
    for (uint64_t i = 0; i < k_calls; ++i)
        ASSERT_FALSE(set.protect_range(page(2 * i + 1), page(2 * i + 2), R).is_error()) << i;
    ASSERT_EQ(set.size(), k_pages);  // RW, R, RW, R, ...
    EXPECT_TRUE(set.tree_is_valid());
    EXPECT_LE(set.tree_height(), max_tree_height(k_pages));
    uint64_t n = 0;
    for (const Vma& vma : set) {
        ASSERT_EQ(vma, anon(page(n), page(n + 1), n % 2 ? R : RW));
        ++n;
    }
    for (uint64_t p : {uint64_t {0}, uint64_t {1}, uint64_t {12345}, k_pages - 1}) {
        ASSERT_NE(set.find(page(p) + 5), nullptr);
        EXPECT_EQ(set.find(page(p) + 5)->start, page(p));
    }

    // Back to RW in a scattered order: every call merges three VMAs into one.
    for (uint64_t i = 0; i < k_calls; ++i) {
        uint64_t j = (i * 7919) % k_calls;  // 7919 is prime: a permutation
        ASSERT_FALSE(set.protect_range(page(2 * j + 1), page(2 * j + 2), RW).is_error()) << j;
        if (i % 4096 == 0) {
            EXPECT_TRUE(set.tree_is_valid());
            EXPECT_LE(set.tree_height(), max_tree_height(set.size()));
        }
    }
    EXPECT_EQ(contents(set), std::vector {anon(page(0), page(k_pages), RW)});

    // And munmap of every other page, then of everything.
    for (uint64_t i = 0; i < k_calls; ++i)
        ASSERT_FALSE(set.remove_range(page(2 * i + 1), page(2 * i + 2)).is_error()) << i;
    EXPECT_EQ(set.size(), k_calls);
    EXPECT_LE(set.tree_height(), max_tree_height(k_calls));
    uint64_t removed = 0;
    ASSERT_FALSE(set.remove_range(0, page(k_pages), [&](const Vma& piece) {
        EXPECT_EQ(piece.start, page(2 * removed));
        ++removed;
    }).is_error());
    EXPECT_EQ(removed, k_calls);
    EXPECT_TRUE(set.is_empty());
}

// ---- Randomized comparison against a page-granular model ---------------------------------

struct PageState {
    uint32_t prot;
    VmaKind kind;
    const void* file;
    uint64_t offset;  // file offset of the page (0 without a file)
    uint64_t bytes;   // file bytes in the page
    bool operator==(const PageState&) const = default;
};
using Model = std::map<VirtAddr, PageState>;

PageState page_state(const Vma& vma, VirtAddr address) {
    uint64_t skipped = address - vma.start;
    uint64_t bytes = vma.file_bytes > skipped ? std::min<uint64_t>(vma.file_bytes - skipped, P) : 0;
    return {vma.prot, vma.kind, vma.file, vma.file ? vma.file_offset + skipped : 0, bytes};
}

void add_pages(Model& model, const Vma& vma) {
    for (VirtAddr address = vma.start; address < vma.end; address += P)
        model[address] = page_state(vma, address);
}

// Checks the invariants and expands the set into pages.
Model expand(const VmaSet& set) {
    EXPECT_TRUE(set.tree_is_valid());
    Model model;
    VirtAddr previous_end = 0;
    for (const Vma& vma : set) {
        EXPECT_EQ(vma.start % P, 0u) << describe(vma);
        EXPECT_EQ(vma.end % P, 0u) << describe(vma);
        EXPECT_LT(vma.start, vma.end) << describe(vma);
        EXPECT_GE(vma.start, previous_end) << describe(vma);
        EXPECT_LE(vma.file_bytes, vma.size()) << describe(vma);
        if (!vma.file) {
            EXPECT_EQ(vma.file_bytes, 0u) << describe(vma);
            EXPECT_EQ(vma.file_offset, 0u) << describe(vma);
        }
        previous_end = vma.end;
        add_pages(model, vma);
    }
    return model;
}

bool range_free(const Model& model, VirtAddr start, VirtAddr end) {
    auto it = model.lower_bound(start);
    return it == model.end() || it->first >= end;
}

bool range_covered(const Model& model, VirtAddr start, VirtAddr end) {
    for (VirtAddr address = start; address < end; address += P)
        if (!model.count(address))
            return false;
    return true;
}

std::optional<VirtAddr> model_find_free(
    const Model& model, uint64_t size, VirtAddr minimum, VirtAddr limit, VirtAddr hint) {
    uint64_t length = (size + P - 1) / P * P;
    auto search = [&](VirtAddr from) -> std::optional<VirtAddr> {
        for (VirtAddr c = (from + P - 1) / P * P; c + length <= limit; c += P)
            if (range_free(model, c, c + length))
                return c;
        return std::nullopt;
    };
    if (size == 0)
        return std::nullopt;
    if (hint > minimum)
        if (auto found = search(hint))
            return found;
    return search(minimum);
}

struct RandomConfig {
    uint64_t pages = 48;             // the VMAs live in [page(0), page(pages + 6))
    size_t max_count = k_max_vmas;   // the set's VMA limit
    int check_every = 1;             // steps between full comparisons with the model
    uint64_t clear_odds = 50;        // one idle step in this many clears the set
};

class RandomModel {
public:
    explicit RandomModel(uint32_t seed, RandomConfig config = {})
        : m_random(seed), m_config(config), m_set(config.max_count) {}

    void run(int steps) {
        const bool limited = m_config.max_count < k_max_vmas;
        for (int step = 0; step < steps && !::testing::Test::HasFailure(); ++step) {
            SCOPED_TRACE("step " + std::to_string(step));
            m_oom = pick(4) == 0;
            std::vector<Vma> before = contents(m_set);
            // The same operation on an unlimited copy tells whether the limit
            // had to stop it.
            VmaSet unlimited;
            if (limited) {
                auto cloned = m_set.clone();
                ASSERT_FALSE(cloned.is_error());
                unlimited = cloned.release_value();
                unlimited.set_max_count(k_max_vmas);
            }
            if (m_oom) {
                // Cloning first tests clone() under the model too.
                auto cloned = m_set.clone();
                ASSERT_FALSE(cloned.is_error());
                m_set = cloned.release_value();
                EXPECT_EQ(m_set.max_count(), m_config.max_count);
                host_kmalloc_fail_after(pick(2));
            }
            m_replay = nullptr;
            ErrorOr<void> result = one_operation();
            host_kmalloc_fail_after(-1);
            bool over_limit = false;
            if (limited && m_replay && !m_replay(unlimited).is_error()) {
                over_limit = unlimited.size() > before.size() && unlimited.size() > m_config.max_count;
                if (over_limit) {
                    ++m_limit_hits;
                    EXPECT_TRUE(result.is_error() && result.error() == Error::NoMemory)
                        << "operation " << m_operation << " exceeds the limit";
                } else if (!result.is_error()) {
                    EXPECT_EQ(contents(m_set), contents(unlimited)) << "operation " << m_operation;
                }
            }
            if (!result.is_error() && m_set.size() > before.size())
                EXPECT_LE(m_set.size(), m_config.max_count) << "operation " << m_operation;
            if (result.is_error() && result.error() == Error::NoMemory && (m_oom || over_limit) &&
                !m_expect_no_memory) {
                // Injected failure or the limit: nothing may have changed.
                EXPECT_EQ(contents(m_set), before);
                m_model = m_saved;
            } else if (result.is_error()) {
                EXPECT_EQ(result.error(), m_expected) << "operation " << m_operation;
                EXPECT_EQ(contents(m_set), before);
                m_model = m_saved;
            } else {
                EXPECT_EQ(m_expected, Error {}) << "operation " << m_operation << " should fail";
            }
            if (step % m_config.check_every == 0)
                EXPECT_EQ(expand(m_set), m_model) << "operation " << m_operation;
            ++m_counts[m_operation];
            m_largest = std::max(m_largest, m_set.size());
        }
        EXPECT_EQ(expand(m_set), m_model);
        for (int operation = 0; operation < 10; ++operation)
            EXPECT_GT(m_counts[operation], 0) << "operation " << operation << " never ran";
        if (limited)
            EXPECT_GT(m_limit_hits, 0) << "the limit never stopped an operation";
    }

    size_t largest() const { return m_largest; }

private:
    uint64_t pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(m_random); }
    VirtAddr random_page() { return page(pick(m_config.pages)); }

    Vma random_vma() {
        VirtAddr start = random_page();
        VirtAddr end = start + (1 + pick(6)) * P;
        static constexpr uint32_t prots[] = {R, RW, RX};
        Vma vma {start, end, prots[pick(3)], VmaKind::Anonymous, nullptr, 0, 0};
        switch (pick(3)) {
        case 0:
            vma.kind = pick(2) ? VmaKind::Anonymous : VmaKind::Heap;
            vma.file_offset = pick(2) * P;  // ignored without a file
            break;
        default:
            vma.kind = pick(2) ? VmaKind::File : VmaKind::Image;
            vma.file = pick(2) ? k_file_a : k_file_b;
            // Offsets that follow the address make merges likely.
            vma.file_offset = pick(4) ? start - B : pick(8) * P;
            switch (pick(3)) {
            case 0: vma.file_bytes = 0; break;
            case 1: vma.file_bytes = vma.size(); break;
            default: vma.file_bytes = pick(vma.size() + 1); break;
            }
        }
        return vma;
    }

    // The VMA (of the real set) to resize, or nullptr.
    const Vma* random_existing(bool anonymous_only) {
        std::vector<const Vma*> candidates;
        for (const Vma& vma : m_set)
            if (!anonymous_only || !vma.file)
                candidates.push_back(&vma);
        return candidates.empty() ? nullptr : candidates[pick(candidates.size())];
    }

    ErrorOr<void> one_operation() {
        m_saved = m_model;
        m_expected = Error {};
        m_expect_no_memory = false;
        m_operation = static_cast<int>(pick(10));
        switch (m_operation) {
        case 0: {
            Vma vma = random_vma();
            if (!range_free(m_model, vma.start, vma.end))
                m_expected = Error::Exists;
            else
                add_pages(m_model, vma);
            m_replay = [vma](VmaSet& set) { return set.insert(vma); };
            return m_set.insert(vma);
        }
        case 1: {
            VirtAddr start = random_page();
            VirtAddr end = start + (1 + pick(pick(2) ? 2 : 12)) * P;  // short ranges split a VMA in two
            Model removed_model;
            for (auto it = m_model.lower_bound(start); it != m_model.end() && it->first < end;)
                removed_model.insert(*it), it = m_model.erase(it);
            Model reported;
            VirtAddr last_end = 0;
            auto result = m_set.remove_range(start, end, [&](const Vma& piece) {
                EXPECT_GE(piece.start, start);
                EXPECT_LE(piece.end, end);
                EXPECT_GE(piece.start, last_end) << "pieces out of order";
                last_end = piece.end;
                add_pages(reported, piece);
            });
            if (!result.is_error())
                EXPECT_EQ(reported, removed_model);
            else
                EXPECT_TRUE(reported.empty());
            m_replay = [start, end](VmaSet& set) { return set.remove_range(start, end); };
            return result;
        }
        case 2: {
            VirtAddr start = random_page();
            VirtAddr end = start + (1 + pick(10)) * P;
            static constexpr uint32_t prots[] = {R, RW, RX};
            uint32_t prot = prots[pick(3)];
            if (!range_covered(m_model, start, end)) {
                m_expected = Error::NoMemory;
                m_expect_no_memory = true;
            } else {
                for (VirtAddr address = start; address < end; address += P)
                    m_model[address].prot = prot;
            }
            m_replay = [start, end, prot](VmaSet& set) { return set.protect_range(start, end, prot); };
            return m_set.protect_range(start, end, prot);
        }
        case 3: {
            const Vma* vma = random_existing(false);
            if (!vma || pick(8) == 0) {
                VirtAddr start = random_page();
                if (!m_set.find(start) || m_set.find(start)->start != start)
                    m_expected = Error::NotFound;
                else
                    m_expected = Error::Invalid;
                return m_set.resize_end(start, start);
            }
            Vma old = *vma;
            VirtAddr new_end = old.start + (1 + pick(10)) * P;
            if (new_end > old.end) {
                if (!range_free(m_model, old.end, new_end)) {
                    m_expected = Error::Exists;
                } else {
                    Vma grown = old;
                    grown.end = new_end;
                    add_pages(m_model, grown);
                }
            } else {
                for (VirtAddr address = new_end; address < old.end; address += P)
                    m_model.erase(address);
            }
            return m_set.resize_end(old.start, new_end);
        }
        case 4: {
            const Vma* vma = random_existing(true);
            if (!vma) {  // nothing to extend: make a stack
                Vma stack = anon(random_page(), 0, RW, VmaKind::Stack);
                stack.end = stack.start + (1 + pick(3)) * P;
                if (!range_free(m_model, stack.start, stack.end))
                    m_expected = Error::Exists;
                else
                    add_pages(m_model, stack);
                m_replay = [stack](VmaSet& set) { return set.insert(stack); };
                return m_set.insert(stack);
            }
            Vma old = *vma;
            uint64_t pages_down = std::min<uint64_t>(pick(7), (old.start - B) / P);
            VirtAddr new_start = old.start - pages_down * P;
            if (!range_free(m_model, new_start, old.start)) {
                m_expected = Error::Exists;
            } else {
                Vma grown = old;
                grown.start = new_start;
                add_pages(m_model, grown);
            }
            return m_set.extend_down(vma, new_start);
        }
        case 5: {
            uint64_t size = pick(4) ? (1 + pick(8)) * P : pick(8 * P);
            VirtAddr minimum = random_page() - 4 * P + pick(2) * 7;
            VirtAddr limit = page(m_config.pages + 8) - pick(20) * P;
            VirtAddr hint = pick(2) ? 0 : random_page() + pick(2) * 5;
            EXPECT_EQ(m_set.find_free(size, minimum, limit, hint),
                model_find_free(m_model, size, minimum, limit, hint))
                << "size " << size << " minimum " << minimum << " limit " << limit << " hint " << hint;
            return {};
        }
        case 6: {
            VirtAddr address = B - 2 * P + pick((m_config.pages + 10) * P);
            const Vma* vma = m_set.find(address);
            auto it = m_model.find(address / P * P);
            EXPECT_EQ(vma != nullptr, it != m_model.end()) << address;
            if (vma && it != m_model.end()) {
                EXPECT_TRUE(vma->contains(address));
                EXPECT_EQ(page_state(*vma, address / P * P), it->second);
            }
            return {};
        }
        case 7: {
            VirtAddr start = random_page();
            VirtAddr end = start + pick(6) * P;
            EXPECT_EQ(m_set.is_free(start, end), range_free(m_model, start, end));
            return {};
        }
        case 8: {
            auto cloned = m_set.clone();
            if (cloned.is_error())
                return cloned.error();
            EXPECT_EQ(contents(cloned.value()), contents(m_set));
            m_set = cloned.release_value();
            return {};
        }
        default:
            if (pick(m_config.clear_odds) == 0) {
                m_set.clear();
                m_model.clear();
            }
            return {};
        }
    }

    std::mt19937_64 m_random;
    RandomConfig m_config;
    VmaSet m_set;
    // The last mutation, to run again on a set without the limit.
    std::function<ErrorOr<void>(VmaSet&)> m_replay;
    size_t m_limit_hits {0};
    size_t m_largest {0};
    Model m_model;
    Model m_saved;
    Error m_expected {};
    bool m_expect_no_memory {false};
    bool m_oom {false};
    int m_operation {0};
    int m_counts[10] {};
};

TEST_F(VmaSetTest, RandomOperationsMatchPageModel) {
    for (uint32_t seed : {1u, 2u, 3u, 4u}) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        RandomModel(seed).run(4000);
    }
}

// A limit the random operations keep running into: an operation fails with
// NoMemory, changing nothing, exactly when the same operation on an unlimited
// copy leaves more VMAs than the limit (and more than before).
TEST_F(VmaSetTest, RandomOperationsRespectTheLimit) {
    for (size_t limit : {1u, 4u, 8u, 12u}) {
        for (uint32_t seed : {5u, 6u}) {
            SCOPED_TRACE("limit " + std::to_string(limit) + " seed " + std::to_string(seed));
            RandomModel(seed, {.max_count = limit}).run(3000);
        }
    }
}

// Hundreds of VMAs over 1024 pages: many more tree shapes, rotations and
// merges across subtrees.
TEST_F(VmaSetTest, BigRandomStress) {
    for (uint32_t seed : {7u, 8u}) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        RandomModel model(seed, {.pages = 1024, .check_every = 25, .clear_odds = 1000});
        model.run(20000);
        EXPECT_GT(model.largest(), 120u);
    }
}

}  // namespace
