#include "kernel/mm/buddy_allocator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

using namespace akuma;
using namespace akuma::mm;

namespace {

constexpr uint64_t k_page = BuddyArena::k_page_size;
constexpr unsigned k_max_order = BuddyArena::k_max_order;

// Simulated RAM behind the arena: page contents live in one aligned buffer.
class HostPages final : public PageAccess {
public:
    HostPages(uint64_t base_pfn, uint64_t count)
        : m_base(base_pfn)
        , m_count(count)
        , m_bytes(static_cast<uint8_t*>(std::aligned_alloc(k_page, count * k_page)), &std::free) {
        std::memset(m_bytes.get(), 0x5a, count * k_page);
    }
    uint8_t* page_contents(uint64_t pfn) override {
        EXPECT_TRUE(pfn >= m_base && pfn < m_base + m_count) << "pfn " << pfn;
        return m_bytes.get() + (pfn - m_base) * k_page;
    }
    uint64_t word(uint64_t pfn, uint64_t offset) {
        uint64_t value;
        std::memcpy(&value, page_contents(pfn) + offset, sizeof(value));
        return value;
    }
    void set_word(uint64_t pfn, uint64_t offset, uint64_t value) {
        std::memcpy(page_contents(pfn) + offset, &value, sizeof(value));
    }

private:
    uint64_t m_base;
    uint64_t m_count;
    std::unique_ptr<uint8_t, decltype(&std::free)> m_bytes;
};

// An arena over [base, base + count) with its own descriptors and memory.
struct Fixture {
    Fixture(uint64_t base, uint64_t count, bool release_all = true)
        : pages(base, count)
        , descriptors(count) {
        EXPECT_FALSE(arena.initialize(base, count, descriptors, pages).is_error());
        if (release_all)
            EXPECT_FALSE(arena.add_free_range(base, count).is_error());
    }
    HostPages pages;
    std::vector<PageDescriptor> descriptors;
    BuddyArena arena;
};

uint64_t must(ErrorOr<uint64_t> result) {
    EXPECT_FALSE(result.is_error()) << (result.is_error() ? error_name(result.error()) : "");
    return result.is_error() ? 0 : result.value();
}

void must(ErrorOr<void> result) {
    EXPECT_FALSE(result.is_error()) << (result.is_error() ? error_name(result.error()) : "");
}

void expect_invariants(const BuddyArena& arena) {
    auto result = arena.check_invariants();
    EXPECT_FALSE(result.is_error()) << "check " << arena.last_error().offset << " at pfn " << std::hex
                                    << arena.last_error().pfn << " expected " << arena.last_error().expected
                                    << " found " << arena.last_error().found;
}

std::vector<uint64_t> free_block_counts(const BuddyArena& arena) {
    std::vector<uint64_t> counts;
    for (unsigned order = 0; order <= k_max_order; ++order)
        counts.push_back(arena.free_blocks(order));
    return counts;
}

void expect_error(
    ErrorOr<void> result, Error error, const BuddyArena& arena, BuddyErrorKind kind, uint64_t pfn) {
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), error);
    EXPECT_EQ(arena.last_error().kind, kind) << buddy_error_kind_name(arena.last_error().kind);
    EXPECT_EQ(arena.last_error().pfn, pfn);
}

TEST(BuddyAllocator, DescriptorIsSixteenBytes) {
    EXPECT_EQ(sizeof(PageDescriptor), 16u);
}

TEST(BuddyAllocator, InitializeRejectsBadArguments) {
    HostPages pages(0x100, 16);
    std::vector<PageDescriptor> descriptors(16);
    BuddyArena arena;
    EXPECT_EQ(arena.initialize(0x100, 0, descriptors, pages).error(), Error::Invalid);
    EXPECT_EQ(arena.initialize(0x100, 17, descriptors, pages).error(), Error::Invalid);
    EXPECT_EQ(arena.initialize(UINT64_MAX - 4, 16, descriptors, pages).error(), Error::Invalid);
    // An uninitialised arena owns nothing and allocates nothing.
    EXPECT_EQ(arena.allocate(0, 1).error(), Error::NoMemory);
    EXPECT_FALSE(arena.contains(0x100));
    must(arena.initialize(0x100, 16, descriptors, pages));
    EXPECT_TRUE(arena.contains(0x100));
    EXPECT_TRUE(arena.contains(0x10f));
    EXPECT_FALSE(arena.contains(0x110));
    EXPECT_FALSE(arena.contains(0xff));
}

TEST(BuddyAllocator, EverythingStartsReserved) {
    Fixture f(0x1000, 64, false);
    EXPECT_EQ(f.arena.total_pages(), 64u);
    EXPECT_EQ(f.arena.reserved_pages(), 64u);
    EXPECT_EQ(f.arena.free_pages(), 0u);
    EXPECT_EQ(f.arena.allocated_pages(), 0u);
    EXPECT_EQ(f.arena.descriptor(0x1000)->state, PageState::Reserved);
    EXPECT_EQ(f.arena.descriptor(0x1040), nullptr);
    EXPECT_EQ(f.arena.allocate(0, 1).error(), Error::NoMemory);
    expect_invariants(f.arena);
}

