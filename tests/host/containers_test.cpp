// Vector, BasicString and OwnPtr over a counting test allocator: contents,
// growth, failure injection at every allocation, leaks, element lifetimes,
// alignment, and randomized comparison against std::vector / std::string.
#include "kernel/lib/allocator.h"
#include "kernel/lib/own_ptr.h"
#include "kernel/lib/string.h"
#include "kernel/lib/vector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace akuma;

namespace {

// ---- Test allocator --------------------------------------------------------

struct AllocatorStats {
    size_t live_allocations = 0;
    size_t live_bytes = 0;
    size_t attempts = 0;       // allocate + reallocate calls
    size_t reallocations = 0;  // reallocate calls
    size_t fail_at = 0;        // attempt number that fails; 0 = none
    bool fail_all = false;
    std::map<void*, std::pair<size_t, size_t>> blocks;  // pointer -> (size, align)
};

AllocatorStats g_stats;

void* test_allocate(size_t size, size_t align) {
    ++g_stats.attempts;
    if (g_stats.fail_all || g_stats.attempts == g_stats.fail_at)
        return nullptr;
    EXPECT_GT(size, 0u);
    EXPECT_TRUE(align != 0 && (align & (align - 1)) == 0) << align;
    void* pointer = nullptr;
    if (posix_memalign(&pointer, std::max(align, sizeof(void*)), size) != 0)
        return nullptr;
    std::memset(pointer, 0xa5, size);  // garbage, so missing initialisation shows
    g_stats.blocks[pointer] = {size, align};
    ++g_stats.live_allocations;
    g_stats.live_bytes += size;
    return pointer;
}

void test_deallocate(void* pointer, size_t size, size_t align) {
    auto block = g_stats.blocks.find(pointer);
    ASSERT_NE(block, g_stats.blocks.end()) << "freeing an unknown block";
    EXPECT_EQ(block->second.first, size) << "deallocate size differs from allocate";
    EXPECT_EQ(block->second.second, align) << "deallocate alignment differs from allocate";
    g_stats.live_bytes -= block->second.first;
    --g_stats.live_allocations;
    g_stats.blocks.erase(block);
    std::free(pointer);
}

// Always moves the block (and frees the old one), so a container that keeps
// using the old buffer trips ASan.
void* test_reallocate(void* pointer, size_t old_size, size_t new_size, size_t align) {
    ++g_stats.reallocations;
    auto block = g_stats.blocks.find(pointer);
    EXPECT_NE(block, g_stats.blocks.end());
    if (block != g_stats.blocks.end())
        EXPECT_EQ(block->second.first, old_size);
    void* moved = test_allocate(new_size, align);
    if (!moved)
        return nullptr;
    std::memcpy(moved, pointer, std::min(old_size, new_size));
    test_deallocate(pointer, old_size, align);
    return moved;
}

template <bool k_with_reallocate>
struct BasicTestAllocator {
    static void* allocate(size_t size, size_t align) { return test_allocate(size, align); }
    static void deallocate(void* pointer, size_t size, size_t align) { test_deallocate(pointer, size, align); }
    static void* reallocate(void* pointer, size_t old_size, size_t new_size, size_t align)
        requires k_with_reallocate
    {
        return test_reallocate(pointer, old_size, new_size, align);
    }
};

using TestAllocator = BasicTestAllocator<false>;
using ReallocTestAllocator = BasicTestAllocator<true>;
static_assert(Allocator<TestAllocator> && !ReallocatingAllocator<TestAllocator>);
static_assert(ReallocatingAllocator<ReallocTestAllocator>);

// The next allocation attempt fails (only that one).
void fail_next_allocation() { g_stats.fail_at = g_stats.attempts + 1; }
void fail_allocation_number(size_t n) { g_stats.fail_at = g_stats.attempts + n; }
void stop_failing() {
    g_stats.fail_at = 0;
    g_stats.fail_all = false;
}

template <typename T>
T must(ErrorOr<T>&& result) {
    if (result.is_error())
        throw std::runtime_error(std::string("unexpected error ") + error_name(result.error()));
    return result.release_value();
}

template <typename T>
void expect_no_memory(const ErrorOr<T>& result) {
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::NoMemory);
}

// ---- Element types ---------------------------------------------------------

// Counts lifetimes and catches use of dead or moved-from objects.
struct Tracked {
    static inline int live = 0;
    static inline int constructions = 0;
    static inline int moves = 0;
    static constexpr uint32_t k_alive = 0x600d600d;
    static constexpr uint32_t k_dead = 0xdeaddead;

    Tracked() : Tracked(0) {}
    explicit Tracked(int v) : value(v), state(k_alive) { count(); }
    Tracked(const Tracked& other) : value(other.value), state(k_alive) {
        EXPECT_EQ(other.state, k_alive) << "copy from a dead object";
        count();
    }
    Tracked(Tracked&& other) : value(other.value), state(k_alive) {
        EXPECT_EQ(other.state, k_alive) << "move from a dead object";
        other.value = -1;
        ++moves;
        count();
    }
    Tracked& operator=(const Tracked&) = delete;  // containers must not need it
    ~Tracked() {
        EXPECT_EQ(state, k_alive) << "double destruction";
        state = k_dead;
        --live;
    }

    static void reset() { live = constructions = moves = 0; }
    void count() {
        ++live;
        ++constructions;
    }

