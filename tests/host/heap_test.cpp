// Host tests of the kernel heap (kernel/mm/heap): the arena allocator, the
// slab allocator and the hybrid Heap over a host backend of aligned_alloc'd
// blocks, in early, page and arena-only modes, with and without debug mode.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "kernel/mm/heap/heap.h"
#include "tests/host/host_heap_backend.h"

using namespace akuma;

namespace {

void report_invalid_free(void* block) { ADD_FAILURE() << "free_block of a block not allocated: " << block; }

// The heap's pages in these tests.
struct TestBackend : HostHeapBackend {
    TestBackend() : HostHeapBackend(report_invalid_free) {}
};

std::vector<HeapCorruption> g_reports;
void record_report(const HeapCorruption& report) {
    g_reports.push_back(report);
}

struct Config {
    HeapMode mode; // Early, Page or ArenaOnly
    bool debug;
};

std::string config_name(const testing::TestParamInfo<Config>& info) {
    const char* mode = info.param.mode == HeapMode::Early ? "Early"
        : info.param.mode == HeapMode::Page               ? "Page"
                                                          : "ArenaOnly";
    return std::string(mode) + (info.param.debug ? "Debug" : "");
}

// A heap with its early arena and backend, switched to the wanted mode.
struct Harness {
    // With switch_now false the heap stays in early mode until the test
    // calls mark_pages_ready.
    explicit Harness(
        Config config, size_t early_bytes = 4 << 20, unsigned grow_order = 6, bool switch_now = true)
        : early(early_bytes, 0xEE) {
        g_reports.clear();
        HeapOptions options;
        options.debug = config.debug;
        options.arena_only = config.mode == HeapMode::ArenaOnly;
        options.on_corruption = record_report;
        options.arena_grow_order = grow_order;
        EXPECT_FALSE(heap.init(early, options).is_error());
        if (config.mode != HeapMode::Early && switch_now)
            heap.mark_pages_ready(backend);
        EXPECT_EQ(heap.mode(), switch_now ? config.mode : HeapMode::Early);
    }

    bool in_early(const void* pointer) const {
        auto address = static_cast<const uint8_t*>(pointer);
        return address >= early.data() && address < early.data() + early.size();
    }

    TestBackend backend;
    std::vector<uint8_t> early;
    Heap heap;
};

void fill(void* pointer, size_t size, uint8_t seed) {
    auto* bytes = static_cast<uint8_t*>(pointer);
    for (size_t i = 0; i < size; ++i)
        bytes[i] = uint8_t(seed + i * 7);
}

// Index of the first byte not matching fill(seed), or size.
size_t check(const void* pointer, size_t size, uint8_t seed) {
    auto* bytes = static_cast<const uint8_t*>(pointer);
    for (size_t i = 0; i < size; ++i)
        if (bytes[i] != uint8_t(seed + i * 7))
            return i;
    return size;
}

bool aligned(const void* pointer, size_t alignment) {
    return reinterpret_cast<uintptr_t>(pointer) % alignment == 0;
}

// ---------------------------------------------------------------------------
// Every mode, with and without debug mode.

class HeapModes : public testing::TestWithParam<Config> { };

INSTANTIATE_TEST_SUITE_P(All, HeapModes,
    testing::Values(Config { HeapMode::Early, false }, Config { HeapMode::Early, true },
        Config { HeapMode::Page, false }, Config { HeapMode::Page, true },
        Config { HeapMode::ArenaOnly, false }, Config { HeapMode::ArenaOnly, true }),
    config_name);

TEST_P(HeapModes, AllAlignmentsAndSizes) {
    Harness h(GetParam());
    std::vector<std::pair<void*, size_t>> live;
    const size_t sizes[] = { 0, 1, 7, 16, 17, 100, 2032, 2048, 3000, 4096, 5000 };
    uint8_t seed = 1;
    for (size_t alignment = 1; alignment <= 4096; alignment *= 2) {
        for (size_t size : sizes) {
            void* p = h.heap.allocate(size, alignment);
            ASSERT_NE(p, nullptr) << size << " " << alignment;
            EXPECT_TRUE(aligned(p, alignment)) << p << " " << alignment;
            EXPECT_GE(h.heap.usable_size(p), size);
            if (GetParam().debug)
                EXPECT_EQ(h.heap.usable_size(p), size);
            fill(p, size, seed++);
            live.push_back({ p, size });
        }
    }
    seed = 1;
    for (auto [p, size] : live)
        EXPECT_EQ(check(p, size, seed++), size);
    for (auto [p, size] : live)
        h.heap.free(p);
    EXPECT_TRUE(g_reports.empty());
    EXPECT_EQ(h.heap.stats().allocations, 0u);
    EXPECT_EQ(h.heap.stats().bytes_in_use, 0u);
}

TEST_P(HeapModes, SizesUpTo64KiB) {
    Harness h(GetParam(), 8 << 20);
    std::vector<std::pair<void*, size_t>> live;
    for (size_t size = 0; size <= 65536; size += size < 300 ? 1 : size / 7 + 1) {
        void* p = h.heap.allocate(size);
        ASSERT_NE(p, nullptr) << size;
        EXPECT_TRUE(aligned(p, 16));
        fill(p, size, uint8_t(size));
        live.push_back({ p, size });
    }
    // Non-overlapping: sorted, each ends before the next begins.
    auto sorted = live;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 1; i < sorted.size(); ++i)
        EXPECT_LE(static_cast<uint8_t*>(sorted[i - 1].first) + std::max<size_t>(sorted[i - 1].second, 1),
            static_cast<uint8_t*>(sorted[i].first));
    for (auto [p, size] : live) {
        EXPECT_EQ(check(p, size, uint8_t(size)), size);
        h.heap.free(p);
    }
    EXPECT_TRUE(g_reports.empty());
    EXPECT_EQ(h.heap.stats().bytes_in_use, 0u);
}