TEST(BuddyAllocator, AlignedArenaFormsMaximalBlocks) {
    Fixture f(0x40000, 4096);
    EXPECT_EQ(f.arena.free_pages(), 4096u);
    EXPECT_EQ(f.arena.reserved_pages(), 0u);
    std::vector<uint64_t> expected(k_max_order + 1, 0);
    expected[k_max_order] = 4;
    EXPECT_EQ(free_block_counts(f.arena), expected);
    expect_invariants(f.arena);
}

// 0x40003 + 1000 pages = 0x403eb: 1+4+8+...+256 up to 0x40200, then
// 256+128+64+32+8+2+1 to the end.
const std::vector<uint64_t> k_unaligned_blocks = { 2, 1, 1, 2, 1, 2, 2, 2, 2, 0, 0 };

TEST(BuddyAllocator, UnalignedArenaDecomposesIntoAlignedBlocks) {
    Fixture f(0x40003, 1000);
    EXPECT_EQ(free_block_counts(f.arena), k_unaligned_blocks);
    expect_invariants(f.arena);

    // Every page can be handed out, exactly once, then everything coalesces back.
    std::vector<uint64_t> pfns;
    for (;;) {
        auto result = f.arena.allocate(0, 7);
        if (result.is_error()) {
            EXPECT_EQ(result.error(), Error::NoMemory);
            break;
        }
        pfns.push_back(result.value());
    }
    ASSERT_EQ(pfns.size(), 1000u);
    std::sort(pfns.begin(), pfns.end());
    for (size_t i = 0; i < pfns.size(); ++i)
        ASSERT_EQ(pfns[i], 0x40003 + i);
    EXPECT_EQ(f.arena.free_pages(), 0u);
    expect_invariants(f.arena);
    std::shuffle(pfns.begin(), pfns.end(), std::mt19937(1));
    for (uint64_t pfn : pfns)
        must(f.arena.free(pfn));
    EXPECT_EQ(free_block_counts(f.arena), k_unaligned_blocks);
    expect_invariants(f.arena);
}

TEST(BuddyAllocator, PagesAddedInRandomOrderCoalesce) {
    Fixture f(0x800, 2048, false);
    std::vector<uint64_t> pfns;
    for (uint64_t pfn = 0x800; pfn < 0x800 + 2048; ++pfn)
        pfns.push_back(pfn);
    std::shuffle(pfns.begin(), pfns.end(), std::mt19937(2));
    for (size_t i = 0; i < pfns.size(); ++i) {
        must(f.arena.add_free_range(pfns[i], 1));
        if (i % 256 == 0)
            expect_invariants(f.arena);
    }
    std::vector<uint64_t> expected(k_max_order + 1, 0);
    expected[k_max_order] = 2;
    EXPECT_EQ(free_block_counts(f.arena), expected);
    expect_invariants(f.arena);
}

TEST(BuddyAllocator, AllocateReturnsAlignedBlocksAndMarksEveryPage) {
    Fixture f(0x40003, 1000);
    uint64_t pfn = must(f.arena.allocate(5, 42));
    EXPECT_EQ(pfn % 32, 0u);
    EXPECT_TRUE(f.arena.contains(pfn) && f.arena.contains(pfn + 31));
    EXPECT_EQ(f.arena.allocated_pages(), 32u);
    EXPECT_EQ(f.arena.free_pages(), 1000u - 32);
    for (uint64_t i = 0; i < 32; ++i) {
        const PageDescriptor* d = f.arena.descriptor(pfn + i);
        EXPECT_EQ(d->state, PageState::Allocated);
        EXPECT_EQ(d->owner, 42);
        EXPECT_EQ(d->flags & BuddyArena::k_flag_head, i == 0 ? BuddyArena::k_flag_head : 0);
    }
    EXPECT_EQ(f.arena.descriptor(pfn)->order, 5);
    EXPECT_EQ(f.arena.descriptor(pfn)->flags & BuddyArena::k_flag_run, 0);
    expect_invariants(f.arena);
    must(f.arena.free(pfn));
    EXPECT_EQ(f.arena.descriptor(pfn + 3)->state, PageState::Free);
    EXPECT_EQ(f.arena.descriptor(pfn + 3)->owner, 0);
    EXPECT_EQ(free_block_counts(f.arena), k_unaligned_blocks);
}

TEST(BuddyAllocator, AllocateRejectsTooLargeOrderAndReportsExhaustion) {
    Fixture f(0x40000, 1024);
    EXPECT_EQ(f.arena.allocate(k_max_order + 1, 1).error(), Error::Invalid);
    uint64_t pfn = must(f.arena.allocate(k_max_order, 1));
    EXPECT_EQ(pfn, 0x40000u);
    EXPECT_EQ(f.arena.allocate(0, 1).error(), Error::NoMemory);
    must(f.arena.free(pfn));
    // Splitting leaves one block of each lower order.
    uint64_t page = must(f.arena.allocate(0, 1));
    for (unsigned order = 0; order < k_max_order; ++order)
        EXPECT_EQ(f.arena.free_blocks(order), 1u) << order;
    EXPECT_EQ(f.arena.free_blocks(k_max_order), 0u);
    EXPECT_EQ(f.arena.free_blocks(k_max_order + 1), 0u);
    EXPECT_EQ(f.arena.allocate(k_max_order, 1).error(), Error::NoMemory);
    must(f.arena.free(page));
    EXPECT_EQ(f.arena.free_blocks(k_max_order), 1u);
}

