// The Internet checksum (RFC 1071) for lwIP (LWIP_CHKSUM): the one's
// complement sum of the data as 16-bit words, in the order lwIP's own
// lwip_standard_chksum gives it (words loaded natively from the start of
// the buffer, an odd last byte as a word's first byte), not inverted.
// Eight bytes a step: a 32-bit half of a little-endian load is two words,
// w0 + w1 * 2^16, which is w0 + w1 modulo 0xffff, so halves add into a
// 64-bit sum folded at the end (lwIP's loop takes two bytes a step; the
// checksum was half of the instructions of a transfer through the port
// forward). Unaligned loads are fine on AArch64 (and on the host).
// Hardware-independent: host-tested against the byte-at-a-time definition.
#pragma once

#include <cstddef>
#include <cstdint>

namespace akuma::net {

uint16_t internet_checksum(const void* data, size_t length);

}  // namespace akuma::net
