// The word-wide Internet checksum against the definition: 16-bit
// little-endian words with end-around carry, an odd last byte as a word's
// low byte (lwIP's lwip_standard_chksum on a little-endian machine).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernel/net/checksum.h"

namespace {

uint16_t reference_checksum(const uint8_t* data, size_t length) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < length; i += 2)
        sum += static_cast<uint32_t>(data[i] | data[i + 1] << 8);
    if (length & 1)
        sum += data[length - 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

TEST(InternetChecksumTest, MatchesTheDefinitionForEveryLengthAndAlignment) {
    std::mt19937 random(20261207);
    std::vector<uint8_t> buffer(4096 + 16);
    for (auto& byte : buffer)
        byte = static_cast<uint8_t>(random());
    for (size_t offset = 0; offset < 8; ++offset) {
        for (size_t length = 0; length <= 300; ++length)
            ASSERT_EQ(akuma::net::internet_checksum(buffer.data() + offset, length),
                      reference_checksum(buffer.data() + offset, length))
                << "offset " << offset << " length " << length;
        EXPECT_EQ(akuma::net::internet_checksum(buffer.data() + offset, 4096),
                  reference_checksum(buffer.data() + offset, 4096));
    }
}

TEST(InternetChecksumTest, CarriesWrapAroundOnAllOnes) {
    std::vector<uint8_t> ones(65536 + 3, 0xff);
    EXPECT_EQ(akuma::net::internet_checksum(ones.data(), ones.size()), reference_checksum(ones.data(), ones.size()));
    EXPECT_EQ(akuma::net::internet_checksum(ones.data(), 2), 0xffff);
    uint8_t zeros[10] = {};
    EXPECT_EQ(akuma::net::internet_checksum(zeros, sizeof zeros), 0);
}

// RFC 1071's example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (big-endian
// words); the little-endian word sum is its byte swap, f2dd.
TEST(InternetChecksumTest, Rfc1071Example) {
    const uint8_t data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    EXPECT_EQ(akuma::net::internet_checksum(data, sizeof data), 0xf2dd);
}

}  // namespace