TEST(BuddyAllocator, FreeErrorsAreDetectedAndChangeNothing) {
    Fixture f(0x1000, 256);
    must(f.arena.mark_reserved(0x1000, 4));
    uint64_t block = must(f.arena.allocate(2, 3));
    uint64_t freed = must(f.arena.allocate(0, 3));
    must(f.arena.free(freed));
    auto blocks_before = free_block_counts(f.arena);
    uint64_t free_before = f.arena.free_pages();

    expect_error(f.arena.free(freed), Error::Invalid, f.arena, BuddyErrorKind::DoubleFree, freed);
    EXPECT_EQ(f.arena.last_error().expected, static_cast<uint64_t>(PageState::Allocated));
    EXPECT_EQ(f.arena.last_error().found, static_cast<uint64_t>(PageState::Free));
    expect_error(f.arena.free(0x1002), Error::Invalid, f.arena, BuddyErrorKind::FreeOfReserved, 0x1002);
    expect_error(f.arena.free(block + 1), Error::Invalid, f.arena, BuddyErrorKind::NotBlockHead, block + 1);
    expect_error(f.arena.free(0x1100), Error::OutOfRange, f.arena, BuddyErrorKind::OutOfArena, 0x1100);
    EXPECT_EQ(f.arena.last_error().expected, 0x1000u);
    EXPECT_EQ(f.arena.last_error().found, 0x1100u);
    expect_error(f.arena.free(0xfff), Error::OutOfRange, f.arena, BuddyErrorKind::OutOfArena, 0xfff);
    expect_error(
        f.arena.free_contiguous(block, 3), Error::Invalid, f.arena, BuddyErrorKind::LengthMismatch, block);
    EXPECT_EQ(f.arena.last_error().expected, 4u);
    EXPECT_EQ(f.arena.last_error().found, 3u);

    EXPECT_EQ(free_block_counts(f.arena), blocks_before);
    EXPECT_EQ(f.arena.free_pages(), free_before);
    EXPECT_EQ(f.arena.allocated_pages(), 4u);
    EXPECT_EQ(f.arena.descriptor(block + 1)->state, PageState::Allocated);
    expect_invariants(f.arena);
    must(f.arena.free_contiguous(block, 4)); // a plain block is a run of 2^order pages
    expect_error(f.arena.free(block), Error::Invalid, f.arena, BuddyErrorKind::DoubleFree, block);
    expect_invariants(f.arena);
}

TEST(BuddyAllocator, ContiguousRunAllocatesExactlyAndReturnsTheTail) {
    Fixture f(0x40000, 1024);
    uint64_t run = must(f.arena.allocate_contiguous(3, 1, 9));
    EXPECT_EQ(f.arena.allocated_pages(), 3u);
    EXPECT_EQ(f.arena.free_pages(), 1021u);
    const PageDescriptor* head = f.arena.descriptor(run);
    EXPECT_EQ(head->flags, BuddyArena::k_flag_head | BuddyArena::k_flag_run);
    EXPECT_EQ(head->next, 3u);
    EXPECT_EQ(head->order, 2);
    EXPECT_EQ(f.arena.descriptor(run + 2)->owner, 9);
    EXPECT_EQ(f.arena.descriptor(run + 3)->state, PageState::Free);
    expect_invariants(f.arena);
    // The returned tail page is allocatable on its own.
    uint64_t single = must(f.arena.allocate(0, 1));
    EXPECT_EQ(single, run + 3);
    must(f.arena.free(single));

    // Plain free() frees exactly the run.
    must(f.arena.free(run));
    EXPECT_EQ(f.arena.allocated_pages(), 0u);
    EXPECT_EQ(f.arena.free_blocks(k_max_order), 1u);

    uint64_t big = must(f.arena.allocate_contiguous(513, 1, 1));
    EXPECT_EQ(f.arena.allocated_pages(), 513u);
    uint64_t aligned = must(f.arena.allocate_contiguous(5, 64, 1));
    EXPECT_EQ(aligned % 64, 0u);
    EXPECT_GE(aligned, big + 513);
    EXPECT_EQ(f.arena.allocated_pages(), 518u);
    EXPECT_EQ(f.arena.allocate_contiguous(600, 1, 1).error(), Error::NoMemory);
    expect_invariants(f.arena);
    must(f.arena.free_contiguous(aligned, 5));
    must(f.arena.free_contiguous(big, 513));
    EXPECT_EQ(f.arena.free_blocks(k_max_order), 1u);
    expect_invariants(f.arena);

    uint64_t whole = must(f.arena.allocate_contiguous(1024, 1024, 1));
    EXPECT_EQ(whole, 0x40000u);
    must(f.arena.free_contiguous(whole, 1024));
}

TEST(BuddyAllocator, ContiguousRejectsBadArguments) {
    Fixture f(0x40000, 1024);
    EXPECT_EQ(f.arena.allocate_contiguous(0, 1, 1).error(), Error::Invalid);
    EXPECT_EQ(f.arena.allocate_contiguous(1025, 1, 1).error(), Error::Invalid);
    EXPECT_EQ(f.arena.allocate_contiguous(4, 0, 1).error(), Error::Invalid);
    EXPECT_EQ(f.arena.allocate_contiguous(4, 3, 1).error(), Error::Invalid);
    EXPECT_EQ(f.arena.allocate_contiguous(4, 2048, 1).error(), Error::Invalid);
    EXPECT_EQ(f.arena.allocated_pages(), 0u);
    uint64_t run = must(f.arena.allocate_contiguous(6, 2, 1));
    expect_error(
        f.arena.free_contiguous(run, 0), Error::Invalid, f.arena, BuddyErrorKind::LengthMismatch, run);
    expect_error(
        f.arena.free_contiguous(run, 8), Error::Invalid, f.arena, BuddyErrorKind::LengthMismatch, run);
    expect_error(
        f.arena.free_contiguous(run + 1, 5), Error::Invalid, f.arena, BuddyErrorKind::NotBlockHead, run + 1);
    must(f.arena.free_contiguous(run, 6));
}