    int value;
    uint32_t state;
};

struct Pair {
    int a;
    int b;
};

struct alignas(64) Aligned64 {
    int value;
};

struct alignas(128) AlignedTracked {
    explicit AlignedTracked(int v) : tracked(v) {}
    Tracked tracked;
};

template <typename T>
T make(int value) {
    return T(value);
}

int value_of(int value) { return value; }
int value_of(const Tracked& tracked) {
    EXPECT_EQ(tracked.state, Tracked::k_alive);
    return tracked.value;
}

template <typename V>
std::vector<int> contents(const V& vector) {
    std::vector<int> out;
    for (const auto& element : vector)
        out.push_back(value_of(element));
    return out;
}

std::vector<int> iota(int count) {
    std::vector<int> out(count);
    for (int i = 0; i < count; ++i)
        out[i] = i;
    return out;
}

// ---- Fixtures --------------------------------------------------------------

class AllocatorFixture : public testing::Test {
protected:
    void SetUp() override {
        g_stats = {};
        Tracked::reset();
    }
    void TearDown() override {
        stop_failing();
        EXPECT_EQ(g_stats.live_allocations, 0u) << "leaked allocations";
        EXPECT_EQ(g_stats.live_bytes, 0u);
        EXPECT_EQ(Tracked::live, 0) << "leaked or doubly destroyed elements";
        for (auto& [pointer, block] : g_stats.blocks)
            std::free(pointer);
        g_stats.blocks.clear();
    }
};

using Allocators = testing::Types<TestAllocator, ReallocTestAllocator>;

template <typename A>
class VectorTest : public AllocatorFixture {};
TYPED_TEST_SUITE(VectorTest, Allocators);

template <typename A>
class StringTest : public AllocatorFixture {};
TYPED_TEST_SUITE(StringTest, Allocators);

template <typename A>
class OwnPtrTest : public AllocatorFixture {};
TYPED_TEST_SUITE(OwnPtrTest, Allocators);

template <typename T, typename A>
Vector<T, A> make_vector(int count) {
    Vector<T, A> vector;
    for (int i = 0; i < count; ++i)
        must(vector.try_append(make<T>(i)));
    return vector;
}

}  // namespace

// ---- Vector ----------------------------------------------------------------

TYPED_TEST(VectorTest, StartsEmptyWithoutAllocating) {
    Vector<int, TypeParam> vector;
    EXPECT_EQ(vector.size(), 0u);
    EXPECT_EQ(vector.capacity(), 0u);
    EXPECT_TRUE(vector.is_empty());
    EXPECT_EQ(vector.data(), nullptr);
    EXPECT_EQ(vector.begin(), vector.end());
    EXPECT_TRUE(vector.span().empty());
    EXPECT_EQ(g_stats.attempts, 0u);
}

TYPED_TEST(VectorTest, AppendGrowsByDoublingFromFour) {
    Vector<int, TypeParam> vector;
    std::vector<size_t> capacities;
    for (int i = 0; i < 100; ++i) {
        must(vector.try_append(i));
        if (capacities.empty() || capacities.back() != vector.capacity())
            capacities.push_back(vector.capacity());
        EXPECT_EQ(g_stats.live_allocations, 1u);
    }
    EXPECT_EQ(capacities, (std::vector<size_t> {4, 8, 16, 32, 64, 128}));
    EXPECT_EQ(contents(vector), iota(100));
    EXPECT_FALSE(vector.is_empty());
    EXPECT_EQ(vector.span().size(), 100u);
    EXPECT_EQ(vector.span().data(), vector.data());
    EXPECT_EQ(vector.end() - vector.begin(), 100);
    vector[7] = 700;
    const auto& constant = vector;
    EXPECT_EQ(constant[7], 700);
    if constexpr (ReallocatingAllocator<TypeParam>)
        EXPECT_GT(g_stats.reallocations, 0u);  // trivially copyable: grows with reallocate
    else
        EXPECT_EQ(g_stats.reallocations, 0u);
}

TYPED_TEST(VectorTest, NonTrivialElementsNeverUseReallocate) {
    auto vector = make_vector<Tracked, TypeParam>(100);
    EXPECT_EQ(g_stats.reallocations, 0u);
    EXPECT_EQ(contents(vector), iota(100));
    EXPECT_EQ(Tracked::live, 100);
}

TYPED_TEST(VectorTest, AppendCopiesOrMovesOnce) {
    Vector<Tracked, TypeParam> vector;
    must(vector.try_reserve(4));
    Tracked original(5);
    Tracked::reset();
    Tracked::live = 1;  // original
    must(vector.try_append(original));
    EXPECT_EQ(Tracked::constructions, 1);
    EXPECT_EQ(Tracked::moves, 0);
    EXPECT_EQ(original.value, 5);
    must(vector.try_append(std::move(original)));
    EXPECT_EQ(Tracked::moves, 1);
    must(vector.try_emplace(9));
    EXPECT_EQ(Tracked::constructions, 3);  // emplace constructs in place
    EXPECT_EQ(contents(vector), (std::vector<int> {5, 5, 9}));
}