TEST_P(HeapModes, ZeroSizeAllocationsAreUnique) {
    Harness h(GetParam());
    void* a = h.heap.allocate(0);
    void* b = h.heap.allocate(0);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_NE(a, b);
    h.heap.free(a);
    h.heap.free(b);
    EXPECT_TRUE(g_reports.empty());
}

TEST_P(HeapModes, ReallocateGrowAndShrinkKeepData) {
    Harness h(GetParam(), 8 << 20);
    const size_t steps[] = { 1, 10, 16, 40, 100, 300, 1000, 2040, 2100, 5000, 20000, 70000, 30000, 4000, 2000,
        500, 33, 8, 0, 64 };
    void* p = h.heap.reallocate(nullptr, 5);
    ASSERT_NE(p, nullptr);
    size_t size = 5;
    fill(p, size, 9);
    for (size_t next : steps) {
        void* q = h.heap.reallocate(p, next);
        ASSERT_NE(q, nullptr) << next;
        size_t kept = std::min(size, next);
        EXPECT_EQ(check(q, kept, 9), kept) << size << " -> " << next;
        EXPECT_TRUE(aligned(q, 16));
        EXPECT_GE(h.heap.usable_size(q), next);
        fill(q, next, 9);
        p = q;
        size = next;
        EXPECT_EQ(h.heap.stats().allocations, 1u);
    }
    h.heap.free(p);
    EXPECT_TRUE(g_reports.empty());
    EXPECT_EQ(h.heap.stats().allocations, 0u);
    EXPECT_EQ(h.heap.stats().bytes_in_use, 0u);
}

TEST_P(HeapModes, ReallocateInPlaceWhenRoomFollows) {
    Harness h(GetParam());
    void* p = h.heap.allocate(100);
    ASSERT_NE(p, nullptr);
    fill(p, 100, 3);
    // Shrinking never moves; growing within the same slot/neighbour either.
    EXPECT_EQ(h.heap.reallocate(p, 90), p);
    EXPECT_EQ(h.heap.reallocate(p, 100), p);
    if (GetParam().mode != HeapMode::Page) {
        // The arena grows into the free space after the block.
        EXPECT_EQ(h.heap.reallocate(p, 1000), p);
        EXPECT_EQ(check(p, 90, 3), 90u); // the shrink to 90 dropped the rest
    }
    h.heap.free(p);
    EXPECT_TRUE(g_reports.empty());
}

TEST_P(HeapModes, ZeroedAllocationAfterDirtyMemory) {
    Harness h(GetParam());
    for (size_t size : { 8u, 64u, 1000u, 2048u, 9000u }) {
        void* dirty = h.heap.allocate(size);
        ASSERT_NE(dirty, nullptr);
        std::memset(dirty, 0xFF, size);
        h.heap.free(dirty);
        auto* zero = static_cast<uint8_t*>(h.heap.allocate_zeroed(size));
        ASSERT_NE(zero, nullptr);
        EXPECT_TRUE(std::all_of(zero, zero + size, [](uint8_t b) { return b == 0; })) << size;
        h.heap.free(zero);
    }
    EXPECT_TRUE(g_reports.empty());
}

TEST_P(HeapModes, InvalidArgumentsFailCleanly) {
    Harness h(GetParam());
    EXPECT_EQ(h.heap.allocate(16, 3), nullptr);
    EXPECT_EQ(h.heap.allocate(16, 0), nullptr);
    EXPECT_EQ(h.heap.allocate(SIZE_MAX), nullptr);
    EXPECT_EQ(h.heap.allocate(SIZE_MAX - 8, 4096), nullptr);
    EXPECT_EQ(h.heap.allocate_zeroed(SIZE_MAX / 2), nullptr);
    void* p = h.heap.allocate(40);
    fill(p, 40, 5);
    EXPECT_EQ(h.heap.reallocate(p, SIZE_MAX), nullptr);
    EXPECT_EQ(check(p, 40, 5), 40u); // the old object is intact
    h.heap.free(p);
    h.heap.free(nullptr);
    EXPECT_TRUE(g_reports.empty());
    EXPECT_EQ(h.heap.stats().allocations, 0u);
}

