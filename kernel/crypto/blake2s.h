// BLAKE2s (RFC 7693): the hash the random pool accumulates its input with
// (kernel/crypto/random_pool.h), as Linux's random.c does since 5.17.
// Incremental: any number of update() calls, then final(). Keyed hashing
// (up to 32 key bytes) gives the pool a chaining key across extractions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace akuma::crypto {

class Blake2s {
public:
    static constexpr size_t k_block_size = 64;
    static constexpr size_t k_max_digest_size = 32;
    static constexpr size_t k_max_key_size = 32;

    // digest_size 1..32, key at most 32 bytes (RFC 7693 2.5); other values
    // are clamped, callers pass constants.
    explicit Blake2s(size_t digest_size = k_max_digest_size, std::span<const uint8_t> key = {});
    ~Blake2s();
    Blake2s(const Blake2s&) = default;
    Blake2s& operator=(const Blake2s&) = default;

    void update(std::span<const uint8_t> data);
    // Writes min(out.size(), digest size) bytes; the object must then be
    // reinitialised (assigned a new Blake2s) before further use.
    void final(std::span<uint8_t> out);

    size_t digest_size() const { return m_digest_size; }

private:
    void compress(bool last);

    uint32_t m_hash[8];
    uint8_t m_buffer[k_block_size];
    size_t m_buffered { 0 };
    uint64_t m_bytes { 0 };  // the counter t: bytes compressed so far
    size_t m_digest_size;
};

// One-shot helper.
void blake2s(std::span<uint8_t> out, std::span<const uint8_t> data, std::span<const uint8_t> key = {});

}  // namespace akuma::crypto