TYPED_TEST(VectorTest, EmplaceAggregateAndOverAligned) {
    Vector<Pair, TypeParam> pairs;
    must(pairs.try_emplace(1, 2));
    must(pairs.try_emplace(3, 4));
    EXPECT_EQ(pairs[1].a, 3);
    EXPECT_EQ(pairs[1].b, 4);

    Vector<Aligned64, TypeParam> aligned;
    Vector<AlignedTracked, TypeParam> aligned_tracked;
    for (int i = 0; i < 100; ++i) {
        must(aligned.try_emplace(i));
        must(aligned_tracked.try_emplace(i));
    }
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(reinterpret_cast<uintptr_t>(&aligned[i]) % 64, 0u);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(&aligned_tracked[i]) % 128, 0u);
        EXPECT_EQ(aligned[i].value, i);
        EXPECT_EQ(aligned_tracked[i].tracked.value, i);
    }
    EXPECT_EQ(g_stats.blocks.at(aligned.data()).second, 64u);
    EXPECT_EQ(g_stats.blocks.at(aligned_tracked.data()).second, 128u);
    (void)aligned_tracked.remove(50);
    aligned_tracked.shrink_to_fit();
    EXPECT_EQ(aligned_tracked.capacity(), 99u);
    EXPECT_EQ(aligned_tracked[50].tracked.value, 51);
}

TYPED_TEST(VectorTest, ReserveIsExactAndKeepsElements) {
    auto vector = make_vector<Tracked, TypeParam>(3);
    must(vector.try_reserve(10));
    EXPECT_EQ(vector.capacity(), 10u);
    must(vector.try_reserve(5));  // never shrinks
    EXPECT_EQ(vector.capacity(), 10u);
    EXPECT_EQ(contents(vector), iota(3));
    EXPECT_EQ(Tracked::live, 3);
}

TYPED_TEST(VectorTest, ResizeValueInitialisesAndDestroysTail) {
    Vector<int, TypeParam> ints;
    must(ints.try_resize(37));
    EXPECT_EQ(ints.size(), 37u);
    for (int value : ints)
        EXPECT_EQ(value, 0);  // allocator memory is 0xa5 garbage
    must(ints.try_resize(2));
    EXPECT_EQ(ints.size(), 2u);

    auto tracked = make_vector<Tracked, TypeParam>(10);
    must(tracked.try_resize(4));
    EXPECT_EQ(Tracked::live, 4);
    EXPECT_EQ(contents(tracked), iota(4));
    must(tracked.try_resize(6));
    EXPECT_EQ(contents(tracked), (std::vector<int> {0, 1, 2, 3, 0, 0}));
    EXPECT_EQ(Tracked::live, 6);
}

template <typename T, typename A>
void check_insert_at_every_position() {
    for (int count = 0; count <= 10; ++count) {
        for (int index = 0; index <= count; ++index) {
            auto vector = make_vector<T, A>(count);
            std::vector<int> model = iota(count);
            must(vector.try_insert(index, make<T>(100)));
            model.insert(model.begin() + index, 100);
            EXPECT_EQ(contents(vector), model) << "count " << count << " index " << index;
        }
    }
}

TYPED_TEST(VectorTest, InsertAtEveryPosition) {
    check_insert_at_every_position<int, TypeParam>();
    check_insert_at_every_position<Tracked, TypeParam>();
    EXPECT_EQ(Tracked::live, 0);
}

template <typename T, typename A>
void check_remove_at_every_position() {
    for (int count = 1; count <= 10; ++count) {
        for (int index = 0; index < count; ++index) {
            auto vector = make_vector<T, A>(count);
            std::vector<int> model = iota(count);
            T removed = vector.remove(index);
            EXPECT_EQ(value_of(removed), index);
            model.erase(model.begin() + index);
            EXPECT_EQ(contents(vector), model) << "count " << count << " index " << index;
            if constexpr (std::is_same_v<T, Tracked>)
                EXPECT_EQ(Tracked::live, count);  // count - 1 stored + removed
        }
    }
}

TYPED_TEST(VectorTest, RemoveAtEveryPosition) {
    check_remove_at_every_position<int, TypeParam>();
    check_remove_at_every_position<Tracked, TypeParam>();
}

TYPED_TEST(VectorTest, RemoveFirstMiddleLastOfStrings) {
    using String = BasicString<TypeParam>;
    Vector<String, TypeParam> strings;
    for (const char* text : {"first", "second", "middle", "fourth", "last"})
        must(strings.try_append(must(String::try_from(text))));
    EXPECT_EQ(strings.remove(0), "first");
    EXPECT_EQ(strings.remove(1), "middle");
    EXPECT_EQ(strings.remove(2), "last");
    ASSERT_EQ(strings.size(), 2u);
    EXPECT_EQ(strings[0], "second");
    EXPECT_EQ(strings[1], "fourth");
    EXPECT_EQ(g_stats.live_allocations, 3u);  // vector + two strings
}

TYPED_TEST(VectorTest, RemoveRegressionDrainFromFront) {
    // Repeatedly removing index 0 must shift every remaining element down.
    auto vector = make_vector<Tracked, TypeParam>(50);
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(vector.remove(0).value, i);
        ASSERT_EQ(vector.size(), size_t(49 - i));
        for (size_t j = 0; j < vector.size(); ++j)
            ASSERT_EQ(vector[j].value, int(i + 1 + j));
    }
    EXPECT_EQ(Tracked::live, 0);
}