TEST(BuddyAllocator, MarkReservedSplitsFreeBlocks) {
    Fixture f(0x40000, 2048);
    must(f.arena.mark_reserved(0x40100, 3));
    must(f.arena.mark_reserved(0x40101, 2)); // already reserved: no-op
    EXPECT_EQ(f.arena.reserved_pages(), 3u);
    EXPECT_EQ(f.arena.free_pages(), 2045u);
    EXPECT_EQ(f.arena.free_blocks(k_max_order), 1u); // the untouched second 4 MiB
    expect_invariants(f.arena);
    // Reserving across a block boundary and a partially reserved stretch.
    must(f.arena.mark_reserved(0x400fe, 0x40500 - 0x400fe));
    EXPECT_EQ(f.arena.reserved_pages(), 0x40500u - 0x400fe);
    expect_invariants(f.arena);
    // Nothing reserved is ever handed out.
    for (;;) {
        auto result = f.arena.allocate(0, 1);
        if (result.is_error())
            break;
        EXPECT_TRUE(result.value() < 0x400fe || result.value() >= 0x40500) << std::hex << result.value();
    }
    EXPECT_EQ(f.arena.allocated_pages(), 2048u - (0x40500 - 0x400fe));
}

TEST(BuddyAllocator, RangeOperationsCheckStates) {
    Fixture f(0x40000, 64, false);
    must(f.arena.add_free_range(0x40000, 32));
    expect_error(
        f.arena.add_free_range(0x4001f, 2), Error::Invalid, f.arena, BuddyErrorKind::RangeConflict, 0x4001f);
    EXPECT_EQ(f.arena.free_pages(), 32u); // nothing of the failed range was released
    uint64_t pfn = must(f.arena.allocate(2, 1));
    expect_error(
        f.arena.mark_reserved(0x40000, 32), Error::Busy, f.arena, BuddyErrorKind::RangeConflict, pfn);
    EXPECT_EQ(f.arena.reserved_pages(), 32u);
    expect_error(
        f.arena.add_free_range(0x40030, 17), Error::OutOfRange, f.arena, BuddyErrorKind::OutOfArena, 0x40030);
    expect_error(
        f.arena.mark_reserved(0x3ffff, 2), Error::OutOfRange, f.arena, BuddyErrorKind::OutOfArena, 0x3ffff);
    expect_error(f.arena.mark_reserved(0x40001, UINT64_MAX), Error::OutOfRange, f.arena,
        BuddyErrorKind::OutOfArena, 0x40001);
    must(f.arena.add_free_range(0x40020, 32));
    EXPECT_EQ(f.arena.free_pages(), 60u);
    expect_invariants(f.arena);
}

TEST(BuddyAllocator, OwnerData) {
    Fixture f(0x40000, 64);
    uint64_t pfn = must(f.arena.allocate(1, 4));
    must(f.arena.set_owner_data(pfn + 1, 0xabcd));
    EXPECT_EQ(f.arena.descriptor(pfn + 1)->owner_data, 0xabcdu);
    expect_error(
        f.arena.set_owner_data(pfn + 2, 1), Error::Invalid, f.arena, BuddyErrorKind::RangeConflict, pfn + 2);
    expect_error(
        f.arena.set_owner_data(0x50000, 1), Error::OutOfRange, f.arena, BuddyErrorKind::OutOfArena, 0x50000);
    must(f.arena.free(pfn));
    uint64_t again = must(f.arena.allocate(1, 4));
    EXPECT_EQ(f.arena.descriptor(again + 1)->owner_data, 0u); // not leaked to the next owner
}

TEST(BuddyAllocator, SetOwnerRetagsTheWholeBlock) {
    Fixture f(0x40000, 64);
    uint64_t pfn = must(f.arena.allocate(2, 4));
    must(f.arena.set_owner(pfn, 9));
    for (uint64_t i = 0; i < 4; ++i)
        EXPECT_EQ(f.arena.descriptor(pfn + i)->owner, 9u);
    expect_invariants(f.arena);
    expect_error(f.arena.set_owner(pfn + 1, 9), Error::Invalid, f.arena, BuddyErrorKind::NotBlockHead, pfn + 1);
    uint64_t free_pfn = pfn + 4;  // the split's other half is free
    expect_error(f.arena.set_owner(free_pfn, 9), Error::Invalid, f.arena, BuddyErrorKind::RangeConflict, free_pfn);
    expect_error(f.arena.set_owner(0x50000, 9), Error::OutOfRange, f.arena, BuddyErrorKind::OutOfArena, 0x50000);
    must(f.arena.free(pfn));
    uint64_t again = must(f.arena.allocate(2, 4));
    EXPECT_EQ(f.arena.descriptor(again)->owner, 4u);  // the new owner's own tag
}