TEST_P(HeapModes, ForeignPointerIsRefused) {
    Harness h(GetParam());
    int on_stack = 0;
    std::vector<uint8_t> elsewhere(64);
    h.heap.free(&on_stack);
    h.heap.free(elsewhere.data() + 16);
    EXPECT_EQ(h.heap.reallocate(&on_stack, 10), nullptr);
    EXPECT_EQ(h.heap.usable_size(&on_stack), 0u);
    ASSERT_EQ(g_reports.size(), 3u);
    for (auto& report : g_reports)
        EXPECT_EQ(report.kind, HeapCorruptionKind::InvalidFree);
    EXPECT_EQ(g_reports[0].address, &on_stack);
}

TEST_P(HeapModes, DoubleFreeIsDetectedAndRefused) {
    Harness h(GetParam());
    void* guard_before = h.heap.allocate(32);
    void* p = h.heap.allocate(32);
    void* guard_after = h.heap.allocate(32);
    h.heap.free(p);
    HeapStats before = h.heap.stats();
    h.heap.free(p);
    ASSERT_EQ(g_reports.size(), 1u);
    EXPECT_EQ(g_reports[0].kind, HeapCorruptionKind::DoubleFree);
    EXPECT_EQ(g_reports[0].address, p);
    EXPECT_EQ(h.heap.stats().allocations, before.allocations);
    EXPECT_EQ(h.heap.stats().bytes_in_use, before.bytes_in_use);
    // Still usable.
    void* q = h.heap.allocate(32);
    ASSERT_NE(q, nullptr);
    h.heap.free(q);
    h.heap.free(guard_before);
    h.heap.free(guard_after);
    EXPECT_EQ(g_reports.size(), 1u);
    EXPECT_EQ(h.heap.stats().allocations, 0u);
}

TEST_P(HeapModes, PointerInsideAnObjectIsRefused) {
    Harness h(GetParam());
    for (size_t size : { 24u, 200u, 3000u, 9000u }) {
        g_reports.clear();
        auto* p = static_cast<uint8_t*>(h.heap.allocate(size));
        ASSERT_NE(p, nullptr);
        fill(p, size, 1);
        h.heap.free(p + 16);
        ASSERT_EQ(g_reports.size(), 1u) << size;
        EXPECT_TRUE(g_reports[0].kind == HeapCorruptionKind::InvalidFree
            || g_reports[0].kind == HeapCorruptionKind::HeaderCorrupt)
            << heap_corruption_name(g_reports[0].kind);
        EXPECT_EQ(g_reports[0].address, p + 16);
        EXPECT_EQ(check(p, size, 1), size);
        h.heap.free(p);
        EXPECT_EQ(g_reports.size(), 1u);
    }
    EXPECT_EQ(h.heap.stats().allocations, 0u);
}

TEST_P(HeapModes, StatsAreExact) {
    Harness h(GetParam());
    void* a = h.heap.allocate(10);
    void* b = h.heap.allocate(100);
    void* c = h.heap.allocate(1000);
    HeapStats stats = h.heap.stats();
    EXPECT_EQ(stats.allocations, 3u);
    EXPECT_EQ(stats.bytes_in_use, 1110u);
    if (GetParam().mode == HeapMode::Page) {
        size_t small = GetParam().debug ? 32 : 16; // 10 (+16 redzone)
        EXPECT_EQ(stats.classes[__builtin_ctzll(small) - 4].objects, 1u);
        EXPECT_EQ(stats.classes[__builtin_ctzll(small) - 4].bytes_in_use, 10u);
        EXPECT_EQ(stats.classes[3].bytes_in_use, 100u); // 128
        EXPECT_EQ(stats.classes[6].bytes_in_use, 1000u); // 1024
        EXPECT_EQ(stats.classes[6].slabs, 1u);
        EXPECT_EQ(stats.arena.allocations, 0u);
    } else {
        EXPECT_EQ(stats.arena.allocations, 3u);
        EXPECT_EQ(stats.arena.bytes_in_use, 1110u);
    }
    b = h.heap.reallocate(b, 120);
    EXPECT_EQ(h.heap.stats().bytes_in_use, 1130u);
    void* large = h.heap.allocate(10000);
    stats = h.heap.stats();
    if (GetParam().mode == HeapMode::Page) {
        EXPECT_EQ(stats.large.allocations, 1u);
        EXPECT_EQ(stats.large.pages, 4u); // 10000 (+32) -> 16 KiB
        EXPECT_EQ(stats.bytes_in_use, 1130u + 4 * 4096);
    } else {
        EXPECT_EQ(stats.bytes_in_use, 11130u);
    }
    for (void* p : { a, b, c, large })
        h.heap.free(p);
    stats = h.heap.stats();
    EXPECT_EQ(stats.allocations, 0u);
    EXPECT_EQ(stats.bytes_in_use, 0u);
    EXPECT_EQ(stats.large.pages, 0u);
    EXPECT_TRUE(g_reports.empty());
}

// ---------------------------------------------------------------------------
// Mode switch, slabs, arena growth.