TYPED_TEST(VectorTest, InsertAndAppendMayReferToOwnElements) {
    // Full (growth path) and with spare capacity (shift path).
    auto full = make_vector<Tracked, TypeParam>(4);
    must(full.try_insert(0, full[3]));
    EXPECT_EQ(contents(full), (std::vector<int> {3, 0, 1, 2, 3}));
    must(full.try_insert(1, full[4]));
    EXPECT_EQ(contents(full), (std::vector<int> {3, 3, 0, 1, 2, 3}));

    auto ints = make_vector<int, TypeParam>(4);
    must(ints.try_append(ints[0]));
    must(ints.try_insert(0, ints[4]));
    EXPECT_EQ(contents(ints), (std::vector<int> {0, 0, 1, 2, 3, 0}));

    using String = BasicString<TypeParam>;
    Vector<String, TypeParam> strings;
    for (int i = 0; i < 4; ++i)
        must(strings.try_append(must(String::try_from(std::string(20, char('a' + i))))));
    must(strings.try_emplace(must(strings[2].try_clone())));
    ASSERT_EQ(strings.size(), 5u);
    EXPECT_EQ(strings[4], std::string(20, 'c'));

    auto tracked = make_vector<Tracked, TypeParam>(4);
    must(tracked.try_append(tracked[1]));
    must(tracked.try_append(tracked[4]));
    EXPECT_EQ(contents(tracked), (std::vector<int> {0, 1, 2, 3, 1, 1}));
}

TYPED_TEST(VectorTest, TakeLastAndRapidPushPop) {
    auto vector = make_vector<Tracked, TypeParam>(3);
    EXPECT_EQ(vector.take_last().value, 2);
    EXPECT_EQ(vector.take_last().value, 1);
    EXPECT_EQ(vector.size(), 1u);

    Vector<int, TypeParam> ints;
    for (int i = 0; i < 10000; ++i) {
        must(ints.try_append(i));
        must(ints.try_append(i + 1));
        EXPECT_EQ(ints.take_last(), i + 1);
        EXPECT_EQ(ints.take_last(), i);
    }
    EXPECT_TRUE(ints.is_empty());
    EXPECT_EQ(ints.capacity(), 4u);
    EXPECT_EQ(g_stats.live_allocations, 2u);
}

TYPED_TEST(VectorTest, ClearKeepsCapacityAndShrinkToFitReleases) {
    auto vector = make_vector<Tracked, TypeParam>(10);
    vector.clear();
    EXPECT_EQ(Tracked::live, 0);
    EXPECT_TRUE(vector.is_empty());
    EXPECT_EQ(vector.capacity(), 16u);
    vector.shrink_to_fit();
    EXPECT_EQ(vector.capacity(), 0u);
    EXPECT_EQ(g_stats.live_allocations, 0u);

    auto ints = make_vector<int, TypeParam>(10);
    must(ints.try_reserve(100));
    fail_next_allocation();
    ints.shrink_to_fit();  // best effort: keeps the big buffer on failure
    EXPECT_EQ(ints.capacity(), 100u);
    EXPECT_EQ(contents(ints), iota(10));
    stop_failing();
    ints.shrink_to_fit();
    EXPECT_EQ(ints.capacity(), 10u);
    EXPECT_EQ(contents(ints), iota(10));
    EXPECT_EQ(g_stats.blocks.at(ints.data()).first, 10 * sizeof(int));
}

TYPED_TEST(VectorTest, MoveTransfersOwnership) {
    auto source = make_vector<Tracked, TypeParam>(5);
    const Tracked* data = source.data();
    Vector<Tracked, TypeParam> moved(std::move(source));
    EXPECT_EQ(moved.data(), data);
    EXPECT_EQ(source.size(), 0u);
    EXPECT_EQ(source.capacity(), 0u);
    EXPECT_EQ(source.data(), nullptr);

    auto other = make_vector<Tracked, TypeParam>(3);
    other = std::move(moved);  // destroys other's three elements
    EXPECT_EQ(Tracked::live, 5);
    EXPECT_EQ(contents(other), iota(5));
    auto& alias = other;
    other = std::move(alias);  // self-move keeps everything
    EXPECT_EQ(contents(other), iota(5));
    must(source.try_append(Tracked(1)));  // a moved-from vector is usable
    EXPECT_EQ(source.size(), 1u);
}

TYPED_TEST(VectorTest, TryCloneCopiesAndFailsCleanly) {
    auto vector = make_vector<Tracked, TypeParam>(9);
    auto copy = must(vector.try_clone());
    EXPECT_EQ(contents(copy), iota(9));
    EXPECT_NE(copy.data(), vector.data());
    copy[0].value = 42;
    EXPECT_EQ(vector[0].value, 0);
    EXPECT_EQ(copy.capacity(), 9u);

    fail_next_allocation();
    expect_no_memory(vector.try_clone());
    EXPECT_EQ(Tracked::live, 18);
}

