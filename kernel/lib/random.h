// Kernel random numbers for AT_RANDOM, getrandom(2) and ASLR-free
// uniqueness: a xoshiro256** generator seeded from the generic timer
// counter, the RTC and boot-time entropy mixed in with mix_entropy().
// NOT cryptographically secure: QEMU's virt machine has no entropy source
// that Akuma drives yet (virtio-rng would be one); documented as such.
// Thread context only (a mutex guards the state; it may sleep).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace akuma {

void mix_entropy(uint64_t value);
uint64_t random_u64();
void random_fill(std::span<uint8_t> out);

}  // namespace akuma