TEST(Heap, UninitializedHeapAllocatesNothing) {
    Heap heap;
    EXPECT_EQ(heap.mode(), HeapMode::Uninitialized);
    EXPECT_EQ(heap.allocate(8), nullptr);
    heap.free(nullptr);
}

TEST(Heap, InitTwiceOrTooSmallFails) {
    std::vector<uint8_t> memory(1 << 16);
    Heap heap;
    EXPECT_TRUE(heap.init(std::span<uint8_t>(memory.data(), 64), {}).is_error());
    EXPECT_FALSE(heap.init(memory, {}).is_error());
    EXPECT_TRUE(heap.init(memory, {}).is_error());
}

TEST(Heap, EarlyPointersSurviveTheSwitch) {
    for (bool debug : { false, true }) {
        Harness h({ HeapMode::Page, debug }, 4 << 20, 6, false);
        std::vector<std::pair<void*, size_t>> early;
        for (size_t i = 0; i < 40; ++i) {
            size_t size = 1 + i * 37;
            void* p = h.heap.allocate(size);
            ASSERT_NE(p, nullptr);
            fill(p, size, uint8_t(i));
            early.push_back({ p, size });
        }
        h.heap.mark_pages_ready(h.backend);
        EXPECT_EQ(h.heap.mode(), HeapMode::Page);
        void* page = h.heap.allocate(64);
        EXPECT_FALSE(h.in_early(page));
        EXPECT_EQ(h.heap.stats().allocations, 41u);
        for (size_t i = 0; i < early.size(); ++i) {
            auto [p, size] = early[i];
            EXPECT_EQ(h.heap.usable_size(p) >= size, true);
            if (i % 2) {
                h.heap.free(p);
                continue;
            }
            // Reallocating an early pointer moves it to page mode.
            void* q = h.heap.reallocate(p, size + 10);
            ASSERT_NE(q, nullptr);
            EXPECT_FALSE(h.in_early(q));
            EXPECT_EQ(check(q, size, uint8_t(i)), size);
            h.heap.free(q);
        }
        h.heap.free(page);
        EXPECT_TRUE(g_reports.empty());
        HeapStats stats = h.heap.stats();
        EXPECT_EQ(stats.allocations, 0u);
        EXPECT_EQ(stats.bytes_in_use, 0u);
        EXPECT_EQ(stats.arena.allocations, 0u);
        h.heap.release_cached_memory();
        EXPECT_EQ(h.backend.live_blocks(), 0u);
    }
}

TEST(Heap, ArenaOnlyModeGrowsThroughTheBackend) {
    for (bool debug : { false, true }) {
        // A small early arena: everything else must come from the backend.
        Harness h({ HeapMode::ArenaOnly, debug }, 64 << 10, 4, false);
        void* early = h.heap.allocate(1000);
        ASSERT_NE(early, nullptr);
        h.heap.mark_pages_ready(h.backend);
        EXPECT_EQ(h.heap.mode(), HeapMode::ArenaOnly);
        std::vector<void*> live;
        for (size_t i = 0; i < 200; ++i) {
            void* p = h.heap.allocate(5000 + i, i % 3 ? 16 : 4096);
            ASSERT_NE(p, nullptr);
            EXPECT_TRUE(aligned(p, i % 3 ? 16 : 4096));
            fill(p, 5000 + i, uint8_t(i));
            live.push_back(p);
        }
        void* huge = h.heap.allocate(3 << 20); // bigger than the grow size
        ASSERT_NE(huge, nullptr);
        EXPECT_GT(h.backend.live_blocks(BlockKind::Arena), 2u);
        EXPECT_EQ(h.backend.live_blocks(BlockKind::Slab), 0u);
        EXPECT_EQ(h.heap.stats().arena.chunks, h.backend.live_blocks() + 1);
        h.heap.free(huge);
        for (size_t i = 0; i < live.size(); ++i) {
            EXPECT_EQ(check(live[i], 5000 + i, uint8_t(i)), 5000 + i);
            h.heap.free(live[i]);
        }
        h.heap.free(early);
        EXPECT_TRUE(g_reports.empty());
        // Chunks that became entirely free went back.
        EXPECT_EQ(h.backend.live_blocks(), 0u);
        EXPECT_EQ(h.heap.stats().arena.chunks, 1u);
        EXPECT_EQ(h.heap.stats().bytes_in_use, 0u);
    }
}

TEST(Heap, EarlyModeRunsOutWithoutPanicking) {
    Harness h({ HeapMode::Early, false }, 64 << 10);
    std::vector<void*> live;
    while (void* p = h.heap.allocate(1000))
        live.push_back(p);
    EXPECT_GT(live.size(), 50u);
    EXPECT_EQ(h.heap.allocate(100000), nullptr);
    for (void* p : live)
        h.heap.free(p);
    // Fully coalesced again: one allocation of nearly the whole arena fits.
    void* big = h.heap.allocate(60 << 10);
    EXPECT_NE(big, nullptr);
    h.heap.free(big);
    EXPECT_TRUE(g_reports.empty());
}