TYPED_TEST(VectorTest, VectorOfVectors) {
    using Inner = Vector<int, TypeParam>;
    Vector<Inner, TypeParam> outer;
    for (int i = 0; i < 50; ++i) {
        Inner inner;
        for (int j = 0; j < i; ++j)
            must(inner.try_append(i * 1000 + j));
        must(outer.try_append(std::move(inner)));
    }
    Inner removed = outer.remove(25);
    EXPECT_EQ(removed.size(), 25u);
    (void)outer.remove(0);
    (void)outer.remove(outer.size() - 1);
    ASSERT_EQ(outer.size(), 47u);
    for (size_t k = 0; k < outer.size(); ++k) {
        int i = int(k < 24 ? k + 1 : k + 2);
        ASSERT_EQ(outer[k].size(), size_t(i));
        for (int j = 0; j < i; ++j)
            ASSERT_EQ(outer[k][j], i * 1000 + j);
    }
    must(outer[3].try_append(7));
    EXPECT_EQ(outer[3][outer[3].size() - 1], 7);

    auto clone = must(outer.try_clone());
    ASSERT_EQ(clone.size(), outer.size());
    for (size_t k = 0; k < outer.size(); ++k)
        EXPECT_EQ(contents(clone[k]), contents(outer[k]));

    // A clone failing at any of its allocations frees what it built.
    size_t live_before = g_stats.live_allocations;
    for (size_t n = 1; n <= 48; ++n) {
        fail_allocation_number(n);
        expect_no_memory(outer.try_clone());
        EXPECT_EQ(g_stats.live_allocations, live_before);
    }
}

TYPED_TEST(VectorTest, VectorOfStrings) {
    using String = BasicString<TypeParam>;
    Vector<String, TypeParam> strings;
    std::vector<std::string> model;
    for (int i = 0; i < 100; ++i) {
        std::string text = "string number " + std::to_string(i);
        must(strings.try_append(must(String::try_from(text))));
        model.push_back(text);
    }
    must(strings.try_insert(10, must(String::try_from("inserted"))));
    model.insert(model.begin() + 10, "inserted");
    must(strings[5].try_append(" suffix"));
    model[5] += " suffix";
    EXPECT_EQ(strings.remove(50).view(), model[50]);
    model.erase(model.begin() + 50);
    auto clone = must(strings.try_clone());
    ASSERT_EQ(strings.size(), model.size());
    for (size_t i = 0; i < model.size(); ++i) {
        EXPECT_EQ(strings[i].view(), model[i]);
        EXPECT_EQ(clone[i].view(), model[i]);
        EXPECT_NE(clone[i].c_str(), strings[i].c_str());
    }
}

template <typename T, typename A>
void check_growth_failures() {
    Vector<T, A> vector;
    int failures = 0;
    for (int i = 0; i < 200; ++i) {
        std::vector<int> before = contents(vector);
        size_t capacity = vector.capacity();
        const T* data = vector.data();
        int constructions = Tracked::constructions;
        T value = make<T>(i);
        fail_next_allocation();
        auto result = vector.try_append(std::move(value));
        stop_failing();
        if (result.is_error()) {
            ++failures;
            EXPECT_EQ(result.error(), Error::NoMemory);
            EXPECT_EQ(capacity, vector.size()) << "failed without needing to grow";
            EXPECT_EQ(vector.capacity(), capacity);
            EXPECT_EQ(vector.data(), data);
            EXPECT_EQ(contents(vector), before);
            EXPECT_EQ(value_of(value), i) << "a failed append consumed its argument";
            if constexpr (std::is_same_v<T, Tracked>)
                EXPECT_EQ(Tracked::constructions, constructions + 1);  // only `value`
            must(vector.try_append(std::move(value)));
        }
    }
    EXPECT_EQ(failures, 7);  // 0 -> 4 -> 8 -> ... -> 256
    EXPECT_EQ(contents(vector), iota(200));
}

template <typename T, typename A>
void check_other_growth_failures() {
    auto vector = make_vector<T, A>(8);
    std::vector<int> before = iota(8);
    fail_next_allocation();
    expect_no_memory(vector.try_insert(3, make<T>(99)));
    fail_next_allocation();
    expect_no_memory(vector.try_emplace(99));
    fail_next_allocation();
    expect_no_memory(vector.try_reserve(100));
    fail_next_allocation();
    expect_no_memory(vector.try_resize(100));
    stop_failing();
    EXPECT_EQ(vector.capacity(), 8u);
    EXPECT_EQ(contents(vector), before);
    if constexpr (std::is_same_v<T, Tracked>)
        EXPECT_EQ(Tracked::live, 8);
    EXPECT_EQ(g_stats.live_allocations, 1u);
}

TYPED_TEST(VectorTest, FailedGrowthLeavesVectorUnchanged) {
    check_growth_failures<int, TypeParam>();
    check_growth_failures<Tracked, TypeParam>();
    check_other_growth_failures<int, TypeParam>();
    check_other_growth_failures<Tracked, TypeParam>();
}

TYPED_TEST(VectorTest, OverflowingSizesFail) {
    Vector<uint64_t, TypeParam> vector;
    expect_no_memory(vector.try_reserve(SIZE_MAX / 4));
    expect_no_memory(vector.try_resize(SIZE_MAX));
    EXPECT_EQ(vector.capacity(), 0u);
}

TYPED_TEST(VectorTest, VectorOfOwnPtrs) {
    using Box = OwnPtr<Tracked, TypeParam>;
    Vector<Box, TypeParam> boxes;
    for (int i = 0; i < 10; ++i)
        must(boxes.try_append(must(Box::try_make(i))));
    Box middle = boxes.remove(5);
    EXPECT_EQ(middle->value, 5);
    EXPECT_EQ(boxes[5]->value, 6);
    EXPECT_EQ(Tracked::live, 10);
    EXPECT_EQ(Tracked::moves, 0);  // only the boxes moved
}

