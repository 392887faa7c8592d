// The kernel's random numbers: one RandomPool (kernel/crypto/random_pool.h)
// behind a spinlock, seeded at boot and fed by whatever sources exist.
// Consumers: AT_RANDOM, getrandom(2), /dev/random and /dev/urandom,
// /proc/sys/kernel/random. Safe from any CPU and from IRQ handlers: the
// lock is held only to mix input or to step the key, never while output
// is generated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kernel/crypto/random_pool.h"
#include "kernel/dt/platform_info.h"
#include "kernel/lib/error_or.h"

namespace akuma {

// Seeds the generator from the boot loader's seeds in /chosen and from
// timer jitter, and logs what it was seeded from (main.cpp, step 8).
void random_init(const PlatformInfo& platform);

// Whether 256 bits of credited entropy stand behind the output (Linux's
// crng_ready()).
bool random_ready();
// Blocks until random_ready(); Error::Interrupted if a signal arrives.
ErrorOr<void> random_wait_until_ready();

// Output that never blocks, ready or not (get_random_bytes()).
void random_fill(std::span<uint8_t> out);
// A stream for one long request (getrandom, reads of /dev/random): the
// caller generates it in pieces without holding any lock.
crypto::RandomStream random_stream(size_t size);

// Entropy from a hardware source (virtio-rng, a CPU instruction): mixed
// and credited with `credited_bits`.
void random_add_hardware_entropy(std::span<const uint8_t> input, unsigned credited_bits);
// Bytes of unknown quality (writes to /dev/random): mixed, credited nothing.
void random_add_input(std::span<const uint8_t> input);
// Cheap jitter such as an interrupt's timestamp: mixed, credited nothing.
void random_add_timing_sample(uint64_t sample);

struct RandomStatus {
    bool ready;
    uint64_t credited_bits;
    uint64_t reseeds;
};
RandomStatus random_status();

}  // namespace akuma
