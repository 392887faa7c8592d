// The kernel's cryptographic random generator, without locks or hardware:
// the same source runs in the kernel (kernel/crypto/random.h holds the one
// instance behind a spinlock and feeds it) and in host tests.
//
// Design (Linux's random.c since 5.17, and the "fast key erasure" of
// https://blog.cr.yp.to/20170723-random.html):
//   - Input pool: every input is hashed into a BLAKE2s state; inputs are
//     credited with the entropy their source vouches for (0 for writes to
//     /dev/urandom and for timing samples).
//   - Timing samples (interrupt timestamps and the like) are first folded
//     into a small "fast pool" with a cheap permutation and reach the input
//     pool 64 samples at a time, so an interrupt costs a few instructions.
//   - Output key: a ChaCha20 key. A reseed finalises the input pool (with
//     the old output key hashed in, so a reseed never weakens the key) and
//     derives from it both the next output key and the key the input pool
//     continues under (so it keeps everything it saw).
//   - Every request first replaces the output key: one ChaCha20 block under
//     the current key gives the next key and a key for this request alone;
//     the request's bytes are that request key's key stream. The old key is
//     gone before a byte is returned, so the state seized later cannot
//     reproduce earlier output (forward secrecy), and two requests never
//     share a key stream.
//   - Reseeds: the first request; as soon as the credited total reaches
//     256 bits (then is_ready()); afterwards on the next request after 128
//     more bits were credited (fewer would let an attacker who knows the
//     state guess the new input in small steps), after k_reseed_interval_ns
//     or after k_reseed_bytes of output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/crypto/blake2s.h"
#include "kernel/crypto/chacha20.h"

namespace akuma::crypto {

// The key stream of one request, under a key no other request shares.
// Generated outside the generator's lock; the key is erased on destruction.
class RandomStream {
public:
    explicit RandomStream(std::span<const uint8_t, k_chacha20_key_size> key);
    ~RandomStream();
    // A move takes the key and erases it from the source.
    RandomStream(RandomStream&& other);
    RandomStream(const RandomStream&) = delete;
    RandomStream& operator=(const RandomStream&) = delete;

    // Successive calls continue the stream (up to 256 GiB, the 32-bit block
    // counter's reach; requests are clamped far below that).
    void fill(std::span<uint8_t> out);

private:
    uint8_t m_key[k_chacha20_key_size];
    uint8_t m_block[k_chacha20_block_size];
    size_t m_block_used { k_chacha20_block_size };  // all used: none buffered
    uint32_t m_counter { 0 };
};

class RandomPool {
public:
    static constexpr unsigned k_ready_bits = 256;
    static constexpr unsigned k_reseed_credit_bits = 128;
    static constexpr uint64_t k_reseed_interval_ns = 60ull * 1000 * 1000 * 1000;
    static constexpr uint64_t k_reseed_bytes = 1ull << 20;
    static constexpr unsigned k_timing_samples_per_flush = 64;

    RandomPool();
    ~RandomPool();
    RandomPool(const RandomPool&) = delete;
    RandomPool& operator=(const RandomPool&) = delete;

    // Mixes `input` in and credits it `credited_bits` (at most 8 per byte).
    // The credit reaching k_ready_bits reseeds at once, so is_ready()
    // means the output key already depends on that much entropy.
    void add_entropy(std::span<const uint8_t> input, unsigned credited_bits, uint64_t now_ns);
    // A timestamp or counter value whose low bits jitter; credited nothing.
    void add_timing_sample(uint64_t sample);

    // Replaces the output key (reseeding first if due) and returns the
    // stream for a request of `size` bytes.
    RandomStream begin_request(size_t size, uint64_t now_ns);
    // begin_request + fill, for callers that hold no lock anyway.
    void fill(std::span<uint8_t> out, uint64_t now_ns);

    bool is_ready() const { return m_ready; }
    uint64_t credited_bits() const { return m_credited_bits; }
    uint64_t reseed_count() const { return m_reseed_count; }

private:
    bool reseed_due(uint64_t now_ns) const;
    void reseed(uint64_t now_ns);
    void flush_timing_samples();

    Blake2s m_input;
    uint8_t m_key[k_chacha20_key_size] {};
    uint64_t m_fast_pool[4];
    unsigned m_fast_samples { 0 };

    uint64_t m_credited_bits { 0 };
    uint64_t m_credit_since_reseed { 0 };
    uint64_t m_bytes_since_reseed { 0 };
    uint64_t m_last_reseed_ns { 0 };
    uint64_t m_reseed_count { 0 };
    bool m_ready { false };
};

}  // namespace akuma::crypto