TEST(Heap, EmptySlabsGoBackToTheBackend) {
    Harness h({ HeapMode::Page, false });
    size_t per_slab = SlabAllocator::objects_per_slab(2); // 64-byte class
    std::vector<void*> live;
    for (size_t i = 0; i < per_slab * 4; ++i)
        live.push_back(h.heap.allocate(64));
    EXPECT_EQ(h.heap.stats().classes[2].slabs, 4u);
    EXPECT_EQ(h.backend.live_blocks(BlockKind::Slab), 4u);
    for (void* p : live) {
        auto info = h.backend.block_info(p);
        ASSERT_TRUE(info);
        EXPECT_EQ(info->kind, BlockKind::Slab);
        EXPECT_TRUE(aligned(p, 64));
    }
    for (void* p : live)
        h.heap.free(p);
    // One empty slab stays cached for the class.
    EXPECT_EQ(h.heap.stats().classes[2].slabs, 1u);
    EXPECT_EQ(h.backend.live_blocks(), 1u);
    size_t before = h.backend.allocations;
    void* again = h.heap.allocate(50);
    EXPECT_EQ(h.backend.allocations, before); // served from the cached slab
    h.heap.free(again);
    h.heap.release_cached_memory();
    EXPECT_EQ(h.heap.stats().classes[2].slabs, 0u);
    EXPECT_EQ(h.backend.live_blocks(), 0u);
}

TEST(Heap, SlabObjectsAreAlignedToTheirClass) {
    Harness h({ HeapMode::Page, false });
    for (unsigned index = 0; index < SlabAllocator::k_class_count; ++index) {
        size_t size = SlabAllocator::class_size(index);
        std::vector<void*> live;
        for (size_t i = 0; i < SlabAllocator::objects_per_slab(index) + 1; ++i) {
            void* p = h.heap.allocate(size);
            ASSERT_TRUE(aligned(p, size));
            live.push_back(p);
        }
        for (void* p : live)
            h.heap.free(p);
    }
    EXPECT_TRUE(g_reports.empty());
}

TEST(Heap, LargeAllocationsArePageBlocks) {
    Harness h({ HeapMode::Page, false });
    void* a = h.heap.allocate(2049);
    void* b = h.heap.allocate(16, 4096);
    void* c = h.heap.allocate(100, 8192);
    for (void* p : { a, b, c }) {
        ASSERT_NE(p, nullptr);
        auto info = h.backend.block_info(p);
        ASSERT_TRUE(info);
        EXPECT_EQ(info->kind, BlockKind::Large);
        EXPECT_EQ(info->base, p);
    }
    EXPECT_TRUE(aligned(c, 8192));
    EXPECT_EQ(h.heap.usable_size(a), 4096u);
    EXPECT_EQ(h.heap.stats().large.allocations, 3u);
    EXPECT_EQ(h.heap.stats().large.pages, 4u);
    for (void* p : { a, b, c })
        h.heap.free(p);
    EXPECT_EQ(h.backend.live_blocks(), 0u);
    // A second free of a released block: the backend no longer knows it.
    h.heap.free(a);
    ASSERT_EQ(g_reports.size(), 1u);
    EXPECT_EQ(g_reports[0].kind, HeapCorruptionKind::InvalidFree);
}

TEST(Heap, BackendExhaustionReturnsNull) {
    Harness h({ HeapMode::Page, false });
    h.backend.page_limit = 8;
    EXPECT_EQ(h.heap.allocate(64 << 10), nullptr);
    std::vector<void*> live;
    while (void* p = h.heap.allocate(1024))
        live.push_back(p);
    EXPECT_EQ(live.size(), 2 * SlabAllocator::objects_per_slab(6));
    void* p = live.back();
    EXPECT_EQ(h.heap.reallocate(p, 2000), nullptr); // class 2048 needs a new slab
    for (void* q : live)
        h.heap.free(q);
    EXPECT_TRUE(g_reports.empty());
}

TEST(Heap, DoubleFreeWithoutDebugModeInEverySlabClass) {
    Harness h({ HeapMode::Page, false });
    for (unsigned index = 0; index < SlabAllocator::k_class_count; ++index) {
        g_reports.clear();
        size_t size = SlabAllocator::class_size(index);
        void* keep = h.heap.allocate(size);
        void* p = h.heap.allocate(size);
        h.heap.free(p);
        h.heap.free(p);
        ASSERT_EQ(g_reports.size(), 1u);
        EXPECT_EQ(g_reports[0].kind, HeapCorruptionKind::DoubleFree);
        EXPECT_EQ(g_reports[0].size_class, size);
        // A never-allocated slot of a live slab is free too.
        h.heap.free(static_cast<uint8_t*>(keep) + 2 * size);
        EXPECT_EQ(g_reports.size(), 2u);
        h.heap.free(keep);
    }
    EXPECT_EQ(h.heap.stats().allocations, 0u);
}

// ---------------------------------------------------------------------------
// Debug mode: every corruption kind, reported precisely and refused.

class HeapDebugModes : public testing::TestWithParam<Config> { };

