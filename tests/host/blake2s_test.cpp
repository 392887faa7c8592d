// BLAKE2s against RFC 7693's vectors and the BLAKE2 authors' keyed
// known-answer file (blake2s-kat.txt: key 00..1f, message 00..n-1).
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "kernel/crypto/blake2s.h"
#include "tests/host/crypto_test_support.h"

using namespace akuma::crypto;

namespace {

std::string hash_hex(std::span<const uint8_t> data, std::span<const uint8_t> key = {}, size_t size = 32) {
    std::vector<uint8_t> out(size);
    blake2s(out, data, key);
    return to_hex(out);
}

// RFC 7693 Appendix E: the test input generator (a Fibonacci-like sequence).
std::vector<uint8_t> selftest_sequence(size_t size, uint32_t seed) {
    std::vector<uint8_t> out(size);
    uint32_t a = 0xdead4bad * seed;
    uint32_t b = 1;
    for (size_t i = 0; i < size; ++i) {
        uint32_t t = a + b;
        a = b;
        b = t;
        out[i] = uint8_t(t >> 24);
    }
    return out;
}

}  // namespace

// RFC 7693 Appendix B: BLAKE2s-256("abc").
TEST(Blake2s, AbcVector) {
    const uint8_t abc[] = { 'a', 'b', 'c' };
    EXPECT_EQ(hash_hex(abc), "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

TEST(Blake2s, KeyedKnownAnswers) {
    auto key = counting_bytes(32);
    EXPECT_EQ(hash_hex({}, key), "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49");
    EXPECT_EQ(hash_hex(counting_bytes(1), key), "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1");
    // Exactly one block, one byte over, and many blocks.
    EXPECT_EQ(hash_hex(counting_bytes(64), key), "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4");
    EXPECT_EQ(hash_hex(counting_bytes(65), key), "21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8");
    EXPECT_EQ(hash_hex(counting_bytes(255), key), "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd");
}

// RFC 7693 Appendix E: hashes of every digest size 16/20/28/32, unkeyed and
// keyed, of inputs 0/3/64/65/255/1024 bytes, hashed together.
TEST(Blake2s, Rfc7693SelfTest) {
    Blake2s master(32);
    for (size_t digest_size : { 16, 20, 28, 32 }) {
        for (size_t input_size : { 0, 3, 64, 65, 255, 1024 }) {
            auto input = selftest_sequence(input_size, uint32_t(input_size));
            std::vector<uint8_t> digest(digest_size);
            blake2s(digest, input);
            master.update(digest);
            auto key = selftest_sequence(digest_size, uint32_t(digest_size));
            blake2s(digest, input, key);
            master.update(digest);
        }
    }
    std::array<uint8_t, 32> result {};
    master.final(result);
    EXPECT_EQ(to_hex(result), "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
}

// Feeding the input in pieces of any size gives the one-shot digest,
// whatever the block boundaries (the last block's flag is the trap).
TEST(Blake2s, IncrementalEqualsOneShot) {
    auto key = counting_bytes(32);
    auto data = counting_bytes(255);
    std::string expected = hash_hex(data, key);
    for (size_t piece : { 1, 3, 63, 64, 65, 128, 200 }) {
        Blake2s hash(32, key);
        for (size_t offset = 0; offset < data.size(); offset += piece)
            hash.update(std::span<const uint8_t>(data).subspan(offset, std::min(piece, data.size() - offset)));
        std::array<uint8_t, 32> out {};
        hash.final(out);
        EXPECT_EQ(to_hex(out), expected) << "pieces of " << piece;
    }
}
