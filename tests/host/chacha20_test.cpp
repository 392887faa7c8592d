// ChaCha20 against RFC 8439's published vectors.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>

#include "kernel/crypto/chacha20.h"
#include "tests/host/crypto_test_support.h"

using namespace akuma::crypto;

namespace {

std::array<uint8_t, 32> key_from(const std::vector<uint8_t>& bytes) {
    std::array<uint8_t, 32> key {};
    std::memcpy(key.data(), bytes.data(), key.size());
    return key;
}

std::array<uint8_t, 12> nonce_from(std::string_view hex) {
    std::array<uint8_t, 12> nonce {};
    auto bytes = from_hex(hex);
    std::memcpy(nonce.data(), bytes.data(), nonce.size());
    return nonce;
}

}  // namespace

// RFC 8439 2.3.2: key 00..1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, counter 1.
TEST(ChaCha20, BlockFunctionVector) {
    auto key = key_from(counting_bytes(32));
    auto nonce = nonce_from("000000090000004a00000000");
    std::array<uint8_t, 64> block {};
    chacha20_block(key, 1, nonce, block);
    EXPECT_EQ(to_hex(block), "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
                             "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
}

// RFC 8439 A.1, test vector #1: all-zero key and nonce, counter 0.
TEST(ChaCha20, ZeroKeyVector) {
    std::array<uint8_t, 32> key {};
    std::array<uint8_t, 12> nonce {};
    std::array<uint8_t, 64> block {};
    chacha20_block(key, 0, nonce, block);
    EXPECT_EQ(to_hex(block), "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
                             "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586");
}

// RFC 8439 2.4.2: the "sunscreen" plaintext, key 00..1f,
// nonce 00:00:00:00:00:00:00:4a:00:00:00:00, initial counter 1.
TEST(ChaCha20, EncryptionVector) {
    const std::string plaintext = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
                                  "for the future, sunscreen would be it.";
    const std::string ciphertext = "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
                                   "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
                                   "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
                                   "5af90bbf74a35be6b40b8eedf2785e42874d";
    auto key = key_from(counting_bytes(32));
    auto nonce = nonce_from("000000000000004a00000000");
    std::vector<uint8_t> data(plaintext.begin(), plaintext.end());
    ASSERT_EQ(data.size(), 114u);
    chacha20_xor(key, 1, nonce, data);
    EXPECT_EQ(to_hex(data), ciphertext);
    // The same operation decrypts.
    chacha20_xor(key, 1, nonce, data);
    EXPECT_EQ(std::string(data.begin(), data.end()), plaintext);
}

// The key stream is the block function's output at successive counters,
// whatever the length (partial last block included).
TEST(ChaCha20, XorIsTheBlocksInSequence) {
    auto key = key_from(counting_bytes(32));
    auto nonce = nonce_from("000000090000004a00000000");
    std::vector<uint8_t> stream(64 * 3 + 5, 0);
    chacha20_xor(key, 7, nonce, stream);
    for (uint32_t i = 0; i < 4; ++i) {
        std::array<uint8_t, 64> block {};
        chacha20_block(key, 7 + i, nonce, block);
        size_t size = std::min<size_t>(64, stream.size() - 64 * i);
        EXPECT_EQ(std::memcmp(stream.data() + 64 * i, block.data(), size), 0) << "block " << i;
    }
}