using VectorDeathTest = AllocatorFixture;

TEST_F(VectorDeathTest, OutOfBoundsAccessIsFatal) {
    auto vector = make_vector<int, TestAllocator>(3);
    const auto& constant = vector;
    EXPECT_DEATH((void)vector[3], "index 3 out of range for size 3");
    EXPECT_DEATH((void)constant[SIZE_MAX], "out of range for size 3");
    EXPECT_DEATH((void)vector.remove(3), "index 3 out of range for size 3");
    EXPECT_DEATH((void)vector.try_insert(4, 1), "index 4 out of range for size 3");
    Vector<int, TestAllocator> empty;
    EXPECT_DEATH((void)empty[0], "index 0 out of range for size 0");
    EXPECT_DEATH((void)empty.take_last(), "VERIFY\\(m_size > 0\\) failed");
}

template <typename T, typename A>
void run_random_vector_operations(uint32_t seed) {
    std::mt19937 random(seed);
    auto below = [&](size_t n) { return size_t(random() % n); };
    Vector<T, A> vector;
    std::vector<int> model;
    for (int step = 0; step < 100000; ++step) {
        bool inject = below(16) == 0;
        if (inject)
            fail_next_allocation();
        size_t capacity = vector.capacity();
        bool failed = false;
        int value = int(random() & 0xffff);
        switch (below(model.size() > 300 ? 6 : 10)) {
        case 0:
        case 6:
        case 7: {
            auto result = vector.try_append(make<T>(value));
            if (!(failed = result.is_error()))
                model.push_back(value);
            break;
        }
        case 1:
        case 8: {
            size_t index = below(model.size() + 1);
            auto result = vector.try_insert(index, make<T>(value));
            if (!(failed = result.is_error()))
                model.insert(model.begin() + index, value);
            break;
        }
        case 2:
            if (!model.empty()) {
                size_t index = below(model.size());
                EXPECT_EQ(value_of(vector.remove(index)), model[index]);
                model.erase(model.begin() + index);
            }
            break;
        case 3:
            if (!model.empty()) {
                EXPECT_EQ(value_of(vector.take_last()), model.back());
                model.pop_back();
            }
            break;
        case 4: {
            size_t size = below(model.size() + 20);
            auto result = vector.try_resize(size);
            if (!(failed = result.is_error()))
                model.resize(size);
            break;
        }
        case 5:
            switch (below(20)) {
            case 0:
                vector.clear();
                model.clear();
                break;
            case 1:
                vector.shrink_to_fit();
                break;
            case 2: {
                auto clone = vector.try_clone();
                if (!(failed = clone.is_error()))
                    EXPECT_EQ(contents(clone.value()), model);
                break;
            }
            default:
                failed = vector.try_reserve(model.size() + below(10)).is_error();
                break;
            }
            break;
        case 9:
            if (!model.empty()) {
                size_t index = below(model.size());
                EXPECT_EQ(value_of(vector[index]), model[index]);
            }
            break;
        }
        stop_failing();
        EXPECT_TRUE(!failed || inject) << "failed without injection at step " << step;
        if (failed)
            EXPECT_EQ(vector.capacity(), capacity);
        ASSERT_EQ(vector.size(), model.size()) << "step " << step;
        ASSERT_GE(vector.capacity(), vector.size());
        if (failed || step % 64 == 0)
            ASSERT_EQ(contents(vector), model) << "step " << step;
    }
    EXPECT_EQ(contents(vector), model);
}

TYPED_TEST(VectorTest, RandomizedAgainstStdVector) {
    run_random_vector_operations<int, TypeParam>(1);
    run_random_vector_operations<Tracked, TypeParam>(2);
}

// ---- BasicString -----------------------------------------------------------

TYPED_TEST(StringTest, EmptyStringDoesNotAllocate) {
    using String = BasicString<TypeParam>;
    String string;
    EXPECT_STREQ(string.c_str(), "");
    EXPECT_EQ(string.length(), 0u);
    EXPECT_EQ(string.capacity(), 0u);
    EXPECT_TRUE(string.is_empty());
    EXPECT_EQ(string, "");
    auto from_empty = must(String::try_from(""));
    must(string.try_append(std::string_view()));
    EXPECT_STREQ(from_empty.c_str(), "");
    EXPECT_EQ(g_stats.attempts, 0u);
}

TYPED_TEST(StringTest, TryFromViewAndCompare) {
    using String = BasicString<TypeParam>;
    auto string = must(String::try_from("hello"));
    EXPECT_EQ(string.view(), "hello");
    EXPECT_STREQ(string.c_str(), "hello");
    EXPECT_EQ(string.length(), 5u);
    EXPECT_EQ(string.capacity(), 5u);  // exact
    EXPECT_EQ(g_stats.blocks.at(const_cast<char*>(string.c_str())).first, 6u);
    EXPECT_TRUE(string == "hello");
    EXPECT_TRUE("hello" == string);
    EXPECT_FALSE(string == "hellO");
    EXPECT_FALSE(string == "hell");
    EXPECT_TRUE(string == must(String::try_from("hello")));
    EXPECT_FALSE(string == must(String::try_from("help!")));
    EXPECT_EQ(string[1], 'e');

    auto with_nul = must(String::try_from(std::string_view("a\0b", 3)));
    EXPECT_EQ(with_nul.length(), 3u);
    EXPECT_EQ(with_nul.view(), std::string_view("a\0b", 3));
}