INSTANTIATE_TEST_SUITE_P(Debug, HeapDebugModes,
    testing::Values(Config { HeapMode::Early, true }, Config { HeapMode::Page, true },
        Config { HeapMode::ArenaOnly, true }),
    config_name);

TEST_P(HeapDebugModes, RedzoneOverwriteOnFree) {
    Harness h(GetParam());
    for (size_t size : { 1u, 30u, 100u, 2000u, 5000u }) {
        g_reports.clear();
        auto* p = static_cast<uint8_t*>(h.heap.allocate(size));
        ASSERT_NE(p, nullptr);
        size_t objects = h.heap.stats().allocations;
        p[size + 3] = 0x11; // three bytes past the end
        h.heap.free(p);
        ASSERT_EQ(g_reports.size(), 1u) << size;
        EXPECT_EQ(g_reports[0].kind, HeapCorruptionKind::RedzoneOverwrite);
        EXPECT_EQ(g_reports[0].address, p);
        EXPECT_EQ(g_reports[0].offset, ptrdiff_t(size + 3));
        EXPECT_EQ(g_reports[0].expected, k_heap_redzone_byte);
        EXPECT_EQ(g_reports[0].found, 0x11);
        EXPECT_EQ(h.heap.stats().allocations, objects); // refused
        // Reallocation checks too.
        EXPECT_EQ(h.heap.reallocate(p, size + 1), nullptr);
        EXPECT_EQ(g_reports.size(), 2u);
        p[size + 3] = k_heap_redzone_byte;
        h.heap.free(p);
        EXPECT_EQ(g_reports.size(), 2u);
    }
    EXPECT_EQ(h.heap.stats().allocations, 0u);
}

TEST_P(HeapDebugModes, RedzoneAfterInPlaceReallocation) {
    Harness h(GetParam());
    auto* p = static_cast<uint8_t*>(h.heap.allocate(40));
    ASSERT_EQ(h.heap.reallocate(p, 20), p);
    p[20] = 0; // was inside the object, now the redzone
    h.heap.free(p);
    ASSERT_EQ(g_reports.size(), 1u);
    EXPECT_EQ(g_reports[0].kind, HeapCorruptionKind::RedzoneOverwrite);
    EXPECT_EQ(g_reports[0].offset, 20);
}

TEST_P(HeapDebugModes, WriteAfterFreeIsFoundAtReuse) {
    Harness h(GetParam());
    for (size_t size : { 24u, 200u, 1500u }) {
        g_reports.clear();
        auto* guard = h.heap.allocate(size);
        auto* p = static_cast<uint8_t*>(h.heap.allocate(size));
        auto* guard2 = h.heap.allocate(size);
        h.heap.free(p);
        EXPECT_EQ(p[5], k_heap_free_poison);
        p[5] = 0x42; // through a dangling pointer
        EXPECT_TRUE(g_reports.empty());
        auto* q = static_cast<uint8_t*>(h.heap.allocate(size));
        ASSERT_EQ(q, p) << "the freed slot is handed out again";
        ASSERT_EQ(g_reports.size(), 1u) << size;
        EXPECT_EQ(g_reports[0].kind, HeapCorruptionKind::WriteAfterFree);
        EXPECT_EQ(g_reports[0].address, p);
        EXPECT_EQ(g_reports[0].offset, 5);
        EXPECT_EQ(g_reports[0].expected, k_heap_free_poison);
        EXPECT_EQ(g_reports[0].found, 0x42);
        // The slot's metadata is out of band: the heap stays consistent.
        h.heap.free(q);
        h.heap.free(guard);
        h.heap.free(guard2);
        EXPECT_EQ(g_reports.size(), 1u);
    }
    EXPECT_EQ(h.heap.stats().allocations, 0u);
}

TEST_P(HeapDebugModes, DoubleFreeAndInvalidFree) {
    Harness h(GetParam());
    auto* a = static_cast<uint8_t*>(h.heap.allocate(48));
    auto* b = static_cast<uint8_t*>(h.heap.allocate(48));
    auto* c = static_cast<uint8_t*>(h.heap.allocate(48));
    h.heap.free(b);
    h.heap.free(b);
    h.heap.free(a + 1);
    h.heap.free(a + 32);
    ASSERT_EQ(g_reports.size(), 3u);
    EXPECT_EQ(g_reports[0].kind, HeapCorruptionKind::DoubleFree);
    EXPECT_EQ(g_reports[0].address, b);
    EXPECT_EQ(g_reports[1].kind, HeapCorruptionKind::InvalidFree);
    EXPECT_EQ(g_reports[1].address, a + 1);
    EXPECT_EQ(g_reports[2].kind, HeapCorruptionKind::InvalidFree);
    h.heap.free(a);
    h.heap.free(c);
    EXPECT_EQ(g_reports.size(), 3u);
    EXPECT_EQ(h.heap.stats().allocations, 0u);
}

