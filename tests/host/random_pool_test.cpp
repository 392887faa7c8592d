// The random generator's core (kernel/crypto/random_pool.h): determinism,
// reseeding rules, the ready threshold, no repeated output.
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <set>
#include <string>
#include <vector>

#include "kernel/crypto/random_pool.h"
#include "tests/host/crypto_test_support.h"

using namespace akuma::crypto;

namespace {

constexpr uint64_t k_second = 1000ull * 1000 * 1000;

std::vector<uint8_t> draw(RandomPool& pool, size_t size, uint64_t now_ns = 0) {
    std::vector<uint8_t> out(size);
    pool.fill(out, now_ns);
    return out;
}

// A pool with 256 credited bits from `seed_byte`, ready.
void seed(RandomPool& pool, uint8_t seed_byte) {
    std::vector<uint8_t> input(32, seed_byte);
    pool.add_entropy(input, 256, 0);
}

}  // namespace

TEST(RandomPool, SameInputsGiveTheSameOutput) {
    RandomPool a;
    RandomPool b;
    for (auto* pool : { &a, &b }) {
        seed(*pool, 7);
        for (uint64_t i = 0; i < 100; ++i)
            pool->add_timing_sample(i * 12345);
    }
    for (size_t size : { 1, 16, 64, 100, 4096 })
        EXPECT_EQ(draw(a, size), draw(b, size)) << size;
}

TEST(RandomPool, DifferentInputsGiveDifferentOutput) {
    RandomPool a;
    RandomPool b;
    seed(a, 1);
    seed(b, 2);
    EXPECT_NE(draw(a, 32), draw(b, 32));
}

TEST(RandomPool, ReadyAfter256CreditedBits) {
    RandomPool pool;
    EXPECT_FALSE(pool.is_ready());
    std::vector<uint8_t> input(16, 0x5a);
    pool.add_entropy(input, 128, 0);
    pool.add_entropy(input, 127, 0);
    EXPECT_FALSE(pool.is_ready());
    EXPECT_EQ(pool.credited_bits(), 255u);
    uint64_t reseeds = pool.reseed_count();
    pool.add_entropy(input, 1, 0);
    // Readiness reseeds at once: the key already depends on the 256 bits.
    EXPECT_TRUE(pool.is_ready());
    EXPECT_EQ(pool.reseed_count(), reseeds + 1);
}

TEST(RandomPool, CreditIsAtMostEightBitsPerByte) {
    RandomPool pool;
    std::vector<uint8_t> input(4, 1);
    pool.add_entropy(input, 1000, 0);
    EXPECT_EQ(pool.credited_bits(), 32u);
    EXPECT_FALSE(pool.is_ready());
}

TEST(RandomPool, NotReadyPoolStillProducesOutput) {
    RandomPool pool;
    auto first = draw(pool, 32);
    auto second = draw(pool, 32);
    EXPECT_FALSE(pool.is_ready());
    EXPECT_NE(first, second);
}

TEST(RandomPool, RequestsNeverRepeat) {
    RandomPool pool;
    seed(pool, 3);
    std::set<std::vector<uint8_t>> seen;
    for (int i = 0; i < 2000; ++i)
        EXPECT_TRUE(seen.insert(draw(pool, 16)).second) << "request " << i;
    // Nor does any 16-byte piece of larger requests (each has its own key).
    std::set<std::vector<uint8_t>> pieces;
    for (int i = 0; i < 20; ++i) {
        auto out = draw(pool, 4096);
        for (size_t offset = 0; offset < out.size(); offset += 16)
            EXPECT_TRUE(pieces.insert({ out.begin() + offset, out.begin() + offset + 16 }).second);
    }
}

TEST(RandomPool, LargeRequestLooksRandom) {
    RandomPool pool;
    seed(pool, 4);
    auto out = draw(pool, 1 << 20);
    // 8 Mi bits: the count of ones is within 6 standard deviations (~8700) of half.
    uint64_t ones = 0;
    for (uint8_t byte : out)
        ones += std::popcount(byte);
    uint64_t half = out.size() * 4;
    EXPECT_LT(ones > half ? ones - half : half - ones, 6 * 1449u);
    // Every byte value occurs (expected 4096 times each).
    std::array<unsigned, 256> counts {};
    for (uint8_t byte : out)
        ++counts[byte];
    for (unsigned value = 0; value < 256; ++value)
        EXPECT_GT(counts[value], 3500u) << value;
}