TYPED_TEST(StringTest, PushStrReallocPattern) {
    using String = BasicString<TypeParam>;
    String string;
    std::string model;
    for (int i = 1; i <= 1000; ++i) {
        char c = char('a' + i % 26);
        must(string.try_append(c));
        model += c;
        ASSERT_EQ(string.view(), model) << "after " << i << " characters";
        ASSERT_EQ(std::strlen(string.c_str()), size_t(i));
        ASSERT_EQ(g_stats.live_allocations, 1u);
    }
    EXPECT_LT(g_stats.attempts, 20u);  // amortised growth
    if constexpr (ReallocatingAllocator<TypeParam>)
        EXPECT_GT(g_stats.reallocations, 5u);

    String chunks;
    std::string chunk_model;
    for (int i = 1; i <= 100; ++i) {
        std::string chunk(i, char('A' + i % 26));
        must(chunks.try_append(chunk));
        chunk_model += chunk;
        ASSERT_EQ(chunks.view(), chunk_model);
        ASSERT_EQ(chunks.c_str()[chunks.length()], '\0');
    }
}

TYPED_TEST(StringTest, AppendingItselfIsSafe) {
    using String = BasicString<TypeParam>;
    auto string = must(String::try_from("abc"));
    std::string model = "abc";
    for (int i = 0; i < 10; ++i) {
        must(string.try_append(string.view()));
        model += model;
        ASSERT_EQ(string.view(), model);
    }
    must(string.try_append(string.view().substr(5, 4)));  // with spare capacity or not
    model += model.substr(5, 4);
    EXPECT_EQ(string.view(), model);
}

TYPED_TEST(StringTest, ReserveAndClear) {
    using String = BasicString<TypeParam>;
    String string;
    must(string.try_reserve(100));
    EXPECT_EQ(string.capacity(), 100u);
    EXPECT_STREQ(string.c_str(), "");
    size_t attempts = g_stats.attempts;
    must(string.try_append(std::string(100, 'x')));
    EXPECT_EQ(g_stats.attempts, attempts);
    string.clear();
    EXPECT_EQ(string.capacity(), 100u);
    EXPECT_STREQ(string.c_str(), "");
    EXPECT_TRUE(string.is_empty());
    must(string.try_append("again"));
    EXPECT_EQ(string, "again");
}

TYPED_TEST(StringTest, FailedAppendLeavesStringUnchanged) {
    using String = BasicString<TypeParam>;
    String string;
    std::string model;
    int failures = 0;
    for (int i = 0; i < 500; ++i) {
        size_t capacity = string.capacity();
        fail_next_allocation();
        auto result = string.try_append(char('0' + i % 10));
        stop_failing();
        if (result.is_error()) {
            ++failures;
            EXPECT_EQ(result.error(), Error::NoMemory);
            EXPECT_EQ(string.view(), model);
            EXPECT_EQ(string.capacity(), capacity);
            EXPECT_EQ(string.c_str()[string.length()], '\0');
            must(string.try_append(char('0' + i % 10)));
        }
        model += char('0' + i % 10);
        ASSERT_EQ(string.view(), model);
    }
    EXPECT_EQ(failures, 6);  // capacities 15, 31, 63, 127, 255, 511
    fail_next_allocation();
    expect_no_memory(String::try_from("anything"));
    fail_next_allocation();
    expect_no_memory(string.try_clone());
    fail_next_allocation();
    expect_no_memory(string.try_reserve(10000));
    EXPECT_EQ(string.view(), model);
    EXPECT_EQ(g_stats.live_allocations, 1u);
    expect_no_memory(string.try_reserve(SIZE_MAX));
}

TYPED_TEST(StringTest, CloneAndMove) {
    using String = BasicString<TypeParam>;
    auto string = must(String::try_from("original"));
    auto clone = must(string.try_clone());
    must(clone.try_append('!'));
    EXPECT_EQ(string, "original");
    EXPECT_EQ(clone, "original!");
    String moved(std::move(clone));
    EXPECT_EQ(moved, "original!");
    EXPECT_STREQ(clone.c_str(), "");
    EXPECT_EQ(clone.length(), 0u);
    string = std::move(moved);
    EXPECT_EQ(string, "original!");
    EXPECT_EQ(g_stats.live_allocations, 1u);
}

TYPED_TEST(StringTest, Formats) {
    using String = BasicString<TypeParam>;
    auto string = must(String::try_from("abc"));
    char buffer[64];
    size_t length = format_to_buffer(buffer, sizeof(buffer), "[{}] [{:>6}] [{:-<5}] [{:.2}]", string, string,
        string, string);
    EXPECT_EQ(std::string_view(buffer, length), "[abc] [   abc] [abc--] [ab]");
}

using StringDeathTest = AllocatorFixture;

TEST_F(StringDeathTest, OutOfBoundsIndexIsFatal) {
    auto string = must(BasicString<TestAllocator>::try_from("abc"));
    EXPECT_DEATH((void)string[3], "index 3 out of range for size 3");
}

