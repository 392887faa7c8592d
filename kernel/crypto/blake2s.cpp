#include "kernel/crypto/blake2s.h"

#include "kernel/crypto/secure_erase.h"

namespace akuma::crypto {

namespace {

// RFC 7693 2.6: the SHA-256 initial hash words.
constexpr uint32_t k_iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

// RFC 7693 2.7: message word order of each of the 10 rounds.
constexpr uint8_t k_sigma[10][16] = {
    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
    { 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
    { 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
    { 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
    { 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
    { 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
    { 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
    { 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
    { 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
    { 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

uint32_t rotate_right(uint32_t value, int bits) { return (value >> bits) | (value << (32 - bits)); }

uint32_t load_le32(const uint8_t* bytes) {
    return uint32_t(bytes[0]) | uint32_t(bytes[1]) << 8 | uint32_t(bytes[2]) << 16 | uint32_t(bytes[3]) << 24;
}

// RFC 7693 3.1 with BLAKE2s' rotation distances (16, 12, 8, 7).
void mix(uint32_t* v, int a, int b, int c, int d, uint32_t x, uint32_t y) {
    v[a] = v[a] + v[b] + x;
    v[d] = rotate_right(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];
    v[b] = rotate_right(v[b] ^ v[c], 12);
    v[a] = v[a] + v[b] + y;
    v[d] = rotate_right(v[d] ^ v[a], 8);
    v[c] = v[c] + v[d];
    v[b] = rotate_right(v[b] ^ v[c], 7);
}

size_t clamp(size_t value, size_t low, size_t high) { return value < low ? low : value > high ? high : value; }

}  // namespace

Blake2s::Blake2s(size_t digest_size, std::span<const uint8_t> key)
    : m_digest_size(clamp(digest_size, 1, k_max_digest_size)) {
    size_t key_size = key.size() < k_max_key_size ? key.size() : k_max_key_size;
    for (int i = 0; i < 8; ++i)
        m_hash[i] = k_iv[i];
    // Parameter block (RFC 7693 2.5): digest length, key length, fanout 1, depth 1.
    m_hash[0] ^= 0x01010000u ^ uint32_t(key_size << 8) ^ uint32_t(m_digest_size);
    __builtin_memset(m_buffer, 0, sizeof(m_buffer));
    // A key is the first message block, zero-padded (RFC 7693 3.3).
    if (key_size > 0) {
        __builtin_memcpy(m_buffer, key.data(), key_size);
        m_buffered = k_block_size;
    }
}

Blake2s::~Blake2s() {
    secure_erase(m_hash, sizeof(m_hash));
    secure_erase(m_buffer, sizeof(m_buffer));
}

void Blake2s::compress(bool last) {
    uint32_t message[16];
    for (int i = 0; i < 16; ++i)
        message[i] = load_le32(&m_buffer[4 * i]);
    uint32_t v[16];
    for (int i = 0; i < 8; ++i) {
        v[i] = m_hash[i];
        v[8 + i] = k_iv[i];
    }
    v[12] ^= uint32_t(m_bytes);
    v[13] ^= uint32_t(m_bytes >> 32);
    if (last)
        v[14] = ~v[14];
    for (const auto& s : k_sigma) {
        mix(v, 0, 4, 8, 12, message[s[0]], message[s[1]]);
        mix(v, 1, 5, 9, 13, message[s[2]], message[s[3]]);
        mix(v, 2, 6, 10, 14, message[s[4]], message[s[5]]);
        mix(v, 3, 7, 11, 15, message[s[6]], message[s[7]]);
        mix(v, 0, 5, 10, 15, message[s[8]], message[s[9]]);
        mix(v, 1, 6, 11, 12, message[s[10]], message[s[11]]);
        mix(v, 2, 7, 8, 13, message[s[12]], message[s[13]]);
        mix(v, 3, 4, 9, 14, message[s[14]], message[s[15]]);
    }
    for (int i = 0; i < 8; ++i)
        m_hash[i] ^= v[i] ^ v[8 + i];
    secure_erase(message, sizeof(message));
    secure_erase(v, sizeof(v));
}

void Blake2s::update(std::span<const uint8_t> data) {
    size_t offset = 0;
    while (offset < data.size()) {
        // A full buffer is compressed only once more input follows: the
        // last block must be compressed with the final flag (RFC 7693 3.3).
        if (m_buffered == k_block_size) {
            m_bytes += k_block_size;
            compress(false);
            m_buffered = 0;
        }
        size_t step = k_block_size - m_buffered;
        if (step > data.size() - offset)
            step = data.size() - offset;
        __builtin_memcpy(m_buffer + m_buffered, data.data() + offset, step);
        m_buffered += step;
        offset += step;
    }
}

void Blake2s::final(std::span<uint8_t> out) {
    m_bytes += m_buffered;
    __builtin_memset(m_buffer + m_buffered, 0, k_block_size - m_buffered);
    compress(true);
    size_t size = out.size() < m_digest_size ? out.size() : m_digest_size;
    for (size_t i = 0; i < size; ++i)
        out[i] = uint8_t(m_hash[i / 4] >> (8 * (i % 4)));
}

void blake2s(std::span<uint8_t> out, std::span<const uint8_t> data, std::span<const uint8_t> key) {
    Blake2s hash(out.size(), key);
    hash.update(data);
    hash.final(out);
}

}  // namespace akuma::crypto