TEST(BuddyAllocator, PoisoningFillsFreedPagesAndCatchesWrites) {
    Fixture f(0x40000, 16, false);
    f.arena.set_poisoning(true);
    EXPECT_TRUE(f.arena.poisoning());
    must(f.arena.add_free_range(0x40000, 16));
    for (uint64_t offset = 0; offset < k_page; offset += 8)
        ASSERT_EQ(f.pages.word(0x4000f, offset), BuddyArena::k_poison_pattern);

    uint64_t block = must(f.arena.allocate(2, 1)); // poison intact: succeeds
    f.pages.set_word(block + 2, 0, 0x1111);
    must(f.arena.free(block));
    EXPECT_EQ(f.pages.word(block + 2, 0), BuddyArena::k_poison_pattern); // refilled on free

    // Leave exactly one free page, scribble on it "after free", allocate it back.
    std::vector<uint64_t> held;
    for (int i = 0; i < 15; ++i)
        held.push_back(must(f.arena.allocate(0, 1)));
    uint64_t victim = must(f.arena.allocate(0, 1));
    must(f.arena.free(victim));
    f.pages.page_contents(victim)[0x123] = 0x77;
    uint64_t corrupted_word = f.pages.word(victim, 0x120);
    auto result = f.arena.allocate(0, 1);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::Fault);
    const BuddyErrorDetail& detail = f.arena.last_error();
    EXPECT_EQ(detail.kind, BuddyErrorKind::PoisonMismatch);
    EXPECT_EQ(detail.pfn, victim);
    EXPECT_EQ(detail.offset, 0x120u);
    EXPECT_EQ(detail.expected, BuddyArena::k_poison_pattern);
    EXPECT_EQ(detail.found, corrupted_word);
    EXPECT_NE(corrupted_word, BuddyArena::k_poison_pattern);
    // The corrupted page is quarantined, not handed out again.
    EXPECT_EQ(f.arena.descriptor(victim)->state, PageState::Reserved);
    EXPECT_EQ(f.arena.reserved_pages(), 1u);
    EXPECT_EQ(f.arena.allocate(0, 1).error(), Error::NoMemory);
    expect_invariants(f.arena);
    for (uint64_t pfn : held)
        must(f.arena.free(pfn));
    EXPECT_EQ(f.arena.free_pages(), 15u);
    expect_invariants(f.arena);
}

TEST(BuddyAllocator, PoisonMismatchReportsPageInsideLargerBlock) {
    Fixture f(0x40000, 8, false);
    f.arena.set_poisoning(true);
    must(f.arena.add_free_range(0x40000, 8));
    f.pages.set_word(0x40006, k_page - 8, 0x0123456789abcdef);
    auto result = f.arena.allocate_contiguous(7, 1, 1);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::Fault);
    EXPECT_EQ(f.arena.last_error().kind, BuddyErrorKind::PoisonMismatch);
    EXPECT_EQ(f.arena.last_error().pfn, 0x40006u);
    EXPECT_EQ(f.arena.last_error().offset, k_page - 8);
    EXPECT_EQ(f.arena.last_error().found, 0x0123456789abcdefu);
    // The seven requested pages are quarantined; the untouched tail page stays free.
    EXPECT_EQ(f.arena.reserved_pages(), 7u);
    EXPECT_EQ(f.arena.free_pages(), 1u);
    expect_invariants(f.arena);
}

TEST(BuddyAllocator, EnablingPoisoningPoisonsFreePagesOnly) {
    Fixture f(0x40000, 8);
    uint64_t held = must(f.arena.allocate(0, 1));
    f.pages.set_word(held, 0, 42);
    f.arena.set_poisoning(true);
    EXPECT_EQ(f.pages.word(held, 0), 42u); // allocated contents untouched
    for (uint64_t pfn = 0x40000; pfn < 0x40008; ++pfn) {
        if (pfn != held)
            EXPECT_EQ(f.pages.word(pfn, 0), BuddyArena::k_poison_pattern) << pfn;
    }
    must(f.arena.allocate(2, 1)); // would fail had the free pages not been poisoned
    f.arena.set_poisoning(false);
    uint64_t unchecked = must(f.arena.allocate(0, 1));
    must(f.arena.free(unchecked));
    EXPECT_EQ(f.pages.word(unchecked, 0), BuddyArena::k_poison_pattern); // left as it was, not refilled
    f.pages.set_word(unchecked, 0, 1);
    must(f.arena.allocate(0, 1)); // no check while off
}

TEST(BuddyAllocator, CheckInvariantsDetectsCorruption) {
    Fixture f(0x40000, 64);
    uint64_t block = must(f.arena.allocate(2, 5));
    expect_invariants(f.arena);

    // A tail page whose owner disagrees with its head.
    f.descriptors[block - 0x40000 + 1].owner = 6;
    ASSERT_TRUE(f.arena.check_invariants().is_error());
    EXPECT_EQ(f.arena.last_error().kind, BuddyErrorKind::BrokenInvariant);
    EXPECT_EQ(f.arena.last_error().pfn, block + 1);
    f.descriptors[block - 0x40000 + 1].owner = 5;
    expect_invariants(f.arena);

    // A free head missing from its list (state counts still match).
    uint64_t order4 = 0;
    for (uint64_t i = 0; i < 64; ++i) {
        if (f.descriptors[i].state == PageState::Free && (f.descriptors[i].flags & BuddyArena::k_flag_head)
            && f.descriptors[i].order == 4)
            order4 = i;
    }
    ASSERT_NE(order4, 0u);
    auto saved = f.descriptors[order4];
    f.descriptors[order4].order = 3;
    f.descriptors[order4 + 8] = f.descriptors[order4];
    ASSERT_TRUE(f.arena.check_invariants().is_error());
    f.descriptors[order4] = saved;
    f.descriptors[order4 + 8]
        = PageDescriptor { BuddyArena::k_no_page, BuddyArena::k_no_page, PageState::Free, 0, 0, 0, 0 };
    expect_invariants(f.arena);

    // An allocated run claiming more pages than its order.
    f.descriptors[block - 0x40000].next = 5;
    ASSERT_TRUE(f.arena.check_invariants().is_error());
    f.descriptors[block - 0x40000].next = 4;
    expect_invariants(f.arena);
}

