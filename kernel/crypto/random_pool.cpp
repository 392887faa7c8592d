#include "kernel/crypto/random_pool.h"

#include "kernel/crypto/secure_erase.h"

namespace akuma::crypto {

namespace {

// The generator's keys are used with one fixed nonce: every key is fresh,
// so (key, nonce) pairs never repeat.
constexpr uint8_t k_zero_nonce[k_chacha20_nonce_size] {};

uint64_t rotate_left(uint64_t value, int bits) { return (value << bits) | (value >> (64 - bits)); }

// One SipRound (SipHash paper, Aumasson and Bernstein, 2012): an invertible
// ARX permutation of four words, so folding samples in never loses what
// the fast pool held. Not a hash on its own; the input pool's BLAKE2s is.
void sip_round(uint64_t* v) {
    v[0] += v[1];
    v[1] = rotate_left(v[1], 13);
    v[1] ^= v[0];
    v[0] = rotate_left(v[0], 32);
    v[2] += v[3];
    v[3] = rotate_left(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = rotate_left(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = rotate_left(v[1], 17);
    v[1] ^= v[2];
    v[2] = rotate_left(v[2], 32);
}

}  // namespace

RandomStream::RandomStream(std::span<const uint8_t, k_chacha20_key_size> key) {
    __builtin_memcpy(m_key, key.data(), sizeof(m_key));
}

RandomStream::RandomStream(RandomStream&& other)
    : m_block_used(other.m_block_used)
    , m_counter(other.m_counter) {
    __builtin_memcpy(m_key, other.m_key, sizeof(m_key));
    __builtin_memcpy(m_block, other.m_block, sizeof(m_block));
    secure_erase(other.m_key, sizeof(other.m_key));
    secure_erase(other.m_block, sizeof(other.m_block));
    other.m_block_used = k_chacha20_block_size;
}

RandomStream::~RandomStream() {
    secure_erase(m_key, sizeof(m_key));
    secure_erase(m_block, sizeof(m_block));
}

void RandomStream::fill(std::span<uint8_t> out) {
    size_t done = 0;
    while (done < out.size()) {
        size_t left = out.size() - done;
        if (m_block_used == k_chacha20_block_size && left >= k_chacha20_block_size) {
            // Whole blocks go straight to the caller's buffer.
            chacha20_block(m_key, m_counter++, k_zero_nonce,
                           std::span<uint8_t, k_chacha20_block_size>(out.data() + done, k_chacha20_block_size));
            done += k_chacha20_block_size;
            continue;
        }
        if (m_block_used == k_chacha20_block_size) {
            chacha20_block(m_key, m_counter++, k_zero_nonce, m_block);
            m_block_used = 0;
        }
        size_t step = k_chacha20_block_size - m_block_used;
        if (step > left)
            step = left;
        __builtin_memcpy(out.data() + done, m_block + m_block_used, step);
        // Handed-out bytes must not stay behind in the state.
        secure_erase(m_block + m_block_used, step);
        m_block_used += step;
        done += step;
    }
}

RandomPool::RandomPool()
    : m_fast_pool {} { }

RandomPool::~RandomPool() {
    secure_erase(m_key, sizeof(m_key));
    secure_erase(m_fast_pool, sizeof(m_fast_pool));
}

void RandomPool::add_entropy(std::span<const uint8_t> input, unsigned credited_bits, uint64_t now_ns) {
    m_input.update(input);
    uint64_t most = uint64_t(input.size()) * 8;
    uint64_t credit = credited_bits < most ? credited_bits : most;
    m_credited_bits += credit;
    m_credit_since_reseed += credit;
    if (!m_ready && m_credited_bits >= k_ready_bits)
        reseed(now_ns);
}

void RandomPool::add_timing_sample(uint64_t sample) {
    m_fast_pool[0] ^= sample;
    sip_round(m_fast_pool);
    if (++m_fast_samples >= k_timing_samples_per_flush)
        flush_timing_samples();
}

void RandomPool::flush_timing_samples() {
    m_input.update({ reinterpret_cast<const uint8_t*>(m_fast_pool), sizeof(m_fast_pool) });
    m_fast_samples = 0;
}

bool RandomPool::reseed_due(uint64_t now_ns) const {
    if (m_reseed_count == 0)
        return true;
    // Before readiness every credited input helps at once; afterwards only
    // a batch large enough not to be guessed step by step.
    if (m_credit_since_reseed >= (m_ready ? k_reseed_credit_bits : 1))
        return true;
    if (m_bytes_since_reseed >= k_reseed_bytes)
        return true;
    return now_ns >= m_last_reseed_ns + k_reseed_interval_ns;
}

void RandomPool::reseed(uint64_t now_ns) {
    if (m_fast_samples > 0)
        flush_timing_samples();
    // The old key goes in too: a reseed from a pool the attacker knows
    // leaves the key as strong as it was.
    m_input.update(m_key);
    uint8_t seed[Blake2s::k_max_digest_size];
    m_input.final(seed);
    // One block under the seed: the key the pool continues under (it keeps
    // a summary of all it saw) and the new output key.
    uint8_t block[k_chacha20_block_size];
    chacha20_block(seed, 0, k_zero_nonce, block);
    m_input = Blake2s(Blake2s::k_max_digest_size, { block, k_chacha20_key_size });
    __builtin_memcpy(m_key, block + k_chacha20_key_size, sizeof(m_key));
    secure_erase(seed, sizeof(seed));
    secure_erase(block, sizeof(block));

    m_credit_since_reseed = 0;
    m_bytes_since_reseed = 0;
    m_last_reseed_ns = now_ns;
    ++m_reseed_count;
    if (m_credited_bits >= k_ready_bits)
        m_ready = true;
}

RandomStream RandomPool::begin_request(size_t size, uint64_t now_ns) {
    if (reseed_due(now_ns))
        reseed(now_ns);
    // Fast key erasure: the current key makes its successor and this
    // request's key, and is overwritten before any output exists.
    uint8_t block[k_chacha20_block_size];
    chacha20_block(m_key, 0, k_zero_nonce, block);
    __builtin_memcpy(m_key, block, sizeof(m_key));
    RandomStream stream(std::span<const uint8_t, k_chacha20_key_size>(block + k_chacha20_key_size, k_chacha20_key_size));
    secure_erase(block, sizeof(block));
    m_bytes_since_reseed += size;
    return stream;
}

void RandomPool::fill(std::span<uint8_t> out, uint64_t now_ns) {
    auto stream = begin_request(out.size(), now_ns);
    stream.fill(out);
}

}  // namespace akuma::crypto
