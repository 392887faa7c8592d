#include "kernel/crypto/chacha20.h"

#include "kernel/crypto/secure_erase.h"

namespace akuma::crypto {

namespace {

// "expand 32-byte k" as four little-endian words (RFC 8439 2.3).
constexpr uint32_t k_constants[4] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };

uint32_t rotate_left(uint32_t value, int bits) { return (value << bits) | (value >> (32 - bits)); }

uint32_t load_le32(const uint8_t* bytes) {
    return uint32_t(bytes[0]) | uint32_t(bytes[1]) << 8 | uint32_t(bytes[2]) << 16 | uint32_t(bytes[3]) << 24;
}

void store_le32(uint8_t* bytes, uint32_t value) {
    for (int i = 0; i < 4; ++i)
        bytes[i] = uint8_t(value >> (8 * i));
}

// RFC 8439 2.1, applied to four words of the state.
void quarter_round(uint32_t* x, int a, int b, int c, int d) {
    x[a] += x[b];
    x[d] = rotate_left(x[d] ^ x[a], 16);
    x[c] += x[d];
    x[b] = rotate_left(x[b] ^ x[c], 12);
    x[a] += x[b];
    x[d] = rotate_left(x[d] ^ x[a], 8);
    x[c] += x[d];
    x[b] = rotate_left(x[b] ^ x[c], 7);
}

}  // namespace

void chacha20_block(std::span<const uint8_t, k_chacha20_key_size> key, uint32_t counter,
                    std::span<const uint8_t, k_chacha20_nonce_size> nonce,
                    std::span<uint8_t, k_chacha20_block_size> out) {
    // State layout (RFC 8439 2.3): constants, key, counter, nonce.
    uint32_t initial[16];
    for (int i = 0; i < 4; ++i)
        initial[i] = k_constants[i];
    for (int i = 0; i < 8; ++i)
        initial[4 + i] = load_le32(&key[4 * i]);
    initial[12] = counter;
    for (int i = 0; i < 3; ++i)
        initial[13 + i] = load_le32(&nonce[4 * i]);

    uint32_t working[16];
    for (int i = 0; i < 16; ++i)
        working[i] = initial[i];
    // Ten double rounds: a column round, then a diagonal round.
    for (int round = 0; round < 10; ++round) {
        quarter_round(working, 0, 4, 8, 12);
        quarter_round(working, 1, 5, 9, 13);
        quarter_round(working, 2, 6, 10, 14);
        quarter_round(working, 3, 7, 11, 15);
        quarter_round(working, 0, 5, 10, 15);
        quarter_round(working, 1, 6, 11, 12);
        quarter_round(working, 2, 7, 8, 13);
        quarter_round(working, 3, 4, 9, 14);
    }
    // Adding the input state back makes the block function non-invertible.
    for (int i = 0; i < 16; ++i)
        store_le32(&out[4 * i], working[i] + initial[i]);
    secure_erase(initial, sizeof(initial));
    secure_erase(working, sizeof(working));
}

void chacha20_xor(std::span<const uint8_t, k_chacha20_key_size> key, uint32_t counter,
                  std::span<const uint8_t, k_chacha20_nonce_size> nonce, std::span<uint8_t> data) {
    uint8_t block[k_chacha20_block_size];
    for (size_t done = 0; done < data.size(); done += k_chacha20_block_size, ++counter) {
        chacha20_block(key, counter, nonce, block);
        size_t step = data.size() - done < sizeof(block) ? data.size() - done : sizeof(block);
        for (size_t i = 0; i < step; ++i)
            data[done + i] ^= block[i];
    }
    secure_erase(block, sizeof(block));
}

}  // namespace akuma::crypto
