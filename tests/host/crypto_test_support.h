// Hex helpers for the crypto tests' published vectors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

inline std::vector<uint8_t> from_hex(std::string_view hex) {
    std::vector<uint8_t> bytes;
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes.push_back(uint8_t(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    return bytes;
}

inline std::string to_hex(const uint8_t* data, size_t size) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string text;
    for (size_t i = 0; i < size; ++i) {
        text += k_digits[data[i] >> 4];
        text += k_digits[data[i] & 15];
    }
    return text;
}

template <typename Container> std::string to_hex(const Container& bytes) { return to_hex(bytes.data(), bytes.size()); }

// 0, 1, 2, ... as the RFCs' keys and messages use.
inline std::vector<uint8_t> counting_bytes(size_t size) {
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i)
        bytes[i] = uint8_t(i);
    return bytes;
}
