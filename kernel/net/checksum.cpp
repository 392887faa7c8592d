#include "kernel/net/checksum.h"

namespace akuma::net {

uint16_t internet_checksum(const void* data, size_t length) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    uint64_t sum = 0;
    for (; length >= 8; bytes += 8, length -= 8) {
        uint64_t value;
        __builtin_memcpy(&value, bytes, 8);
        sum += (value & 0xffffffffu) + (value >> 32);
    }
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