TEST(RandomPool, StreamPiecesContinueOneKeyStream) {
    RandomPool a;
    RandomPool b;
    seed(a, 5);
    seed(b, 5);
    std::vector<uint8_t> whole(300);
    a.begin_request(whole.size(), 0).fill(whole);
    std::vector<uint8_t> pieces(300);
    auto stream = b.begin_request(pieces.size(), 0);
    size_t offset = 0;
    for (size_t piece : { 1, 63, 64, 100, 72 }) {
        stream.fill(std::span(pieces).subspan(offset, piece));
        offset += piece;
    }
    ASSERT_EQ(offset, pieces.size());
    EXPECT_EQ(whole, pieces);
}

TEST(RandomPool, CreditedInputReseedsOnceEnoughArrived) {
    RandomPool a;
    RandomPool b;
    seed(a, 6);
    seed(b, 6);
    draw(a, 16);
    draw(b, 16);
    uint64_t reseeds = a.reseed_count();
    std::vector<uint8_t> input(16, 0x42);
    // Less than k_reseed_credit_bits: kept in the pool for later.
    a.add_entropy(input, RandomPool::k_reseed_credit_bits - 1, 0);
    draw(a, 16);
    EXPECT_EQ(a.reseed_count(), reseeds);
    a.add_entropy(input, 1, 0);
    auto after = draw(a, 16);
    EXPECT_EQ(a.reseed_count(), reseeds + 1);
    // b got the same requests but not the input.
    draw(b, 16);
    EXPECT_NE(after, draw(b, 16));
}

TEST(RandomPool, UncreditedInputTakesEffectAtTheNextReseed) {
    RandomPool a;
    RandomPool b;
    seed(a, 8);
    seed(b, 8);
    std::vector<uint8_t> written(64, 0x99);  // a write to /dev/urandom
    a.add_entropy(written, 0, 0);
    EXPECT_EQ(draw(a, 32, 1), draw(b, 32, 1));
    // The periodic reseed brings it in.
    auto later = RandomPool::k_reseed_interval_ns + 1;
    auto reseeds = a.reseed_count();
    EXPECT_NE(draw(a, 32, later), draw(b, 32, later));
    EXPECT_EQ(a.reseed_count(), reseeds + 1);
}

TEST(RandomPool, ReseedsAfterTheIntervalAndAfterTheByteBudget) {
    RandomPool pool;
    seed(pool, 9);  // reseeds at time 0
    auto reseeds = pool.reseed_count();
    draw(pool, 16, k_second);
    draw(pool, 16, RandomPool::k_reseed_interval_ns - 1);
    EXPECT_EQ(pool.reseed_count(), reseeds);
    draw(pool, 16, RandomPool::k_reseed_interval_ns);
    EXPECT_EQ(pool.reseed_count(), reseeds + 1);

    // 16 bytes since that reseed; these make the budget less one byte.
    uint64_t now = RandomPool::k_reseed_interval_ns + 1;
    draw(pool, RandomPool::k_reseed_bytes - 17, now);
    draw(pool, 1, now);
    EXPECT_EQ(pool.reseed_count(), reseeds + 1);
    draw(pool, 16, now);
    EXPECT_EQ(pool.reseed_count(), reseeds + 2);
}

TEST(RandomPool, TimingSamplesReachThePool) {
    RandomPool a;
    RandomPool b;
    seed(a, 10);
    seed(b, 10);
    for (unsigned i = 0; i < RandomPool::k_timing_samples_per_flush; ++i) {
        a.add_timing_sample(1000 + i * 3);
        b.add_timing_sample(1000 + i * 3 + (i == 17));  // one sample differs by one
    }
    auto later = RandomPool::k_reseed_interval_ns;
    EXPECT_NE(draw(a, 32, later), draw(b, 32, later));
}