// Randomized stress against a reference model of which pages are owned,
// with `hot_capacity` hot pages.
void stress_against_model(unsigned hot_capacity) {
    constexpr uint64_t k_base = 0x80005; // unaligned on purpose
    constexpr uint64_t k_count = 12000; // ~47 MiB
    constexpr uint64_t k_operations = 1'000'000;
    constexpr uint64_t k_check_every = 2'000;
    constexpr uint64_t k_poison_from = 200'000;
    constexpr uint64_t k_poison_until = 700'000;

    Fixture f(k_base, k_count);
    BuddyArena& arena = f.arena;
    must(arena.mark_reserved(k_base + 3000, 77)); // a hole, like a reserved-memory node
    arena.set_hot_capacity(hot_capacity);
    const uint64_t start_free = arena.free_pages();
    const auto start_blocks = free_block_counts(arena);

    struct Live {
        uint64_t pfn;
        uint64_t count;
        uint64_t tag;
        uint8_t owner;
        bool run;
    };
    std::vector<Live> live;
    std::vector<uint8_t> owned(k_count, 0);
    uint64_t owned_pages = 0;
    std::mt19937_64 rng(12345);
    // Orders are geometric: small blocks are common, 4 MiB ones rare.
    auto random_order
        = [&] { return std::min<unsigned>(k_max_order, std::countr_zero(rng() | (1ull << 40))); };

    auto fill = [&](const Live& block) {
        for (uint64_t i = 0; i < block.count; ++i) {
            f.pages.set_word(block.pfn + i, 0, block.tag ^ i);
            f.pages.set_word(block.pfn + i, k_page - 8, ~block.tag ^ i);
        }
    };
    auto verify = [&](const Live& block) {
        for (uint64_t i = 0; i < block.count; ++i) {
            ASSERT_EQ(f.pages.word(block.pfn + i, 0), block.tag ^ i);
            ASSERT_EQ(f.pages.word(block.pfn + i, k_page - 8), ~block.tag ^ i);
        }
    };

    for (uint64_t op = 0; op < k_operations; ++op) {
        if (op == k_poison_from)
            arena.set_poisoning(true);
        if (op == k_poison_until)
            arena.set_poisoning(false);

        bool want_allocate = live.empty() || (rng() % 100) < (owned_pages * 10 < k_count * 6 ? 60u : 40u);
        if (want_allocate) {
            Live block { 0, 0, rng(), static_cast<uint8_t>(rng() % 255 + 1), (rng() & 1) != 0 };
            unsigned order = random_order();
            uint64_t alignment = 1;
            auto result = [&]() -> ErrorOr<uint64_t> {
                if (!block.run) {
                    block.count = uint64_t { 1 } << order;
                    return arena.allocate(order, block.owner);
                }
                block.count = 1 + rng() % (uint64_t { 1 } << order);
                alignment = uint64_t { 1 } << std::min(random_order(), order);
                return arena.allocate_contiguous(block.count, alignment, block.owner);
            }();
            if (result.is_error()) {
                ASSERT_EQ(result.error(), Error::NoMemory);
                // NoMemory only when no block of a covering order is free.
                unsigned needed = std::bit_width(std::max(block.count, alignment) - 1);
                for (unsigned k = needed; k <= k_max_order; ++k)
                    ASSERT_EQ(arena.free_blocks(k), 0u) << "op " << op;
                continue;
            }
            block.pfn = result.value();
            ASSERT_TRUE(arena.contains(block.pfn) && arena.contains(block.pfn + block.count - 1));
            ASSERT_EQ(block.pfn % (block.run ? alignment : block.count), 0u);
            for (uint64_t i = 0; i < block.count; ++i) {
                ASSERT_EQ(owned[block.pfn - k_base + i], 0) << "overlap at op " << op;
                ASSERT_FALSE(block.pfn + i >= k_base + 3000 && block.pfn + i < k_base + 3077);
                owned[block.pfn - k_base + i] = 1;
            }
            const PageDescriptor* last = arena.descriptor(block.pfn + block.count - 1);
            ASSERT_EQ(last->state, PageState::Allocated);
            ASSERT_EQ(last->owner, block.owner);
            owned_pages += block.count;
            fill(block);
            live.push_back(block);
        } else {
            size_t index = rng() % live.size();
            Live block = live[index];
            live[index] = live.back();
            live.pop_back();
            verify(block);
            if (block.count > 1 && rng() % 50 == 0) {
                auto bad = arena.free(block.pfn + 1 + rng() % (block.count - 1));
                ASSERT_TRUE(bad.is_error());
                ASSERT_EQ(arena.last_error().kind, BuddyErrorKind::NotBlockHead);
            }
            if (block.run && rng() % 2)
                must(arena.free_contiguous(block.pfn, block.count));
            else
                must(arena.free(block.pfn));
            for (uint64_t i = 0; i < block.count; ++i)
                owned[block.pfn - k_base + i] = 0;
            owned_pages -= block.count;
            if (rng() % 100 == 0) {
                ASSERT_TRUE(arena.free(block.pfn).is_error());
                ASSERT_EQ(arena.last_error().kind, BuddyErrorKind::DoubleFree);
            }
        }
        if (op % k_check_every == 0) {
            ASSERT_FALSE(arena.check_invariants().is_error()) << "op " << op;
            ASSERT_EQ(arena.allocated_pages(), owned_pages);
            ASSERT_EQ(arena.free_pages() + owned_pages, start_free);
        }
        if (::testing::Test::HasFatalFailure())
            return;
    }
    expect_invariants(arena);
    arena.set_poisoning(true); // the final frees are poisoned and then checked below
    for (const Live& block : live) {
        verify(block);
        must(arena.free(block.pfn));
    }
    expect_invariants(arena);
    EXPECT_EQ(arena.free_pages(), start_free);
    EXPECT_EQ(arena.allocated_pages(), 0u);
    EXPECT_EQ(arena.hot_pages(), std::min<uint64_t>(hot_capacity, start_free));
    arena.set_hot_capacity(0); // everything coalesces back
    expect_invariants(arena);
    EXPECT_EQ(free_block_counts(arena), start_blocks);
    // Every page comes back out with its poison intact.
    uint64_t reallocated = 0;
    while (!arena.allocate(0, 1).is_error())
        ++reallocated;
    EXPECT_EQ(reallocated, start_free);
}