TYPED_TEST(StringTest, RandomizedAgainstStdString) {
    using String = BasicString<TypeParam>;
    std::mt19937 random(3);
    auto below = [&](size_t n) { return size_t(random() % n); };
    String string;
    std::string model;
    for (int step = 0; step < 100000; ++step) {
        bool inject = below(16) == 0;
        if (inject)
            fail_next_allocation();
        bool failed = false;
        switch (below(model.size() > 5000 ? 7 : 6)) {
        case 0:
        case 1: {
            char c = char('a' + below(26));
            if (!(failed = string.try_append(c).is_error()))
                model += c;
            break;
        }
        case 2: {
            std::string text(below(40), char('A' + below(26)));
            if (!(failed = string.try_append(text).is_error()))
                model += text;
            break;
        }
        case 3:
            if (!model.empty()) {
                size_t start = below(model.size());
                size_t count = below(std::min<size_t>(model.size() - start, 64) + 1);
                if (!(failed = string.try_append(string.view().substr(start, count)).is_error()))
                    model += model.substr(start, count);
            }
            break;
        case 4:
            failed = string.try_reserve(model.size() + below(100)).is_error();
            break;
        case 5:
            if (below(50) == 0) {
                auto clone = string.try_clone();
                if (!(failed = clone.is_error())) {
                    EXPECT_EQ(clone.value().view(), model);
                    string = clone.release_value();
                }
            }
            break;
        case 6:
            string.clear();
            model.clear();
            break;
        }
        stop_failing();
        EXPECT_TRUE(!failed || inject) << "failed without injection at step " << step;
        ASSERT_EQ(string.length(), model.size()) << "step " << step;
        ASSERT_EQ(string.c_str()[string.length()], '\0');
        if (failed || step % 64 == 0)
            ASSERT_EQ(string.view(), model) << "step " << step;
    }
    EXPECT_EQ(string.view(), model);
}

// ---- OwnPtr ----------------------------------------------------------------

TYPED_TEST(OwnPtrTest, TryMakeConstructsAndDestroys) {
    using Box = OwnPtr<Tracked, TypeParam>;
    {
        auto box = must(Box::try_make(5));
        EXPECT_TRUE(box);
        EXPECT_EQ(box->value, 5);
        EXPECT_EQ((*box).value, 5);
        EXPECT_EQ(Tracked::live, 1);
        auto& block = g_stats.blocks.at(box.get());
        EXPECT_EQ(block.first, sizeof(Tracked));
        EXPECT_EQ(block.second, alignof(Tracked));
    }
    EXPECT_EQ(Tracked::live, 0);
    EXPECT_EQ(g_stats.live_allocations, 0u);

    auto pair = must((OwnPtr<Pair, TypeParam>::try_make(1, 2)));
    EXPECT_EQ(pair->a, 1);
    EXPECT_EQ(pair->b, 2);
    OwnPtr<Tracked, TypeParam> empty;
    EXPECT_FALSE(empty);
    EXPECT_EQ(empty.get(), nullptr);
}

TYPED_TEST(OwnPtrTest, FailureConstructsNothing) {
    fail_next_allocation();
    expect_no_memory(OwnPtr<Tracked, TypeParam>::try_make(1));
    EXPECT_EQ(Tracked::constructions, 0);
}

TYPED_TEST(OwnPtrTest, MoveResetReleaseAdopt) {
    using Box = OwnPtr<Tracked, TypeParam>;
    auto first = must(Box::try_make(1));
    Tracked* object = first.get();
    Box second(std::move(first));
    EXPECT_EQ(first.get(), nullptr);
    EXPECT_EQ(second.get(), object);

    auto third = must(Box::try_make(3));
    third = std::move(second);  // destroys 3
    EXPECT_EQ(Tracked::live, 1);
    EXPECT_EQ(third->value, 1);
    auto& alias = third;
    third = std::move(alias);
    EXPECT_EQ(third->value, 1);

    Tracked* raw = third.release();
    EXPECT_FALSE(third);
    EXPECT_EQ(Tracked::live, 1);
    Box adopted = Box::adopt(raw);
    EXPECT_EQ(adopted->value, 1);
    adopted.reset();
    EXPECT_FALSE(adopted);
    EXPECT_EQ(Tracked::live, 0);
    EXPECT_EQ(Tracked::moves, 0);
}

TYPED_TEST(OwnPtrTest, OverAlignedAndBoxedVector) {
    struct alignas(256) Page {
        unsigned char bytes[256];
    };
    auto page = must((OwnPtr<Page, TypeParam>::try_make()));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(page.get()) % 256, 0u);
    EXPECT_EQ(g_stats.blocks.at(page.get()).second, 256u);

    auto boxed = must((OwnPtr<Vector<int, TypeParam>, TypeParam>::try_make()));
    for (int i = 0; i < 20; ++i)
        must(boxed->try_append(i));
    EXPECT_EQ(contents(*boxed), iota(20));
}

using OwnPtrDeathTest = AllocatorFixture;

TEST_F(OwnPtrDeathTest, NullDereferenceIsFatal) {
    OwnPtr<Tracked, TestAllocator> empty;
    EXPECT_DEATH((void)empty->value, "VERIFY\\(m_pointer\\) failed");
    EXPECT_DEATH((void)*empty, "VERIFY\\(m_pointer\\) failed");
}
