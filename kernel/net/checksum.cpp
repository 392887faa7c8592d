#include "kernel/net/checksum.h"

namespace akuma::net {

namespace {

// One's-complement addition of 64-bit words: the carry out of bit 63 comes
// back in at bit 0 (on AArch64 an ADDS and a CINC; the sum of the 64-bit
// words folds to the same 16-bit sum as the sum of the 16-bit words).
inline uint64_t add_end_around(uint64_t sum, uint64_t value) {
    sum += value;
    return sum + (sum < value);
}

}  // namespace

uint16_t internet_checksum(const void* data, size_t length) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    uint64_t sum = 0;
    // 32 bytes a step into a 128-bit sum: the low half takes the words,
    // the high half counts their carries (AArch64: per word an ADDS and an
    // ADC, two words per LDP); both halves are folded in after.
    unsigned __int128 wide = 0;
    for (; length >= 32; bytes += 32, length -= 32) {
        uint64_t words[4];
        __builtin_memcpy(words, bytes, 32);
        wide += words[0];
        wide += words[1];
        wide += words[2];
        wide += words[3];
    }
    sum = add_end_around(static_cast<uint64_t>(wide), static_cast<uint64_t>(wide >> 64));
    for (; length >= 8; bytes += 8, length -= 8) {
        uint64_t value;
        __builtin_memcpy(&value, bytes, 8);
        sum = add_end_around(sum, value);
    }
    // Down to 32 bits (end-around again) before the tail is added.
    sum = (sum & 0xffffffffu) + (sum >> 32);
    if (length >= 4) {
        uint32_t value;
        __builtin_memcpy(&value, bytes, 4);
        sum += value;
        bytes += 4;
        length -= 4;
    }
    if (length >= 2) {
        uint16_t value;
        __builtin_memcpy(&value, bytes, 2);
        sum += value;
        bytes += 2;
        length -= 2;
    }
    if (length)
        sum += bytes[0];  // the first byte of the last (little-endian) word
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

}  // namespace akuma::net

// lwIP's hook (lwipopts.h: LWIP_CHKSUM).
extern "C" uint16_t akuma_lwip_checksum(const void* data, int length) {
    return akuma::net::internet_checksum(data, length > 0 ? static_cast<size_t>(length) : 0);
}