TEST(BuddyAllocator, RandomizedStressAgainstModel) { stress_against_model(0); }

TEST(BuddyAllocator, RandomizedStressAgainstModelWithHotPages) {
    stress_against_model(BuddyArena::k_max_hot_pages);
}

// Allocates `count` single pages, then frees them in that order; returns them.
std::vector<uint64_t> allocate_then_free_singles(BuddyArena& arena, int count) {
    std::vector<uint64_t> pages;
    for (int i = 0; i < count; ++i)
        pages.push_back(must(arena.allocate(0, 1)));
    for (uint64_t pfn : pages)
        must(arena.free(pfn));
    return pages;
}

TEST(BuddyAllocator, HotPagesAreReusedLastFreedFirstAndCountAsFree) {
    Fixture f(0x40000, 64);
    f.arena.set_hot_capacity(4);
    std::vector<uint64_t> pages = allocate_then_free_singles(f.arena, 6);
    // The first four frees stay hot; the last two coalesce as before.
    EXPECT_EQ(f.arena.hot_pages(), 4u);
    EXPECT_EQ(f.arena.free_pages(), 64u);
    EXPECT_EQ(f.arena.allocated_pages(), 0u);
    EXPECT_EQ(f.arena.descriptor(pages[3])->flags, BuddyArena::k_flag_hot);
    EXPECT_EQ(f.arena.descriptor(pages[3])->state, PageState::Free);
    expect_invariants(f.arena);
    // A second free of a hot page is a double free and changes nothing.
    expect_error(f.arena.free(pages[1]), Error::Invalid, f.arena, BuddyErrorKind::DoubleFree, pages[1]);
    EXPECT_EQ(f.arena.hot_pages(), 4u);
    // Single pages come back last freed first, owned and counted.
    EXPECT_EQ(must(f.arena.allocate(0, 7)), pages[3]);
    EXPECT_EQ(f.arena.descriptor(pages[3])->state, PageState::Allocated);
    EXPECT_EQ(f.arena.descriptor(pages[3])->owner, 7u);
    EXPECT_EQ(f.arena.descriptor(pages[3])->flags, BuddyArena::k_flag_head);
    EXPECT_EQ(must(f.arena.allocate_contiguous(1, 1, 7)), pages[2]);
    EXPECT_EQ(f.arena.hot_pages(), 2u);
    EXPECT_EQ(f.arena.allocated_pages(), 2u);
    expect_invariants(f.arena);
    must(f.arena.free(pages[3]));
    must(f.arena.free_contiguous(pages[2], 1));
    f.arena.set_hot_capacity(0);
    EXPECT_EQ(f.arena.hot_pages(), 0u);
    EXPECT_EQ(f.arena.free_blocks(6), 1u); // whole again
    expect_invariants(f.arena);
}

