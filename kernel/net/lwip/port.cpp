// lwIP's platform hooks (arch/cc.h, lwipopts.h): memory from the kernel
// heap, time from the monotonic clock, random numbers from the kernel's
// generator (TCP initial sequence numbers, ports, DHCP transaction IDs),
// assertions as kernel panics, and the two C library functions lwIP uses
// that the kernel has no other use for.
#include <cstddef>
#include <cstdint>

#include "kernel/arch/aarch64/timer.h"
#include "kernel/crypto/random.h"
#include "kernel/lib/assert.h"
#include "kernel/mm/kmalloc.h"

extern "C" {

void* akuma_lwip_malloc(unsigned long size) { return akuma::mm::kmalloc(size); }
void akuma_lwip_free(void* memory) { akuma::mm::kfree(memory); }
void* akuma_lwip_calloc(unsigned long count, unsigned long size) {
    if (size && count > ~0ul / size)
        return nullptr;
    return akuma::mm::kzalloc(count * size);
}

uint32_t akuma_lwip_rand(void) {
    uint32_t value;
    akuma::random_fill({ reinterpret_cast<uint8_t*>(&value), sizeof value });
    return value;
}

void akuma_lwip_assert(const char* message, const char* file, int line) {
    akuma::lib::verify_failure(message, file, line);
}

// lwIP's clock: milliseconds, wrapping at 2^32 (lwIP compares differences).
uint32_t sys_now(void) { return static_cast<uint32_t>(akuma::arch::monotonic_ns() / 1000000); }

int strncmp(const char* left, const char* right, size_t count) {
    for (size_t i = 0; i < count; ++i) {
        unsigned char a = static_cast<unsigned char>(left[i]);
        unsigned char b = static_cast<unsigned char>(right[i]);
        if (a != b)
            return a < b ? -1 : 1;
        if (a == 0)
            return 0;
    }
    return 0;
}

int atoi(const char* text) {
    int sign = 1, value = 0;
    while (*text == ' ' || (*text >= '\t' && *text <= '\r'))
        ++text;
    if (*text == '-' || *text == '+')
        sign = *text++ == '-' ? -1 : 1;
    while (*text >= '0' && *text <= '9')
        value = value * 10 + (*text++ - '0');
    return sign * value;
}

}  // extern "C"