TEST_P(HeapDebugModes, HeaderCorruptionIsReported) {
    Harness h(GetParam());
    auto* p = static_cast<uint8_t*>(h.heap.allocate(64));
    auto* next = static_cast<uint8_t*>(h.heap.allocate(64));
    if (GetParam().mode == HeapMode::Page) {
        // The slab header at the block base.
        auto info = h.backend.block_info(p);
        ASSERT_TRUE(info);
        auto* header = static_cast<uint8_t*>(info->base);
        header[0] ^= 1;
        h.heap.free(p);
        ASSERT_EQ(g_reports.size(), 1u);
        EXPECT_EQ(g_reports[0].kind, HeapCorruptionKind::HeaderCorrupt);
        EXPECT_EQ(g_reports[0].address, p);
        header[0] ^= 1;
    } else {
        // The arena block header in front of the object (its prev_size).
        p[-40] ^= 0x10;
        h.heap.free(p);
        ASSERT_EQ(g_reports.size(), 1u);
        EXPECT_EQ(g_reports[0].kind, HeapCorruptionKind::HeaderCorrupt);
        EXPECT_EQ(g_reports[0].address, p);
        p[-40] ^= 0x10;
    }
    h.heap.free(p);
    h.heap.free(next);
    EXPECT_EQ(g_reports.size(), 1u);
    EXPECT_EQ(h.heap.stats().allocations, 0u);
}

TEST(HeapDebug, LargeBlockTrailerAndRedzone) {
    Harness h({ HeapMode::Page, true });
    auto* p = static_cast<uint8_t*>(h.heap.allocate(4096));
    ASSERT_NE(p, nullptr);
    auto info = h.backend.block_info(p);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->kind, BlockKind::Large);
    EXPECT_EQ(info->order, 1u); // 4096 + redzone + trailer
    size_t block_bytes = 8192;
    p[block_bytes - 1] ^= 0xFF; // the trailer
    h.heap.free(p);
    ASSERT_EQ(g_reports.size(), 1u);
    EXPECT_EQ(g_reports[0].kind, HeapCorruptionKind::HeaderCorrupt);
    EXPECT_EQ(g_reports[0].offset, ptrdiff_t(block_bytes - 16));
    p[block_bytes - 1] ^= 0xFF;
    p[5000] = 0; // redzone beyond the 4096 requested bytes
    h.heap.free(p);
    ASSERT_EQ(g_reports.size(), 2u);
    EXPECT_EQ(g_reports[1].kind, HeapCorruptionKind::RedzoneOverwrite);
    EXPECT_EQ(g_reports[1].offset, 5000);
    p[5000] = k_heap_redzone_byte;
    h.heap.free(p);
    EXPECT_EQ(g_reports.size(), 2u);
    EXPECT_EQ(h.backend.live_blocks(), 0u);
}

TEST(HeapDebug, FreshObjectsAreFilledAndFreedOnesPoisoned) {
    Harness h({ HeapMode::Page, true });
    auto* p = static_cast<uint8_t*>(h.heap.allocate(20));
    EXPECT_EQ(p[0], k_heap_fresh_byte);
    EXPECT_EQ(p[19], k_heap_fresh_byte);
    EXPECT_EQ(p[20], k_heap_redzone_byte);
    EXPECT_EQ(p[35], k_heap_redzone_byte); // class 64: redzone up to the slot end
    h.heap.free(p);
    EXPECT_EQ(p[0], k_heap_free_poison);
    EXPECT_EQ(p[63], k_heap_free_poison);
}

TEST(HeapDebug, ArenaWriteAfterFreeInCoalescedSpace) {
    Harness h({ HeapMode::Early, true });
    auto* a = static_cast<uint8_t*>(h.heap.allocate(100));
    auto* b = static_cast<uint8_t*>(h.heap.allocate(100));
    auto* c = static_cast<uint8_t*>(h.heap.allocate(100));
    h.heap.free(a);
    h.heap.free(b); // merges with a
    b[-30] = 1; // inside b's former header, now free space
    auto* d = static_cast<uint8_t*>(h.heap.allocate(250));
    ASSERT_EQ(d, a);
    ASSERT_EQ(g_reports.size(), 1u);
    EXPECT_EQ(g_reports[0].kind, HeapCorruptionKind::WriteAfterFree);
    EXPECT_EQ(g_reports[0].address, d);
    EXPECT_EQ(d + g_reports[0].offset, b - 30);
    h.heap.free(d);
    h.heap.free(c);
    EXPECT_EQ(g_reports.size(), 1u);
}

// ---------------------------------------------------------------------------
// Randomized stress against a reference model.

struct Live {
    size_t size;
    uint8_t seed;
};

class Stress {
public:
    Stress(Config config, uint32_t seed)
        : m_config(config)
        , m_random(seed) {
        m_harness = std::make_unique<Harness>(config, 32 << 20, 6, false);
    }

