// Host tests of libakuma's userspace allocators (userspace/libakuma): the
// fast, guard and brk allocators and the C-semantics layer over them, on a
// host PageSource that uses the real mmap/munmap/mprotect (so guard pages
// really fault) and emulates the program break inside a reserved region.
// The backend checks every unmap/protect lies inside memory the allocator
// mapped, and counts calls so chunk and page return can be asserted.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "akuma/alloc/brk_allocator.h"
#include "akuma/alloc/fast_allocator.h"
#include "akuma/alloc/guard_allocator.h"
#include "akuma/alloc/malloc_api.h"
#include "akuma/alloc/thread_cache.h"

using namespace akuma::user;

namespace {

// ---------------------------------------------------------------- backend

// What the allocators' PageSource touches: live mappings, counters and an
// emulated break. Owned by the test; the PageSource holds a pointer to it.
class HostMemory {
public:
    static constexpr size_t k_brk_reserve = size_t(1) << 30;

    // The break starts `brk_offset` bytes into its region (unaligned, like
    // the break after static glibc took its TLS block).
    explicit HostMemory(size_t brk_offset = 0x1238) {
        void* region = ::mmap(nullptr, k_brk_reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (region == MAP_FAILED)
            std::abort();
        brk_base = to_address(region);
        brk_current = brk_base + brk_offset;
        brk_limit = brk_base + k_brk_reserve;
        accessible_end = brk_base;
        make_accessible(brk_current);
    }

    ~HostMemory() {
        for (auto [start, end] : mappings)
            ::munmap(to_pointer(start), end - start);
        ::munmap(to_pointer(brk_base), k_brk_reserve);
    }

    HostMemory(const HostMemory&) = delete;
    HostMemory& operator=(const HostMemory&) = delete;

    void* map(size_t bytes) {
        EXPECT_EQ(bytes % k_page_size, 0u);
        if (fail_maps || bytes > map_limit)
            return nullptr;
        void* pointer = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pointer == MAP_FAILED)
            return nullptr;
        uintptr_t start = to_address(pointer);
        add_range(start, start + bytes);
        maps++;
        mapped_bytes += bytes;
        peak_mapped_bytes = std::max(peak_mapped_bytes, mapped_bytes);
        return pointer;
    }

    void unmap(void* pointer, size_t bytes) {
        uintptr_t start = to_address(pointer);
        EXPECT_EQ(start % k_page_size, 0u);
        EXPECT_EQ(bytes % k_page_size, 0u);
        EXPECT_TRUE(remove_range(start, start + bytes)) << "unmap of memory never mapped: " << pointer;
        EXPECT_EQ(::munmap(pointer, bytes), 0);
        unmaps++;
        mapped_bytes -= bytes;
    }

    bool protect(void* pointer, size_t bytes, Protection protection) {
        uintptr_t start = to_address(pointer);
        EXPECT_TRUE(covered(start, start + bytes)) << "protect of memory never mapped: " << pointer;
        protects++;
        int flags = protection == Protection::None ? PROT_NONE
            : protection == Protection::Read       ? PROT_READ
                                                   : PROT_READ | PROT_WRITE;
        return ::mprotect(pointer, bytes, flags) == 0;
    }

    uintptr_t current_break() {
        brk_calls++;
        return brk_current;
    }

    // Linux semantics: the new break, or the old one when refused.
    uintptr_t set_break(uintptr_t address) {
        brk_calls++;
        if (address < brk_base || address > brk_limit)
            return brk_current;
        make_accessible(address);
        brk_current = address;
        return address;
    }

    // A program's own sbrk() moving the break behind the allocator's back.
    void foreign_sbrk(size_t bytes) {
        make_accessible(brk_current + bytes);
        brk_current += bytes;
    }

    size_t live_mappings() const { return mappings.size(); }

    uintptr_t brk_base = 0;
    uintptr_t brk_current = 0;
    uintptr_t brk_limit = 0;
    size_t map_limit = ~size_t(0);
    bool fail_maps = false;
    size_t maps = 0, unmaps = 0, protects = 0, brk_calls = 0;
    size_t mapped_bytes = 0, peak_mapped_bytes = 0;

private:
    // Pages below the break are RW, pages above it inaccessible (and
    // discarded, as Linux does when the break shrinks).
    void make_accessible(uintptr_t new_break) {
        uintptr_t end = align_up(new_break, k_page_size);
        if (end > accessible_end)
            EXPECT_EQ(::mprotect(to_pointer(accessible_end), end - accessible_end, PROT_READ | PROT_WRITE), 0);
        else if (end < accessible_end) {
            EXPECT_EQ(::madvise(to_pointer(end), accessible_end - end, MADV_DONTNEED), 0);
            EXPECT_EQ(::mprotect(to_pointer(end), accessible_end - end, PROT_NONE), 0);
        }
        accessible_end = end;
    }

    void add_range(uintptr_t start, uintptr_t end) {
        auto next = mappings.lower_bound(start);
        EXPECT_TRUE(next == mappings.end() || next->first >= end) << "overlapping mapping";
        mappings[start] = end;
    }

    bool covered(uintptr_t start, uintptr_t end) const {
        auto it = mappings.upper_bound(start);
        if (it == mappings.begin())
            return false;
        --it;
        return it->first <= start && end <= it->second;
    }

    bool remove_range(uintptr_t start, uintptr_t end) {
        if (!covered(start, end))
            return false;
        auto it = std::prev(mappings.upper_bound(start));
        uintptr_t range_start = it->first, range_end = it->second;
        mappings.erase(it);
        if (range_start < start)
            mappings[range_start] = start;
        if (end < range_end)
            mappings[end] = range_end;
        return true;
    }

    std::map<uintptr_t, uintptr_t> mappings;
    uintptr_t accessible_end = 0;
};

struct HostPageSource {
    HostMemory* memory = nullptr;

