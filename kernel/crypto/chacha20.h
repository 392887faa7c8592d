// The ChaCha20 block function and key stream of RFC 8439 (section 2.3:
// 20 rounds, 256-bit key, 96-bit nonce, 32-bit block counter). Used by the
// kernel's random generator (kernel/crypto/random_pool.h); no hardware
// dependence, so the same source is host-tested against the RFC's vectors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace akuma::crypto {

constexpr size_t k_chacha20_key_size = 32;
constexpr size_t k_chacha20_nonce_size = 12;
constexpr size_t k_chacha20_block_size = 64;

// One 64-byte key-stream block (RFC 8439 2.3).
void chacha20_block(std::span<const uint8_t, k_chacha20_key_size> key, uint32_t counter,
                    std::span<const uint8_t, k_chacha20_nonce_size> nonce,
                    std::span<uint8_t, k_chacha20_block_size> out);

// XORs the key stream starting at block `counter` into `data` (RFC 8439
// 2.4: encryption and decryption are the same operation). The caller keeps
// the length within what the 32-bit counter can number from `counter`.
void chacha20_xor(std::span<const uint8_t, k_chacha20_key_size> key, uint32_t counter,
                  std::span<const uint8_t, k_chacha20_nonce_size> nonce, std::span<uint8_t> data);

}  // namespace akuma::crypto