    void run(size_t operations) {
        for (size_t i = 0; i < operations; ++i) {
            if (i == operations / 4 && m_config.mode != HeapMode::Early) {
                heap().mark_pages_ready(m_harness->backend);
                ASSERT_EQ(heap().mode(), m_config.mode);
            }
            step();
            if (::testing::Test::HasFatalFailure())
                return;
            if (i % 20000 == 0)
                check_stats();
        }
        check_stats();
        for (auto& [address, live] : m_live) {
            ASSERT_EQ(check(reinterpret_cast<void*>(address), live.size, live.seed), live.size);
            heap().free(reinterpret_cast<void*>(address));
        }
        m_live.clear();
        HeapStats stats = heap().stats();
        EXPECT_EQ(stats.allocations, 0u);
        EXPECT_EQ(stats.bytes_in_use, 0u);
        EXPECT_EQ(stats.large.pages, 0u);
        heap().release_cached_memory();
        EXPECT_EQ(m_harness->backend.live_blocks(), 0u);
        EXPECT_TRUE(g_reports.empty()) << heap_corruption_name(g_reports[0].kind);
    }

private:
    Heap& heap() { return m_harness->heap; }
    uint32_t next() { return m_random(); }

    size_t random_size() {
        uint32_t roll = next() % 100;
        if (roll < 70)
            return next() % 65;
        if (roll < 92)
            return 65 + next() % 1984;
        if (roll < 99)
            return 2049 + next() % 14336;
        return 16385 + next() % 49152;
    }

    void add(void* pointer, size_t size, size_t alignment) {
        ASSERT_NE(pointer, nullptr) << "size " << size << " alignment " << alignment;
        ASSERT_TRUE(aligned(pointer, alignment)) << pointer << " " << alignment;
        ASSERT_GE(heap().usable_size(pointer), size);
        auto address = reinterpret_cast<uintptr_t>(pointer);
        size_t extent = std::max<size_t>(size, 1);
        auto after = m_live.lower_bound(address);
        if (after != m_live.end())
            ASSERT_GE(after->first, address + extent) << "overlaps a live allocation";
        if (after != m_live.begin()) {
            auto before = std::prev(after);
            ASSERT_LE(before->first + std::max<size_t>(before->second.size, 1), address)
                << "overlaps a live allocation";
        }
        uint8_t seed = uint8_t(next());
        fill(pointer, size, seed);
        m_live[address] = { size, seed };
    }

    void step() {
        uint32_t roll = next() % 100;
        bool grow = m_live.size() < 1500;
        if (m_live.empty() || (grow && roll < 45) || (!grow && roll < 25)) {
            size_t size = random_size();
            size_t alignment = next() % 5 ? k_heap_default_alignment : size_t(1) << (next() % 13);
            void* pointer
                = next() % 8 ? heap().allocate(size, alignment) : heap().allocate_zeroed(size, alignment);
            add(pointer, size, alignment);
            return;
        }
        auto it = m_live.lower_bound(uintptr_t(next()) * 4099 ^ uintptr_t(next()) << 24);
        if (it == m_live.end())
            it = m_live.begin();
        void* pointer = reinterpret_cast<void*>(it->first);
        Live live = it->second;
        ASSERT_EQ(check(pointer, live.size, live.seed), live.size) << "contents changed";
        if (roll < 80) {
            m_live.erase(it);
            heap().free(pointer);
            return;
        }
        size_t size = next() % 4 ? random_size() : live.size + next() % 64;
        void* moved = heap().reallocate(pointer, size);
        ASSERT_NE(moved, nullptr);
        size_t kept = std::min(size, live.size);
        ASSERT_EQ(check(moved, kept, live.seed), kept) << "reallocate lost data";
        m_live.erase(it);
        add(moved, size, k_heap_default_alignment);
    }

    void check_stats() {
        HeapStats stats = heap().stats();
        ASSERT_EQ(stats.allocations, m_live.size());
        size_t bytes = 0;
        for (auto& [address, live] : m_live) {
            auto info = heap().mode() == HeapMode::Page
                ? m_harness->backend.block_info(reinterpret_cast<void*>(address))
                : std::nullopt;
            bytes += info && info->kind == BlockKind::Large ? k_heap_page_size << info->order : live.size;
        }
        ASSERT_EQ(stats.bytes_in_use, bytes);
        ASSERT_TRUE(g_reports.empty());
    }

    Config m_config;
    std::mt19937 m_random;
    std::unique_ptr<Harness> m_harness;
    std::map<uintptr_t, Live> m_live;
};

TEST(HeapStress, EarlyMode) {
    Stress({ HeapMode::Early, false }, 1).run(150000);
}
TEST(HeapStress, EarlyModeDebug) {
    Stress({ HeapMode::Early, true }, 2).run(100000);
}
TEST(HeapStress, PageMode) {
    Stress({ HeapMode::Page, false }, 3).run(300000);
}
TEST(HeapStress, PageModeDebug) {
    Stress({ HeapMode::Page, true }, 4).run(150000);
}
TEST(HeapStress, ArenaOnlyMode) {
    Stress({ HeapMode::ArenaOnly, false }, 5).run(200000);
}
TEST(HeapStress, ArenaOnlyModeDebug) {
    Stress({ HeapMode::ArenaOnly, true }, 6).run(100000);
}

} // namespace