    void* map(size_t bytes) { return memory->map(bytes); }
    void unmap(void* address, size_t bytes) { memory->unmap(address, bytes); }
    bool protect(void* address, size_t bytes, Protection protection) {
        return memory->protect(address, bytes, protection);
    }
    uintptr_t current_break() { return memory->current_break(); }
    uintptr_t set_break(uintptr_t address) { return memory->set_break(address); }
    [[noreturn]] void fatal(const char* what, const void* address) {
        std::fprintf(stderr, "libakuma malloc: %s at %p\n", what, address);
        std::abort();
    }
};

using Fast = FastAllocator<HostPageSource>;
using Guard = GuardAllocator<HostPageSource>;
using Brk = BrkAllocator<HostPageSource>;

// An allocator with its own memory.
template <typename Allocator>
struct Harness {
    HostMemory memory;
    Allocator allocator { HostPageSource { &memory } };
};

// Is the byte at `address` readable / writable? Asks the kernel (EFAULT)
// instead of touching it, so no signal is involved.
bool is_readable(const void* address) {
    int fds[2];
    if (pipe(fds) != 0)
        std::abort();
    bool ok = ::write(fds[1], address, 1) == 1;
    close(fds[0]);
    close(fds[1]);
    return ok;
}

bool is_writable(void* address) {
    int fds[2];
    if (pipe(fds) != 0)
        std::abort();
    char byte = 0;
    if (::write(fds[1], &byte, 1) != 1)
        std::abort();
    bool ok = ::read(fds[0], address, 1) == 1;
    close(fds[0]);
    close(fds[1]);
    return ok;
}

unsigned char pattern_byte(uint64_t seed, size_t index) {
    return static_cast<unsigned char>((seed * 131 + index * 7 + (index >> 8)) ^ (seed >> 3));
}

void fill(void* pointer, size_t size, uint64_t seed) {
    auto* bytes = static_cast<unsigned char*>(pointer);
    for (size_t i = 0; i < size; i++)
        bytes[i] = pattern_byte(seed, i);
}

// Index of the first byte that differs from the pattern, or size.
size_t first_mismatch(const void* pointer, size_t size, uint64_t seed) {
    const auto* bytes = static_cast<const unsigned char*>(pointer);
    for (size_t i = 0; i < size; i++)
        if (bytes[i] != pattern_byte(seed, i))
            return i;
    return size;
}

bool all_zero(const void* pointer, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(pointer);
    return std::all_of(bytes, bytes + size, [](unsigned char b) { return b == 0; });
}

// ------------------------------------------------- tests for every allocator

template <typename Allocator>
class AllocatorTest : public testing::Test {
protected:
    Harness<Allocator> h;
    Allocator& a = h.allocator;
};

using AllAllocators = testing::Types<Fast, Guard, Brk>;

struct AllocatorNames {
    template <typename T>
    static std::string GetName(int) {
        return T::k_name;
    }
};

TYPED_TEST_SUITE(AllocatorTest, AllAllocators, AllocatorNames);

TYPED_TEST(AllocatorTest, MallocZeroReturnsUniquePointers) {
    void* p = api_malloc(this->a, 0);
    void* q = api_malloc(this->a, 0);
    ASSERT_NE(p, nullptr);
    ASSERT_NE(q, nullptr);
    EXPECT_NE(p, q);
    EXPECT_EQ(to_address(p) % 16, 0u);
    api_free(this->a, p);
    api_free(this->a, q);
    api_free(this->a, nullptr);
}

TYPED_TEST(AllocatorTest, DefaultAlignmentIs16) {
    std::vector<void*> blocks;
    for (size_t size = 0; size < 3000; size += 7) {
        void* p = api_malloc(this->a, size);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(to_address(p) % 16, 0u) << "size " << size;
        blocks.push_back(p);
    }
    for (void* p : blocks)
        api_free(this->a, p);
}

TYPED_TEST(AllocatorTest, UsableSizeIsAtLeastRequestAndWritable) {
    std::vector<std::pair<void*, size_t>> blocks;
    for (size_t size : { 0, 1, 8, 15, 16, 17, 31, 32, 100, 128, 129, 255, 256, 257, 1000, 1024, 4095, 4096, 4097,
             8191, 8192, 8193, 20000, 65536, 100000, 1 << 20 }) {
        void* p = api_malloc(this->a, size);
        ASSERT_NE(p, nullptr);
        size_t usable = api_usable_size(this->a, p);
        EXPECT_GE(usable, size);
        fill(p, usable, blocks.size());
        blocks.push_back({ p, usable });
    }
    for (size_t i = 0; i < blocks.size(); i++) {
        auto [p, usable] = blocks[i];
        EXPECT_EQ(first_mismatch(p, usable, i), usable) << "neighbours overlap";
        api_free(this->a, p);
    }
    EXPECT_EQ(api_usable_size(this->a, nullptr), 0u);
}

TYPED_TEST(AllocatorTest, CallocZeroesReusedMemory) {
    for (int round = 0; round < 3; round++) {
        std::vector<void*> dirty;
        for (size_t size : { 16, 48, 200, 3000, 9000, 200000 }) {
            void* p = api_malloc(this->a, size);
            ASSERT_NE(p, nullptr);
            std::memset(p, 0xff, size);
            dirty.push_back(p);
        }
        for (void* p : dirty)
            api_free(this->a, p);
        for (size_t size : { 16, 48, 200, 3000, 9000, 200000 }) {
            auto* p = static_cast<unsigned char*>(api_calloc(this->a, 1, size));
            ASSERT_NE(p, nullptr);
            EXPECT_TRUE(all_zero(p, size)) << "size " << size;
            api_free(this->a, p);
        }
    }
}

TYPED_TEST(AllocatorTest, CallocOverflowAndHugeRequestsFailWithEnomem) {
    errno = 0;
    EXPECT_EQ(api_calloc(this->a, SIZE_MAX / 2, 3), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    errno = 0;
    EXPECT_EQ(api_calloc(this->a, size_t(1) << 32, size_t(1) << 32), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    errno = 0;
    EXPECT_EQ(api_malloc(this->a, SIZE_MAX), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    errno = 0;
    EXPECT_EQ(api_malloc(this->a, k_max_request + 1), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    errno = 0;
    EXPECT_EQ(api_malloc(this->a, k_max_request), nullptr); // representable, but no memory for it
    EXPECT_EQ(errno, ENOMEM);
    void* p = api_malloc(this->a, 10);
    errno = 0;
    EXPECT_EQ(api_realloc(this->a, p, SIZE_MAX - 8), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    api_free(this->a, p); // still ours after the failed realloc
    errno = 0;
    EXPECT_EQ(api_aligned_alloc(this->a, size_t(1) << 62, 16), nullptr);
    EXPECT_EQ(errno, ENOMEM);
}

TYPED_TEST(AllocatorTest, ReallocFollowsGlibc) {
    // realloc(nullptr, n) allocates.
    auto* p = static_cast<unsigned char*>(api_realloc(this->a, nullptr, 40));
    ASSERT_NE(p, nullptr);
    fill(p, 40, 40);
    // Growth and shrinking keep the common prefix, across size classes and
    // into and out of large blocks.
    size_t size = 40;
    for (size_t next : { 41, 100, 1000, 5000, 9000, 100000, 300000, 70000, 8000, 200, 17, 1, 3000 }) {
        p = static_cast<unsigned char*>(api_realloc(this->a, p, next));
        ASSERT_NE(p, nullptr);
        size_t kept = std::min(size, next);
        EXPECT_EQ(first_mismatch(p, kept, size), kept) << size << " -> " << next;
        fill(p, next, next);
        size = next;
    }
    // realloc(p, 0) frees and returns nullptr.
    EXPECT_EQ(api_realloc(this->a, p, 0), nullptr);
}

TYPED_TEST(AllocatorTest, AlignedAllocationsAreAlignedAndWritable) {
    std::vector<void*> blocks;
    for (size_t alignment = 1; alignment <= (size_t(1) << 20); alignment *= 2) {
        for (size_t size : { 0, 1, 15, 16, 17, 100, 4095, 4096, 5000, 70000 }) {
            void* p = api_aligned_alloc(this->a, alignment, size);
            ASSERT_NE(p, nullptr) << alignment << " " << size;
            EXPECT_EQ(to_address(p) % std::max<size_t>(alignment, 16), 0u) << alignment << " " << size;
            size_t usable = api_usable_size(this->a, p);
            EXPECT_GE(usable, size);
            std::memset(p, 0x5a, usable);
            blocks.push_back(p);
        }
    }
    // posix_memalign and memalign on the same paths.
    void* q = nullptr;
    ASSERT_EQ(api_posix_memalign(this->a, &q, 256, 300), 0);
    EXPECT_EQ(to_address(q) % 256, 0u);
    blocks.push_back(q);
    void* r = api_memalign(this->a, 24, 10); // rounded up to 32
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(to_address(r) % 32, 0u);
    blocks.push_back(r);
    void* v = api_valloc(this->a, 10);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(to_address(v) % k_page_size, 0u);
    blocks.push_back(v);
    void* pv = api_pvalloc(this->a, 10);
    ASSERT_NE(pv, nullptr);
    EXPECT_EQ(to_address(pv) % k_page_size, 0u);
    EXPECT_GE(api_usable_size(this->a, pv), k_page_size);
    std::memset(pv, 1, k_page_size);
    blocks.push_back(pv);
    for (void* p : blocks)
        api_free(this->a, p);
}

TYPED_TEST(AllocatorTest, AlignmentArgumentValidation) {
    void* out = reinterpret_cast<void*>(0x1234);
    EXPECT_EQ(api_posix_memalign(this->a, &out, 0, 16), EINVAL);
    EXPECT_EQ(api_posix_memalign(this->a, &out, 3, 16), EINVAL);
    EXPECT_EQ(api_posix_memalign(this->a, &out, 4, 16), EINVAL); // not a multiple of sizeof(void*)
    EXPECT_EQ(api_posix_memalign(this->a, &out, 24, 16), EINVAL);
    EXPECT_EQ(out, reinterpret_cast<void*>(0x1234)) << "untouched on failure";
    EXPECT_EQ(api_posix_memalign(this->a, &out, 8, 0), 0);
    EXPECT_NE(out, nullptr);
    api_free(this->a, out);
    errno = 0;
    EXPECT_EQ(api_aligned_alloc(this->a, 0, 16), nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(api_aligned_alloc(this->a, 48, 16), nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(api_memalign(this->a, (SIZE_MAX / 2) + 2, 16), nullptr);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(api_pvalloc(this->a, SIZE_MAX - 10), nullptr);
    EXPECT_EQ(errno, ENOMEM);
}

// Random malloc/calloc/realloc/aligned/free with every block's content
// checked before it is touched again: catches overlap, lost data, bad
// copies on realloc and corruption of neighbours.
TYPED_TEST(AllocatorTest, RandomOperationsKeepContents) {
    struct Live {
        void* pointer;
        size_t size;
        uint64_t seed;
    };
    std::mt19937_64 random(1234);
    std::vector<Live> live;
    uint64_t next_seed = 1;
    auto pick_size = [&]() -> size_t {
        unsigned r = random() % 100;
        if (r < 70)
            return random() % 300;
        if (r < 95)
            return random() % 20000;
        return random() % 600000;
    };
    const int operations = std::is_same_v<TypeParam, Guard> ? 6000 : 40000;
    for (int step = 0; step < operations; step++) {
        unsigned op = random() % 10;
        if (live.empty() || op < 4) {
            size_t size = pick_size();
            void* p;
            if (op == 0) {
                p = api_calloc(this->a, 1, size);
                ASSERT_NE(p, nullptr);
                ASSERT_TRUE(all_zero(p, size));
            } else if (op == 1) {
                size_t alignment = size_t(32) << (random() % 9);
                p = api_aligned_alloc(this->a, alignment, size);
                ASSERT_NE(p, nullptr);
                ASSERT_EQ(to_address(p) % alignment, 0u);
            } else {
                p = api_malloc(this->a, size);
                ASSERT_NE(p, nullptr);
            }
            ASSERT_GE(api_usable_size(this->a, p), size);
            uint64_t seed = next_seed++;
            fill(p, size, seed);
            live.push_back({ p, size, seed });
        } else if (op < 7) {
            size_t index = random() % live.size();
            Live& block = live[index];
            ASSERT_EQ(first_mismatch(block.pointer, block.size, block.seed), block.size);
            size_t size = pick_size() + 1;
            void* p = api_realloc(this->a, block.pointer, size);
            ASSERT_NE(p, nullptr);
            size_t kept = std::min(size, block.size);
            ASSERT_EQ(first_mismatch(p, kept, block.seed), kept);
            uint64_t seed = next_seed++;
            fill(p, size, seed);
            block = { p, size, seed };
        } else {
            size_t index = random() % live.size();
            Live block = live[index];
            ASSERT_EQ(first_mismatch(block.pointer, block.size, block.seed), block.size);
            api_free(this->a, block.pointer);
            live[index] = live.back();
            live.pop_back();
        }
        if constexpr (std::is_same_v<TypeParam, Brk>) {
            if (step % 997 == 0)
                ASSERT_EQ(this->a.verify(), nullptr) << "step " << step;
        }
    }
    for (const Live& block : live) {
        ASSERT_EQ(first_mismatch(block.pointer, block.size, block.seed), block.size);
        api_free(this->a, block.pointer);
    }
    if constexpr (std::is_same_v<TypeParam, Fast>) {
        EXPECT_EQ(this->a.large_count(), 0u);
        EXPECT_LE(this->a.chunk_count(), SizeClasses::k_count) << "at most one spare chunk per class";
    } else if constexpr (std::is_same_v<TypeParam, Guard>) {
        EXPECT_EQ(this->a.mapping_count(), 0u);
        EXPECT_EQ(this->h.memory.live_mappings(), 0u);
    } else {
        typename Brk::Stats stats;
        ASSERT_EQ(this->a.verify(&stats), nullptr);
        EXPECT_EQ(stats.used_blocks, 0u);
        EXPECT_EQ(stats.top, stats.segment_start) << "everything merged back into the wilderness";
    }
}

TYPED_TEST(AllocatorTest, ManySmallBlocksFreedInRandomOrder) {
    std::mt19937 random(99);
    std::vector<std::pair<unsigned char*, size_t>> blocks;
    for (int i = 0; i < 20000; i++) {
        size_t size = 1 + random() % 256;
        auto* p = static_cast<unsigned char*>(api_malloc(this->a, size));
        ASSERT_NE(p, nullptr);
        std::memset(p, i & 0xff, size);
        blocks.push_back({ p, size });
        if (std::is_same_v<TypeParam, Guard> && i == 3000)
            break; // two mappings per block: keep the guard run short
    }
    std::vector<size_t> order(blocks.size());
    for (size_t i = 0; i < order.size(); i++)
        order[i] = i;
    std::shuffle(order.begin(), order.end(), random);
    for (size_t index : order) {
        auto [p, size] = blocks[index];
        for (size_t i = 0; i < size; i++)
            ASSERT_EQ(p[i], index & 0xff);
        api_free(this->a, p);
    }
}

TYPED_TEST(AllocatorTest, OutOfMemoryIsEnomemNotACrash) {
    this->h.memory.fail_maps = true;
    this->h.memory.brk_limit = this->h.memory.brk_current; // the break cannot grow either
    errno = 0;
    EXPECT_EQ(api_malloc(this->a, 100), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    errno = 0;
    EXPECT_EQ(api_malloc(this->a, 1 << 20), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    void* out = nullptr;
    EXPECT_EQ(api_posix_memalign(this->a, &out, 4096, 100), ENOMEM);
    this->h.memory.fail_maps = false;
    this->h.memory.brk_limit = this->h.memory.brk_base + HostMemory::k_brk_reserve;
    void* p = api_malloc(this->a, 100);
    ASSERT_NE(p, nullptr) << "recovers once memory is back";
    api_free(this->a, p);
}

TEST(AllocatorDeathTest, InvalidFreesAbortLoudly) {
    testing::FLAGS_gtest_death_test_style = "threadsafe";
    EXPECT_DEATH(
        {
            Harness<Fast> h;
            void* p = api_malloc(h.allocator, 64);
            api_free(h.allocator, p);
            api_free(h.allocator, p);
        },
        "double free");
    EXPECT_DEATH(
        {
            Harness<Brk> h;
            void* p = api_malloc(h.allocator, 64);
            void* keep = api_malloc(h.allocator, 64);
            api_free(h.allocator, p);
            api_free(h.allocator, p);
            api_free(h.allocator, keep);
        },
        "invalid pointer or double free");
    EXPECT_DEATH(
        {
            Harness<Fast> h;
            auto* p = static_cast<char*>(api_malloc(h.allocator, 64));
            api_free(h.allocator, p + 4 * k_page_size); // inside the chunk, never handed out
        },
        "invalid pointer");
    EXPECT_DEATH(
        {
            Harness<Guard> h;
            auto* p = static_cast<char*>(api_malloc(h.allocator, 64));
            api_free(h.allocator, p + 16);
        },
        "invalid pointer");
    EXPECT_DEATH(
        {
            Harness<Brk> h;
            auto* p = static_cast<char*>(api_malloc(h.allocator, 64));
            api_free(h.allocator, p + 16);
        },
        "invalid pointer");
}

// ------------------------------------------------------------------- fast

TEST(FastAllocator, SizeClassTable) {
    size_t previous = 0;
    for (unsigned i = 0; i < SizeClasses::k_count; i++) {
        size_t size = SizeClasses::size_of(i);
        EXPECT_GT(size, previous);
        EXPECT_EQ(size % 16, 0u);
        EXPECT_EQ(SizeClasses::index_for(size), i);
        EXPECT_EQ(SizeClasses::index_for(previous + 1), i);
        if (i >= 8)
            EXPECT_LE(size * 4, (previous + 1) * 5 + 16) << "waste above 25% at class " << i;
        previous = size;
    }
    EXPECT_EQ(previous, SizeClasses::k_max_size);
    EXPECT_EQ(SizeClasses::index_for(0), 0u);
}

TEST(FastAllocator, LargeBlocksAreMappedAndUnmapped) {
    Harness<Fast> h;
    size_t unmaps = h.memory.unmaps;
    void* p = api_malloc(h.allocator, 1 << 20);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(h.allocator.large_count(), 1u);
    EXPECT_EQ(h.memory.live_mappings(), 1u);
    std::memset(p, 1, 1 << 20);
    api_free(h.allocator, p);
    EXPECT_EQ(h.allocator.large_count(), 0u);
    EXPECT_EQ(h.memory.live_mappings(), 0u);
    EXPECT_GT(h.memory.unmaps, unmaps);
    EXPECT_EQ(h.memory.mapped_bytes, 0u);
}

TEST(FastAllocator, LargeReallocShrinksInPlace) {
    Harness<Fast> h;
    auto* p = static_cast<unsigned char*>(api_malloc(h.allocator, 1 << 20));
    fill(p, 100000, 5);
    size_t mapped = h.memory.mapped_bytes;
    auto* q = static_cast<unsigned char*>(api_realloc(h.allocator, p, 100000));
    EXPECT_EQ(q, p);
    EXPECT_LT(h.memory.mapped_bytes, mapped - 900000);
    EXPECT_EQ(first_mismatch(q, 100000, 5), 100000u);
    EXPECT_GE(api_usable_size(h.allocator, q), 100000u);
    api_free(h.allocator, q);
    EXPECT_EQ(h.memory.mapped_bytes, 0u);
}

TEST(FastAllocator, EmptyChunksAreReturnedKeepingOneSpare) {
    Harness<Fast> h;
    std::vector<void*> blocks;
    for (int i = 0; i < 10000; i++) // 64-byte class: ~1000 per chunk, ~10 chunks
        blocks.push_back(api_malloc(h.allocator, 64));
    size_t chunks = h.allocator.chunk_count();
    EXPECT_GE(chunks, 10u);
    size_t unmaps = h.memory.unmaps;
    for (void* p : blocks)
        api_free(h.allocator, p);
    EXPECT_EQ(h.allocator.chunk_count(), 1u) << "one spare kept";
    EXPECT_EQ(h.memory.unmaps - unmaps, chunks - 1);
    EXPECT_EQ(h.memory.mapped_bytes, Fast::k_chunk_size);
    // The spare serves the next allocation without a new mapping.
    size_t maps = h.memory.maps;
    void* p = api_malloc(h.allocator, 64);
    EXPECT_EQ(h.memory.maps, maps);
    api_free(h.allocator, p);
}

TEST(FastAllocator, ChunksAreAlignedToTheirSize) {
    Harness<Fast> h;
    for (size_t size : { 16, 100, 1000, 8192 }) {
        void* p = api_malloc(h.allocator, size);
        EXPECT_NE(align_down(to_address(p), Fast::k_chunk_size), to_address(p)) << "a slot never starts a chunk";
        api_free(h.allocator, p);
    }
    for (size_t alignment : { Fast::k_chunk_size, 2 * Fast::k_chunk_size, size_t(1) << 20 }) {
        void* p = api_aligned_alloc(h.allocator, alignment, 5000);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(to_address(p) % alignment, 0u);
        EXPECT_GE(api_usable_size(h.allocator, p), 5000u);
        std::memset(p, 3, 5000);
        api_free(h.allocator, p);
    }
    EXPECT_EQ(h.allocator.large_count(), 0u);
}

// Many live 16..256-byte objects must cost at most 1.25x their bytes in
// mapped memory (an upper bound of physical memory): no per-object headers.
TEST(FastAllocator, SmallObjectOverheadBelowAQuarter) {
    Harness<Fast> h;
    std::mt19937 random(7);
    std::vector<void*> blocks;
    size_t requested = 0;
    for (int i = 0; i < 200000; i++) {
        size_t size = 16 + random() % 241;
        blocks.push_back(api_malloc(h.allocator, size));
        requested += size;
    }
    double ratio = double(h.memory.mapped_bytes) / double(requested);
    EXPECT_LE(ratio, 1.25) << "mapped " << h.memory.mapped_bytes << " for " << requested;
    // Also with the exact class sizes programs ask for most (16, 32, 64 ...).
    Harness<Fast> exact;
    size_t exact_requested = 0;
    for (int i = 0; i < 100000; i++) {
        size_t size = size_t(16) << (i % 5);
        api_malloc(exact.allocator, size);
        exact_requested += size;
    }
    EXPECT_LE(double(exact.memory.mapped_bytes) / double(exact_requested), 1.05);
    for (void* p : blocks)
        api_free(h.allocator, p);
}

TEST(FastAllocatorDeathTest, WriteAfterFreeIntoTheFreeListIsCaught) {
    testing::FLAGS_gtest_death_test_style = "threadsafe";
    EXPECT_DEATH(
        {
            Harness<Fast> h;
            auto* p = static_cast<uintptr_t*>(api_malloc(h.allocator, 32));
            api_free(h.allocator, p);
            *p = 0x4141414141414141; // overwrites the free-list link
            api_malloc(h.allocator, 32);
            api_malloc(h.allocator, 32);
        },
        "corrupted free list");
}

// ----------------------------------------------------------- thread cache

namespace {

constexpr uintptr_t k_test_key = 0x5eed5eed5eed5eed;

[[noreturn]] void cache_test_fatal(const char* what, const void* address) {
    std::fprintf(stderr, "libakuma malloc: %s at %p\n", what, address);
    std::abort();
}

} // namespace

TEST(ThreadCache, ClassTableMatchesTheSizeClasses) {
    for (size_t size = 0; size <= ThreadCache::k_max_size; size++)
        ASSERT_EQ(ThreadCache::class_for(size), SizeClasses::index_for(size)) << size;
    EXPECT_EQ(ThreadCache::k_classes, SizeClasses::index_for(ThreadCache::k_max_size) + 1);
}

TEST(ThreadCache, CachesNothingUntilEnabled) {
    Harness<Fast> h;
    ThreadCache cache;
    EXPECT_FALSE(cache.enabled()) << "free() must not put";
    EXPECT_EQ(cache.take(3, k_test_key, cache_test_fatal), nullptr);
}

TEST(ThreadCache, HandsBackTheLastBlockPutAndClearsItsKey) {
    Harness<Fast> h;
    ThreadCache cache;
    cache.enable();
    void* a = h.allocator.allocate_in_class(2);
    void* b = h.allocator.allocate_in_class(2);
    ASSERT_TRUE(cache.put(2, a, k_test_key, cache_test_fatal));
    ASSERT_TRUE(cache.put(2, b, k_test_key, cache_test_fatal));
    EXPECT_EQ(cache.count(2), 2u);
    EXPECT_EQ(cache.take(5, k_test_key, cache_test_fatal), nullptr) << "another class is empty";
    EXPECT_EQ(cache.take(2, k_test_key, cache_test_fatal), b);
    EXPECT_EQ(static_cast<uintptr_t*>(b)[1], 0u) << "the key does not stay in a handed-out block";
    EXPECT_EQ(cache.take(2, k_test_key, cache_test_fatal), a);
    EXPECT_EQ(cache.take(2, k_test_key, cache_test_fatal), nullptr);
    h.allocator.deallocate(a);
    h.allocator.deallocate(b);
}

TEST(ThreadCache, AFullClassRefusesMore) {
    Harness<Fast> h;
    ThreadCache cache;
    cache.enable();
    std::vector<void*> blocks;
    for (unsigned i = 0; i <= ThreadCache::k_limit; i++)
        blocks.push_back(h.allocator.allocate_in_class(0));
    for (unsigned i = 0; i < ThreadCache::k_limit; i++)
        ASSERT_TRUE(cache.put(0, blocks[i], k_test_key, cache_test_fatal));
    EXPECT_FALSE(cache.put(0, blocks.back(), k_test_key, cache_test_fatal));
    h.allocator.deallocate(blocks.back());
    blocks.pop_back();
    cache.flush([&](void* block) { h.allocator.deallocate(block); });
}

TEST(ThreadCache, FlushReturnsEveryBlockAndStopsCaching) {
    Harness<Fast> h;
    ThreadCache cache;
    cache.enable();
    for (unsigned index = 0; index < ThreadCache::k_classes; index++) {
        for (unsigned i = 0; i < ThreadCache::k_limit; i++)
            ASSERT_TRUE(cache.put(index, h.allocator.allocate_in_class(index), k_test_key, cache_test_fatal));
    }
    size_t released = 0;
    cache.flush([&](void* block) {
        EXPECT_EQ(static_cast<uintptr_t*>(block)[1], 0u);
        h.allocator.deallocate(block);
        released++;
    });
    EXPECT_EQ(released, size_t(ThreadCache::k_classes) * ThreadCache::k_limit);
    // Every chunk emptied: one spare per class is all that stays mapped.
    EXPECT_EQ(h.allocator.chunk_count(), size_t(ThreadCache::k_classes));
    EXPECT_FALSE(cache.enabled());
    for (unsigned index = 0; index < ThreadCache::k_classes; index++)
        EXPECT_EQ(cache.take(index, k_test_key, cache_test_fatal), nullptr);
}

TEST(ThreadCache, CachedClassOfAcceptsOnlyInUseSlotStarts) {
    Harness<Fast> h;
    unsigned limit = ThreadCache::k_classes;
    void* small = api_malloc(h.allocator, 100);
    EXPECT_EQ(h.allocator.cached_class_of(small, limit), int(SizeClasses::index_for(100)));
    EXPECT_EQ(h.allocator.cached_class_of(static_cast<char*>(small) + 16, limit), -1) << "interior pointer";
    EXPECT_EQ(h.allocator.cached_class_of(small, SizeClasses::index_for(100)), -1) << "class not cached";
    auto* chunk_base = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(small) & ~(Fast::k_chunk_size - 1));
    for (size_t offset : { size_t(0), size_t(16), size_t(64), size_t(512) })
        EXPECT_EQ(h.allocator.cached_class_of(chunk_base + offset, limit), -1) << "chunk header +" << offset;
    size_t slot = SizeClasses::size_of(SizeClasses::index_for(100));
    EXPECT_EQ(h.allocator.cached_class_of(static_cast<char*>(small) + slot, limit), -1) << "never carved";
    void* big_class = api_malloc(h.allocator, 4000);
    EXPECT_EQ(h.allocator.cached_class_of(big_class, limit), -1);
    void* large = api_malloc(h.allocator, 1 << 20);
    EXPECT_EQ(h.allocator.cached_class_of(large, limit), -1);
    void* aligned = api_aligned_alloc(h.allocator, Fast::k_chunk_size, 100);
    EXPECT_EQ(h.allocator.cached_class_of(aligned, limit), -1) << "a chunk-aligned large block";
    void* neighbour = api_malloc(h.allocator, 100);  // keeps the chunk alive
    api_free(h.allocator, small);
    EXPECT_EQ(h.allocator.cached_class_of(small, limit), -1) << "already free";
    for (void* p : { big_class, large, aligned, neighbour })
        api_free(h.allocator, p);
}

TEST(ThreadCacheDeathTest, DoubleFreeIntoTheCacheIsCaught) {
    testing::FLAGS_gtest_death_test_style = "threadsafe";
    EXPECT_DEATH(
        {
            Harness<Fast> h;
            ThreadCache cache;
            cache.enable();
            void* p = h.allocator.allocate_in_class(4);
            cache.put(4, p, k_test_key, cache_test_fatal);
            cache.put(4, p, k_test_key, cache_test_fatal);
        },
        "double free");
}

// Regression: put() used to test the limit first, so a block freed again
// while its class's list was full went to the allocator (its in-use bit is
// still set) and ended up both cached and free: handed out twice.
TEST(ThreadCacheDeathTest, DoubleFreeIntoAFullClassIsCaught) {
    testing::FLAGS_gtest_death_test_style = "threadsafe";
    EXPECT_DEATH(
        {
            Harness<Fast> h;
            ThreadCache cache;
            cache.enable();
            void* first = nullptr;
            for (unsigned i = 0; i < ThreadCache::k_limit; i++) {
                void* p = h.allocator.allocate_in_class(4);
                first = first ? first : p;
                ASSERT_TRUE(cache.put(4, p, k_test_key, cache_test_fatal));
            }
            cache.put(4, first, k_test_key, cache_test_fatal);
        },
        "double free");
}

TEST(ThreadCache, AMatchingKeyInUserDataIsNotADoubleFree) {
    Harness<Fast> h;
    ThreadCache cache;
    cache.enable();
    auto* p = static_cast<uintptr_t*>(h.allocator.allocate_in_class(4));
    p[1] = k_test_key;  // the program happened to store the key
    EXPECT_TRUE(cache.put(4, p, k_test_key, cache_test_fatal));
    EXPECT_EQ(cache.take(4, k_test_key, cache_test_fatal), p);
    h.allocator.deallocate(p);
}

TEST(ThreadCacheDeathTest, WriteAfterFreeOverTheKeyIsCaught) {
    testing::FLAGS_gtest_death_test_style = "threadsafe";
    EXPECT_DEATH(
        {
            Harness<Fast> h;
            ThreadCache cache;
            cache.enable();
            auto* p = static_cast<uintptr_t*>(h.allocator.allocate_in_class(4));
            cache.put(4, p, k_test_key, cache_test_fatal);
            p[1] = 0x4141414141414141;
            cache.take(4, k_test_key, cache_test_fatal);
        },
        "corrupted thread cache");
}

// ------------------------------------------------------------------ guard

TEST(GuardAllocator, BlockEndsAtAPageBoundaryBeforeAnInaccessiblePage) {
    Harness<Guard> h;
    for (size_t size : { 16, 32, 4000, 4096, 4112, 100000 }) {
        auto* p = static_cast<unsigned char*>(api_malloc(h.allocator, size));
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(to_address(p + size) % k_page_size, 0u) << size;
        EXPECT_TRUE(is_writable(p));
        EXPECT_TRUE(is_writable(p + size - 1));
        EXPECT_FALSE(is_readable(p + size)) << "guard page after " << size;
        EXPECT_EQ(api_usable_size(h.allocator, p), size);
        api_free(h.allocator, p);
    }
    // Sizes are rounded up to the 16-byte alignment: the end moves by <16.
    auto* odd = static_cast<unsigned char*>(api_malloc(h.allocator, 17));
    EXPECT_EQ(to_address(odd + 32) % k_page_size, 0u);
    EXPECT_FALSE(is_readable(odd + 32));
    EXPECT_EQ(api_usable_size(h.allocator, odd), 17u);
    api_free(h.allocator, odd);
    // Larger alignments: the block starts aligned and still ends at the guard.
    for (size_t alignment : { 64, 4096, 8192, 65536 }) {
        auto* p = static_cast<unsigned char*>(api_aligned_alloc(h.allocator, alignment, alignment * 2));
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(to_address(p) % alignment, 0u);
        EXPECT_FALSE(is_readable(p + alignment * 2));
        std::memset(p, 1, alignment * 2);
        api_free(h.allocator, p);
    }
}

TEST(GuardAllocator, SmallBlocksShareTheirPageWithTheHeader) {
    Harness<Guard> h;
    for (size_t size : { 1, 16, 100, 4096 - 64 }) {
        size_t mapped = h.memory.mapped_bytes;
        auto* p = static_cast<unsigned char*>(api_malloc(h.allocator, size));
        EXPECT_EQ(h.memory.mapped_bytes - mapped, 2 * k_page_size) << "one data page and the guard page";
        std::memset(p, 7, size);
        api_free(h.allocator, p);
    }
    size_t mapped = h.memory.mapped_bytes;
    void* p = api_malloc(h.allocator, 4096 - 48); // no room for the header before it
    EXPECT_EQ(h.memory.mapped_bytes - mapped, 3 * k_page_size);
    api_free(h.allocator, p);
}

TEST(GuardAllocator, HeaderPageIsReadOnlyAndFreedMemoryIsUnmapped) {
    Harness<Guard> h;
    auto* p = static_cast<unsigned char*>(api_malloc(h.allocator, 4096));
    EXPECT_TRUE(is_readable(p - 1));
    EXPECT_FALSE(is_writable(p - 1)) << "an underflow past the data page hits the read-only header";
    api_free(h.allocator, p);
    EXPECT_FALSE(is_readable(p)) << "use after free faults";
    EXPECT_EQ(h.memory.live_mappings(), 0u);
    void* zero = api_malloc(h.allocator, 0);
    EXPECT_FALSE(is_readable(zero)) << "malloc(0) points at the guard page";
    api_free(h.allocator, zero);
}

TEST(GuardAllocatorDeathTest, OverflowsAreCaught) {
    testing::FLAGS_gtest_death_test_style = "threadsafe";
    // One byte past a block whose size is a multiple of 16: the guard page.
    EXPECT_DEATH(
        {
            Harness<Guard> h;
            auto* p = static_cast<volatile unsigned char*>(api_malloc(h.allocator, 64));
            p[64] = 1;
        },
        "");
    // One byte past a 17-byte block lands in the slack: caught at free().
    EXPECT_DEATH(
        {
            Harness<Guard> h;
            auto* p = static_cast<unsigned char*>(api_malloc(h.allocator, 17));
            p[17] = 1;
            api_free(h.allocator, p);
        },
        "overflow");
    EXPECT_DEATH(
        {
            Harness<Guard> h;
            auto* p = static_cast<unsigned char*>(api_malloc(h.allocator, 17));
            p[-1] = 1;
            api_free(h.allocator, p);
        },
        "underflow");
    EXPECT_DEATH(
        {
            Harness<Guard> h;
            auto* p = static_cast<volatile unsigned char*>(api_malloc(h.allocator, 64));
            api_free(h.allocator, const_cast<unsigned char*>(p));
            p[0] = 1;
        },
        "");
}

// -------------------------------------------------------------------- brk

TEST(BrkAllocator, StartsAtTheCurrentUnalignedBreak) {
    Harness<Brk> h;
    uintptr_t initial = h.memory.brk_current;
    ASSERT_NE(initial % 16, 0u);
    void* p = api_malloc(h.allocator, 10);
    ASSERT_NE(p, nullptr);
    EXPECT_GE(to_address(p), initial);
    EXPECT_LT(to_address(p), initial + 64);
    EXPECT_EQ(to_address(p) % 16, 0u);
    EXPECT_GT(h.memory.brk_current, to_address(p));
    api_free(h.allocator, p);
}

TEST(BrkAllocator, FreeCoalescesBothWays) {
    Harness<Brk> h;
    Brk& a = h.allocator;
    void* blocks[5];
    for (auto& p : blocks)
        p = api_malloc(a, 100); // 128-byte blocks, adjacent
    Brk::Stats stats;
    api_free(a, blocks[1]);
    api_free(a, blocks[3]);
    ASSERT_EQ(a.verify(&stats), nullptr);
    EXPECT_EQ(stats.free_blocks, 2u);
    api_free(a, blocks[2]); // merges with both neighbours
    ASSERT_EQ(a.verify(&stats), nullptr);
    EXPECT_EQ(stats.free_blocks, 1u);
    EXPECT_EQ(stats.free_bytes, 3 * 128u);
    api_free(a, blocks[0]);
    ASSERT_EQ(a.verify(&stats), nullptr);
    EXPECT_EQ(stats.free_blocks, 1u);
    EXPECT_EQ(stats.free_bytes, 4 * 128u);
    api_free(a, blocks[4]); // the last block: everything returns to the wilderness
    ASSERT_EQ(a.verify(&stats), nullptr);
    EXPECT_EQ(stats.free_blocks, 0u);
    EXPECT_EQ(stats.top, stats.segment_start);
}

TEST(BrkAllocator, HolesAreReusedBeforeTheBreakGrows) {
    Harness<Brk> h;
    Brk& a = h.allocator;
    std::vector<void*> blocks;
    for (int i = 0; i < 2000; i++)
        blocks.push_back(api_malloc(a, 100));
    void* last = api_malloc(a, 100); // keeps the holes away from the wilderness
    for (size_t i = 0; i < blocks.size(); i += 2)
        api_free(a, blocks[i]);
    uintptr_t top_before;
    {
        Brk::Stats stats;
        ASSERT_EQ(a.verify(&stats), nullptr);
        EXPECT_EQ(stats.free_blocks, 1000u);
        top_before = stats.top;
    }
    for (int i = 0; i < 1000; i++)
        api_malloc(a, 90);
    Brk::Stats stats;
    ASSERT_EQ(a.verify(&stats), nullptr);
    EXPECT_EQ(stats.free_blocks, 0u);
    EXPECT_EQ(stats.top, top_before) << "no new memory for requests that fit the holes";
    // A bigger request does not fit any single hole.
    api_free(a, last);
}

TEST(BrkAllocator, SplitsAndMergesLargeFreeBlocks) {
    Harness<Brk> h;
    Brk& a = h.allocator;
    void* big = api_malloc(a, 100000);
    void* fence = api_malloc(a, 10);
    api_free(a, big);
    Brk::Stats stats;
    ASSERT_EQ(a.verify(&stats), nullptr);
    EXPECT_EQ(stats.free_blocks, 1u);
    std::vector<void*> pieces;
    for (int i = 0; i < 10; i++) {
        pieces.push_back(api_malloc(a, 5000));
        EXPECT_LT(to_address(pieces.back()), to_address(fence)) << "carved from the freed block";
    }
    ASSERT_EQ(a.verify(&stats), nullptr);
    for (void* p : pieces)
        api_free(a, p);
    ASSERT_EQ(a.verify(&stats), nullptr);
    EXPECT_EQ(stats.free_blocks, 1u);
    EXPECT_EQ(stats.largest_free, align_up(100000 + 16, 16));
    api_free(a, fence);
}

TEST(BrkAllocator, ReallocGrowsAndShrinksInPlace) {
    Harness<Brk> h;
    Brk& a = h.allocator;
    auto* p = static_cast<unsigned char*>(api_malloc(a, 100));
    fill(p, 100, 9);
    auto* q = static_cast<unsigned char*>(api_realloc(a, p, 300000)); // the last block grows into the wilderness
    EXPECT_EQ(q, p);
    EXPECT_EQ(first_mismatch(q, 100, 9), 100u);
    void* after = api_malloc(a, 10);
    q = static_cast<unsigned char*>(api_realloc(a, q, 1000)); // shrinks, the tail becomes free
    EXPECT_EQ(q, p);
    ASSERT_EQ(a.verify(), nullptr);
    q = static_cast<unsigned char*>(api_realloc(a, q, 200000)); // grows into the freed tail
    EXPECT_EQ(q, p);
    EXPECT_EQ(first_mismatch(q, 100, 9), 100u);
    ASSERT_EQ(a.verify(), nullptr);
    api_free(a, q);
    api_free(a, after);
    ASSERT_EQ(a.verify(), nullptr);
}

TEST(BrkAllocator, FreedWildernessIsReturnedToTheKernel) {
    Harness<Brk> h;
    void* p = api_malloc(h.allocator, 4 << 20);
    std::memset(p, 1, 4 << 20);
    uintptr_t high = h.memory.brk_current;
    api_free(h.allocator, p);
    EXPECT_LT(h.memory.brk_current, high - (3 << 20));
    EXPECT_LE(h.memory.brk_current - to_address(p), Brk::k_trim_keep + 2 * k_page_size);
    ASSERT_EQ(h.allocator.verify(), nullptr);
    void* again = api_malloc(h.allocator, 4 << 20);
    ASSERT_NE(again, nullptr);
    std::memset(again, 2, 4 << 20);
    api_free(h.allocator, again);
}

TEST(BrkAllocator, AForeignSbrkStartsANewSegment) {
    Harness<Brk> h;
    Brk& a = h.allocator;
    std::vector<std::pair<void*, size_t>> blocks;
    for (int i = 0; i < 100; i++) {
        void* p = api_malloc(a, 500);
        fill(p, 500, i);
        blocks.push_back({ p, i });
    }
    uintptr_t foreign = h.memory.brk_current;
    h.memory.foreign_sbrk(10000);
    std::memset(to_pointer(foreign), 0xcc, 10000);
    void* big = api_malloc(a, 200000); // needs the break: must start above the foreign bytes
    ASSERT_NE(big, nullptr);
    EXPECT_GE(to_address(big), foreign + 10000);
    std::memset(big, 0xdd, 200000);
    for (auto [p, seed] : blocks) {
        EXPECT_EQ(first_mismatch(p, 500, seed), 500u);
        api_free(a, p);
    }
    for (size_t i = 0; i < 10000; i++)
        ASSERT_EQ(static_cast<unsigned char*>(to_pointer(foreign))[i], 0xcc) << "foreign memory untouched";
    api_free(a, big);
    Brk::Stats stats;
    ASSERT_EQ(a.verify(&stats), nullptr);
    EXPECT_EQ(stats.segments, 2u);
    // The old segment's space is still reusable.
    void* small = api_malloc(a, 400);
    EXPECT_LT(to_address(small), foreign);
    api_free(a, small);
}

TEST(BrkAllocator, BreakLimitIsEnomem) {
    Harness<Brk> h;
    h.memory.brk_limit = h.memory.brk_current + (1 << 20);
    void* p = api_malloc(h.allocator, 512 << 10);
    ASSERT_NE(p, nullptr);
    errno = 0;
    EXPECT_EQ(api_malloc(h.allocator, 1 << 20), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    errno = 0;
    EXPECT_EQ(api_realloc(h.allocator, p, 2 << 20), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    ASSERT_EQ(h.allocator.verify(), nullptr);
    api_free(h.allocator, p);
}

TEST(BrkAllocatorDeathTest, CorruptedHeapIsCaught) {
    testing::FLAGS_gtest_death_test_style = "threadsafe";
    EXPECT_DEATH(
        {
            Harness<Brk> h;
            auto* a = static_cast<unsigned char*>(api_malloc(h.allocator, 64));
            void* b = api_malloc(h.allocator, 64);
            void* c = api_malloc(h.allocator, 64);
            std::memset(a, 0, 64 + 16); // overflow wipes b's header
            api_free(h.allocator, b);
            api_free(h.allocator, c);
        },
        "invalid pointer");
    EXPECT_DEATH(
        {
            Harness<Brk> h;
            void* a = api_malloc(h.allocator, 64);
            auto* b = static_cast<uintptr_t*>(api_malloc(h.allocator, 64));
            void* c = api_malloc(h.allocator, 64);
            api_free(h.allocator, b);
            b[0] = to_address(c) - 16; // write after free into the list links: a plausible but wrong block
            api_free(h.allocator, a);
            api_free(h.allocator, c);
        },
        "corrupted free list");
}

} // namespace