TEST(BuddyAllocator, TakeHotPageIsAllocateOfAHotPage) {
    Fixture f(0x40000, 16);
    f.arena.set_hot_capacity(4);
    EXPECT_EQ(f.arena.take_hot_page(3), BuddyArena::k_no_page);  // none hot yet
    uint64_t a = must(f.arena.allocate(0, 1));
    uint64_t b = must(f.arena.allocate(0, 1));
    must(f.arena.free(a));
    must(f.arena.free(b));
    EXPECT_EQ(f.arena.take_hot_page(3), b);
    const PageDescriptor* page = f.arena.descriptor(b);
    EXPECT_EQ(page->state, PageState::Allocated);
    EXPECT_EQ(page->owner, 3u);
    EXPECT_EQ(page->flags, BuddyArena::k_flag_head);
    EXPECT_EQ(page->next, 1u);  // its page count
    EXPECT_EQ(page->owner_data, 0u);
    EXPECT_EQ(f.arena.allocated_pages(), 1u);
    EXPECT_EQ(f.arena.free_pages(), 15u);
    expect_invariants(f.arena);
    // free_to_hot() is free() of a single page onto the hot stack.
    EXPECT_TRUE(f.arena.free_to_hot(b));
    EXPECT_EQ(f.arena.descriptor(b)->state, PageState::Free);
    EXPECT_EQ(f.arena.descriptor(b)->flags, BuddyArena::k_flag_hot);
    EXPECT_EQ(f.arena.hot_pages(), 2u);
    expect_invariants(f.arena);
    EXPECT_FALSE(f.arena.free_to_hot(b));  // not allocated: free() reports it
    expect_error(f.arena.free(b), Error::Invalid, f.arena, BuddyErrorKind::DoubleFree, b);
    uint64_t pair = must(f.arena.allocate(1, 3));
    EXPECT_FALSE(f.arena.free_to_hot(pair));  // two pages: not for the hot stack
    EXPECT_FALSE(f.arena.free_to_hot(pair + 1));  // not a head
    must(f.arena.free(pair));
    expect_invariants(f.arena);
    // With poisoning on, the poison must be checked: only allocate() does.
    f.arena.set_poisoning(true);
    EXPECT_EQ(f.arena.take_hot_page(3), BuddyArena::k_no_page);
    EXPECT_EQ(must(f.arena.allocate(0, 3)), b);
    expect_invariants(f.arena);
}

TEST(BuddyAllocator, HotPagesCoalesceWhenALargerBlockIsNeeded) {
    Fixture f(0x40000, 16);
    f.arena.set_hot_capacity(BuddyArena::k_max_hot_pages);
    allocate_then_free_singles(f.arena, 16);
    EXPECT_EQ(f.arena.hot_pages(), 16u);
    EXPECT_EQ(f.arena.free_blocks(4), 0u);
    // No block of 16 is on a list, but the hot pages make one.
    EXPECT_EQ(must(f.arena.allocate(4, 1)), 0x40000u);
    EXPECT_EQ(f.arena.hot_pages(), 0u);
    EXPECT_EQ(f.arena.free_pages(), 0u);
    EXPECT_EQ(f.arena.allocate(0, 1).error(), Error::NoMemory);
    expect_invariants(f.arena);
}

TEST(BuddyAllocator, HotPagesArePoisonedAndChecked) {
    Fixture f(0x40000, 8);
    f.arena.set_hot_capacity(2);
    uint64_t early = must(f.arena.allocate(0, 1));
    must(f.arena.free(early)); // hot before poisoning starts
    f.arena.set_poisoning(true);
    EXPECT_EQ(f.pages.word(early, 0), BuddyArena::k_poison_pattern);
    uint64_t victim = must(f.arena.allocate(0, 1));
    EXPECT_EQ(victim, early);
    f.pages.set_word(victim, 8, 5);
    must(f.arena.free(victim));
    EXPECT_EQ(f.arena.hot_pages(), 1u);
    EXPECT_EQ(f.pages.word(victim, 8), BuddyArena::k_poison_pattern);
    f.pages.set_word(victim, 16, 0x1234); // written while hot (free)
    auto result = f.arena.allocate(0, 1);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::Fault);
    EXPECT_EQ(f.arena.last_error().kind, BuddyErrorKind::PoisonMismatch);
    EXPECT_EQ(f.arena.last_error().pfn, victim);
    EXPECT_EQ(f.arena.last_error().offset, 16u);
    EXPECT_EQ(f.arena.descriptor(victim)->state, PageState::Reserved);
    EXPECT_EQ(f.arena.hot_pages(), 0u);
    expect_invariants(f.arena);
}

TEST(BuddyAllocator, MarkReservedTakesHotPagesBack) {
    Fixture f(0x40000, 8);
    f.arena.set_hot_capacity(8);
    uint64_t a = must(f.arena.allocate(0, 1));
    uint64_t b = must(f.arena.allocate(0, 1));
    must(f.arena.free(a));
    must(f.arena.free(b));
    must(f.arena.mark_reserved(a, 1));
    EXPECT_EQ(f.arena.hot_pages(), 0u);
    EXPECT_EQ(f.arena.descriptor(a)->state, PageState::Reserved);
    EXPECT_EQ(f.arena.free_pages(), 7u);
    expect_invariants(f.arena);
    for (int i = 0; i < 7; ++i)
        EXPECT_NE(must(f.arena.allocate(0, 1)), a);
}

TEST(BuddyAllocator, CheckInvariantsCatchesABrokenHotStack) {
    Fixture f(0x40000, 8);
    f.arena.set_hot_capacity(2);
    uint64_t a = must(f.arena.allocate(0, 1));
    must(f.arena.free(a));
    expect_invariants(f.arena);
    f.descriptors[a - 0x40000].flags = 0; // hot page no longer flagged
    ASSERT_TRUE(f.arena.check_invariants().is_error());
    EXPECT_EQ(f.arena.last_error().kind, BuddyErrorKind::BrokenInvariant);
    f.descriptors[a - 0x40000].flags = BuddyArena::k_flag_hot;
    expect_invariants(f.arena);
}

} // namespace
